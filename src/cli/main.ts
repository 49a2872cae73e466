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
// Each command's module is loaded when that command runs: loading all of them (the terminal UI,
// the learner's statistics) took 170 ms of every run, `flows` alone needs 25.

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
        return await help(rest[0]);
      case 'version':
      case '--version':
        process.stdout.write(`${version()}\n`);
        return 0;
      case 'flows': {
        const { parseFlowsArgs, runFlows } = await import('./flows.js');
        const cfg = parseFlowsArgs(rest, process.stdout.isTTY === true);
        if (cfg === 'help') return await help('flows');
        return runFlows(cfg, process.stderr);
      }
      case 'query':
        return (await import('./query.js')).runQuery(rest);
      case 'check':
        return (await import('./check.js')).runCheck(rest, process.stdout, process.stderr);
      case 'lab':
        return (await import('./lab.js')).runLab(rest);
      case 'ports': {
        const { parsePortsArgs, runPorts } = await import('./ports.js');
        const cfg = parsePortsArgs(rest);
        if (cfg === 'help') return await help('ports');
        return runPorts(cfg, process.stderr);
      }
      case 'collect': {
        const { parseCollectArgs, runCollect } = await import('./collect.js');
        const cfg = parseCollectArgs(rest, process.stdout.isTTY === true);
        if (cfg === 'help') return await help('collect');
        return runCollect(cfg, process.stderr);
      }
      case 'learn':
        return (await import('./learn.js')).runLearn(rest);
      case 'watch':
        return await (await import('./watch.js')).runWatch(rest);
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

/** each command's usage text, from its module */
const USAGES: Record<string, () => Promise<string>> = {
  flows: async () => (await import('./flows.js')).FLOWS_USAGE,
  query: async () => (await import('./query.js')).QUERY_USAGE,
  check: async () => (await import('./check.js')).CHECK_USAGE,
  lab: async () => (await import('./lab.js')).LAB_USAGE,
  ports: async () => (await import('./ports.js')).PORTS_USAGE,
  collect: async () => (await import('./collect.js')).COLLECT_USAGE,
  learn: async () => (await import('./learn.js')).LEARN_USAGE,
  watch: async () => (await import('./watch.js')).WATCH_USAGE,
};

async function help(topic: string | undefined): Promise<number> {
  process.stdout.write(topic !== undefined && Object.hasOwn(USAGES, topic) ? await USAGES[topic]() : USAGE);
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
