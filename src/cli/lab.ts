/**
 * `flowsig lab up|down|status|run|record …`: the NAT64 lab. The lab is a bash
 * script (scripts/lab: network namespaces, TAYGA, unbound, SIPp); this command
 * runs it with the same arguments and returns its exit status.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LAB_USAGE = `usage: flowsig lab up [--name NAME] [--clat] | down NAME|--all | status
       flowsig lab run SCENARIO --good|--bad [--timeout S] [-w FILE.pcapng]
       flowsig lab record SCENARIO --good|--bad [--runs N] [-o DIR] [--timeout S]

The NAT64 lab (network namespaces; needs root). Scenarios: sip, literal, skype, web.
See docs/lab.md.
`;

/** scripts/lab beside dist/ (built) or src/ (tests) */
export function labScript(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = fileURLToPath(new URL('scripts/lab', dir));
    if (existsSync(candidate) && existsSync(fileURLToPath(new URL('package.json', dir)))) return candidate;
    if (dir.pathname === '/') throw new Error('scripts/lab not found beside the flowsig installation');
  }
}

export function runLab(argv: readonly string[]): number {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(LAB_USAGE);
    return 0;
  }
  const r = spawnSync(labScript(), [...argv], { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`flowsig: cannot run the lab script: ${r.error.message}\n`);
    return 1;
  }
  if (r.signal) return 130;
  return r.status ?? 1;
}
