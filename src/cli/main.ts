/**
 * flowsig's command line. Exit codes (README.md, "Exit codes"):
 *   0  success
 *   1  the job could not be done (output not writable, a needed program missing)
 *   2  bad input or usage: a damaged capture, an unknown option (one line names the file and offset, or the option)
 *   3  `learn` only: no trace on the wire (nothing present in the failing runs distinguishes them; nothing written)
 *   70 internal error (a bug: the stack trace is printed)
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../capture/types.js';
import { OutputError } from '../report/output.js';
import { UsageError, suggest } from './args.js';
import { CHECK_USAGE, runCheck } from './check.js';
import { COLLECT_USAGE, parseCollectArgs, runCollect } from './collect.js';
import { FLOWS_USAGE, parseFlowsArgs, runFlows } from './flows.js';
import { LAB_USAGE, runLab } from './lab.js';
import { parsePortsArgs, PORTS_USAGE, runPorts } from './ports.js';
import { LEARN_USAGE, runLearn } from './learn.js';
import { QUERY_USAGE, runQuery } from './query.js';
import { runWatch, WATCH_USAGE } from './watch.js';

const COMMANDS = ['flows', 'query', 'check', 'learn', 'watch', 'collect', 'ports', 'lab', 'help', 'version'];

export const USAGE = `usage: flowsig COMMAND [options]

flowsig turns packets into flow records and finds applications that break
behind NAT64, 464XLAT and DS-Lite.

commands:
  flows      packets (pcap, pcapng) to NetFlow-style flow records
  query      run NFQL signatures over a capture or a flow file and print the matches
  check      validate NFQL signatures and print them normalized
  learn      learn an NFQL signature from working (--good) and failing (--bad) runs
  watch      live capture (or a replayed capture) with signatures evaluated continuously, in a terminal UI
  collect    receive IPFIX / NetFlow v9 / v5 over UDP, or read IPFIX files, as flow records
  ports      source ports (NAT bindings) per host over time: port ranges for A+P, CGN, DS-Lite
  lab        the NAT64 lab: network namespaces, scenarios, good/bad recordings (root)
  help       this text, or 'flowsig help COMMAND'
  version    print the version

'flowsig COMMAND --help' shows each command's options and examples.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return help(rest[0]);
      case 'version':
      case '--version':
        process.stdout.write(`${version()}\n`);
        return 0;
      case 'flows': {
        const cfg = parseFlowsArgs(rest, process.stdout.isTTY === true);
        if (cfg === 'help') return help('flows');
        return runFlows(cfg, process.stderr);
      }
      case 'query':
        return runQuery(rest);
      case 'check':
        return runCheck(rest, process.stdout, process.stderr);
      case 'lab':
        return runLab(rest);
      case 'ports': {
        const cfg = parsePortsArgs(rest);
        if (cfg === 'help') return help('ports');
        return runPorts(cfg, process.stderr);
      }
      case 'collect': {
        const cfg = parseCollectArgs(rest, process.stdout.isTTY === true);
        if (cfg === 'help') return help('collect');
        return runCollect(cfg, process.stderr);
      }
      case 'learn':
        return runLearn(rest);
      case 'watch':
        return await runWatch(rest);
      default:
        throw new UsageError(`unknown command "${command}"${suggest(command, COMMANDS)} (see flowsig help)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`flowsig: ${err.message}\n`);
      return 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`flowsig: ${err.describe()}\n`);
      return 2;
    }
    if (err instanceof OutputError) {
      process.stderr.write(`flowsig: ${err.message}\n`);
      return 1;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      process.stderr.write(`flowsig: ${(err as Error).message}\n`);
      return code === 'ENOENT' || code === 'EISDIR' ? 2 : 1;
    }
    throw err;
  }
}

function help(topic: string | undefined): number {
  const usage: Record<string, string> = { flows: FLOWS_USAGE, query: QUERY_USAGE, check: CHECK_USAGE, lab: LAB_USAGE, ports: PORTS_USAGE, collect: COLLECT_USAGE, learn: LEARN_USAGE, watch: WATCH_USAGE };
  process.stdout.write(topic !== undefined && topic in usage ? usage[topic] : USAGE);
  return 0;
}

function version(): string {
  // dist/src/cli/main.js when built, src/cli/main.ts under the test runner: find package.json upward
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'flowsig') return `flowsig ${pkg.version}`;
    } catch {
      // not here: keep climbing
    }
    if (dir.pathname === '/') return 'flowsig (unknown version)';
  }
}
