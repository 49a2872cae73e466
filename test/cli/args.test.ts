import { describe, expect, it } from 'vitest';
import { parseArgs, suggest, UsageError } from '../../src/cli/args.js';
import { formatDuration, parseDuration } from '../../src/cli/duration.js';
import { parseFlowsArgs, parseKey } from '../../src/cli/flows.js';

describe('durations', () => {
  it.each([
    ['500ms', 500], ['15s', 15_000], ['30m', 1_800_000], ['1h30m', 5_400_000], ['2h', 7_200_000], ['1d', 86_400_000],
    ['90', 90_000], ['1.5s', 1500], ['1m30s', 90_000], ['10sec', 10_000], ['5min', 300_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '15x', 's', '1h-30m', '15 s'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats back to the human form', () => {
    expect([250, 15_000, 1_800_000, 5_400_000, 5_415_000].map(formatDuration)).toEqual(['250ms', '15s', '30m', '1h30m', '1h30m15s']);
  });
});

describe('option parsing', () => {
  const specs = [
    { long: 'read', short: 'r', value: 'FILE', repeatable: true, help: '' },
    { long: 'idle', value: 'D', help: '' },
    { long: 'biflow', help: '' },
  ];
  it('reads long, short, --opt=value, -rFILE, repeats and positionals', () => {
    const a = parseArgs(['-r', 'a.pcap', '-rb.pcap', '--idle=5s', '--biflow', 'tcp', 'port', '80'], specs);
    expect(a.options.get('read')).toEqual(['a.pcap', 'b.pcap']);
    expect(a.options.get('idle')).toEqual(['5s']);
    expect([...a.flags]).toEqual(['biflow']);
    expect(a.positionals).toEqual(['tcp', 'port', '80']);
  });
  it('refuses what it does not know, with a suggestion', () => {
    expect(() => parseArgs(['--bifow'], specs)).toThrow(new UsageError('unknown option --bifow; did you mean --biflow?'));
    expect(() => parseArgs(['--idle'], specs)).toThrow('option --idle needs a value (D)');
    expect(() => parseArgs(['--idle', '1s', '--idle', '2s'], specs)).toThrow('option --idle given twice');
    expect(() => parseArgs(['--biflow=yes'], specs)).toThrow('option --biflow takes no value');
    expect(suggest('qwerty', ['flows', 'help'])).toBe('');
  });
  it('flows: keys, defaults by terminal, timeouts', () => {
    expect(parseKey('7tuple+vlan+tunnel')).toEqual({ tuple: 7, vlan: true, tunnel: true });
    expect(parseKey('5tuple')).toEqual({ tuple: 5, vlan: false, tunnel: false });
    const tty = parseFlowsArgs(['-r', 'x.pcap'], true);
    const piped = parseFlowsArgs(['-r', 'x.pcap', '--idle', '2m', '--active', '1h', '--max-flows', '10'], false);
    expect(tty !== 'help' && tty.format).toBe('table');
    expect(piped !== 'help' && [piped.format, piped.meter.idleTimeoutMs, piped.meter.activeTimeoutMs, piped.meter.maxFlows]).toEqual(['ndjson', 120_000, 3_600_000, 10]);
    expect(() => parseFlowsArgs(['-r', 'x', '--max-flows', '0'], false)).toThrow('--max-flows 0: expected a whole number of at least 1');
    expect(() => parseFlowsArgs(['-r', 'x', 'tcp'], false)).toThrow(/unexpected argument "tcp"/);
  });
});
