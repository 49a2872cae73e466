/**
 * `flowsig help` and each command's usage: main.ts loads a command's module only when that command
 * (or its help) is asked for, so every topic is checked to load and print its own text.
 */
import { describe, expect, it } from 'vitest';
import { flowsig } from './run.js';

const FIRST_LINES: Record<string, string> = {
  flows: 'usage: flowsig flows -r FILE [options]',
  query: 'usage: flowsig query -q SIG.nfql [-q SIG|DIR …] -r FILE [-r FILE …] [options]',
  check: 'usage: flowsig check SIG.nfql [SIG2.nfql …]',
  learn: 'usage: flowsig learn --good OK.pcap [--good …] --bad FAIL.pcap [--bad …] [options]',
  watch: 'usage: flowsig watch -i IFACE [-i IFACE …] [-s SIG|DIR …] [options] [BPF filter]',
  collect: 'usage: flowsig collect --listen [ADDR]:PORT [options]',
  ports: 'usage: flowsig ports -r FILE [-r FILE …] [options]',
  lab: 'usage: flowsig lab up [--name NAME] [--clat] | down NAME|--all | status',
};

describe('help', () => {
  it.each(Object.keys(FIRST_LINES))('help %s and the command with --help print that command\'s usage, exit 0', (command) => {
    for (const args of [['help', command], [command, '--help']]) {
      const r = flowsig(args);
      expect([r.code, r.stdout.split('\n')[0], r.stderr]).toEqual([0, FIRST_LINES[command], '']);
    }
  });

  it('no command, or a topic that is no command (not even an inherited property name), prints the overview', () => {
    for (const args of [[], ['help'], ['help', 'toString'], ['help', 'nonsense']]) {
      const r = flowsig(args);
      expect([r.code, r.stdout.split('\n')[0]]).toEqual([0, 'usage: flowsig COMMAND [options]']);
    }
  });
});
