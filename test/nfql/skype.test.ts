/**
 * The seed signature (../shared/docs/NFQL.md §6) and Flowy's example queries.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printQuery } from '../../src/nfql/index.js';
import { compile, errors, FIXTURES, fixtures } from './helpers.js';

const asPrinted = readFileSync(new URL('skype-as-printed.nfql', FIXTURES), 'utf8');
const learned = readFileSync(new URL('../../learned/skype-nat64-login.nfql', import.meta.url), 'utf8');

describe('the Skype-behind-NAT64 signature', () => {
  it('as printed, is rejected at its alias mismatch: `pkt-sum` defined, `pckt-sum` used', () => {
    expect(errors(asPrinted, {}, 'skype.nfql')).toBe(
      [
        'skype.nfql:73:3: error: unknown field `B.pckt-sum` in merger `M`',
        '   73 |   B.pckt-sum > C.pckt-sum',
        '      |   ^^^^^^^^^^',
        'hint: did you mean `B.pkt-sum` (defined by grouper `g-login`)?',
      ].join('\n'),
    );
  });

  it('corrected, it is the learned signature and it checks', () => {
    const c = compile(learned, {}, 'learned/skype-nat64-login.nfql');
    expect(c.name).toBe('skype-nat64-login');
    expect(c.branches.map((b) => [b.name, b.filter?.name, b.grouper?.name, b.groupfilter?.name])).toEqual([
      ['A', 'f-mDNS', 'g-mDNS', 'gf-mDNS'],
      ['B', 'f-login1', 'g-login', 'gf-login'],
      ['C', 'f-login2', 'g-login', 'gf-login'],
      ['D', 'f-login3', 'g-login', 'gf-login'],
    ]);
    expect(Object.fromEntries(c.groupFields.get('B')!)).toEqual({
      'pkt-sum': 'int', srcip: 'ip', dstip: 'ip', srcport: 'int', stime: 'time', etime: 'time', duration: 'duration', records: 'set', n: 'int',
    });
    // Normalized, the protocol name becomes its number.
    expect(printQuery(c.normalized)).toContain('filter f-login1 {\n  ipver = 6\n  proto = 6\n  dstport = 443\n  duration in [55s, 59s]\n}');
  });

  it('differs from the printed text only by the fixed alias, the IPv6-only client\'s changes (see its header) and comments and units written out', () => {
    const strip = (t: string) => t.replace(/^#.*\n/gm, '').trim();
    const fixed = strip(asPrinted)
      .replace(/pckt-sum/g, 'pkt-sum')
      .replace('sum(dPkts)', 'sum(packets)')
      // an IPv6-only client sends mDNS to ff02::fb; only the IPv6 copies of the attempts count on a NAT64 box
      .replace('dstip = 224.0.0.251', 'dstip in {224.0.0.251, ff02::fb}')
      .replace(/(filter f-login\d \{\n)/g, '$1  ipver = 6\n');
    const normalize = (t: string) => printQuery(compile(t).normalized);
    expect(normalize(fixed).replace(/duration > (\d+)sec\n {2}duration < (\d+)sec/g, 'duration in [$1s, $2s]')).toBe(normalize(learned));
  });
});

describe("Flowy's example queries", () => {
  it.each([...fixtures().entries()].filter(([name]) => name.startsWith('flowy-')))('%s parses and checks', (_name, text) => {
    const c = compile(text);
    expect(c.branches.map((b) => b.name).sort()).toEqual(['A', 'B']);
    expect(c.merger?.name).toBe('M');
    expect(c.ungrouper?.name).toBe('U');
  });

  it('keeps the HTTP query\'s group-record aliases and set comparison', () => {
    const c = compile(fixtures().get('flowy-http-download.nfql')!);
    expect(c.groupFields.get('A')!.get('srcports')).toBe('set');
    expect(printQuery(c.normalized)).toContain('    A.srcports = B.dstports\n    A.bytes < B.bytes\n    B oi A OR B d A\n');
  });
});
