import { describe, expect, it } from 'vitest';
import { type ExtraField, printQuery, stripPositions } from '../../src/nfql/index.js';
import { compile, errors } from './helpers.js';

/** Tag fields as a tagger would register them (they are not in the registry yet). */
const TAGS: ExtraField[] = [
  { name: 'app', type: 'string' },
  { name: 'sip_methods', type: 'set' },
  { name: 'sdp_ipv4_literal', type: 'bool' },
  { name: 'nat64', type: 'bool' },
  { name: 'xlat', type: 'enum', values: ['nat64-v6', 'nat64-v4', 'clat', '4in6', '6in4'] },
];

/** A two-branch query around the given stage texts. */
function twoBranches(stages: string, a = 'f -> g -> gf', b = 'f -> g -> gf'): string {
  return `splitter S {}\n${stages}\nmerger M { branches A, B  A < B }\nungrouper U {}\n"input" -> S\nS branch A -> ${a} -> M\nS branch B -> ${b} -> M\nM -> U -> "output"\n`;
}

describe('a valid query becomes a CheckedQuery', () => {
  const text = `splitter S {}
filter f { proto = tcp  dPkts > 2 }
grouper g {
  module m { srcaddr = srcaddr }
  aggregate srcaddr, sum(octets) as total, bitOR(tcp_flags) as flags
}
groupfilter gf { total > 1k  bitAND(flags, 0x12) = 0x12  First > 0 }
merger M {
  module m1 { branches A, B  A.srcip = B.srcaddr  A o B }
  module r1 { branches A, C  A.srcip = C.srcip }
  export m1
}
ungrouper U {}
"input" -> S
S branch A -> f -> g -> gf -> M
S branch B -> f -> g -> M
S branch C -> M
M -> U -> "output"
`;
  const c = compile(text, {}, 'sigs/http-pairs.nfql');

  it('names the signature after its file', () => expect(c.name).toBe('http-pairs'));

  it('lays out the branches in the merger\'s order with their (normalized) stages', () => {
    expect(c.branches.map((b) => [b.name, b.filter?.name, b.grouper?.name, b.groupfilter?.name])).toEqual([
      ['A', 'f', 'g', 'gf'],
      ['B', 'f', 'g', undefined],
      ['C', undefined, undefined, undefined],
    ]);
    expect(c.merger?.name).toBe('M');
    expect(c.ungrouper?.name).toBe('U');
    // The same normalized definition serves every branch that uses it.
    expect(c.branches[0].filter).toBe(c.branches[1].filter);
  });

  it('normalizes: canonical field names, protocol numbers, `as` names kept', () => {
    expect(printQuery(c.normalized)).toBe(`splitter S {}

filter f {
  proto = 6
  packets > 2
}

grouper g {
  module m {
    srcip = srcip
  }
  aggregate srcip, sum(bytes) as total, bitOR(tcpflags) as flags
}

groupfilter gf {
  total > 1k
  bitAND(flags, 0x12) = 0x12
  stime > 0
}

merger M {
  module m1 {
    branches A, B
    A.srcip = B.srcip
    A o B
  }
  module r1 {
    branches A, C
    A.srcip = C.srcip
  }
  export m1
}

ungrouper U {}

"input" -> S
S branch A -> f -> g -> gf -> M
S branch B -> f -> g -> M
S branch C -> M
M -> U -> "output"
`);
  });

  it('lists the group-record fields of every branch with their types', () => {
    expect(Object.fromEntries(c.groupFields.get('A')!)).toEqual({
      total: 'int', flags: 'int', srcip: 'ip', stime: 'time', etime: 'time', duration: 'duration', records: 'set', n: 'int',
    });
    // Branch C has no grouper: every record is its own group and keeps its fields.
    expect(c.groupFields.get('C')!.get('dstport')).toBe('int');
    expect(c.groupFields.get('C')!.get('n')).toBe('int');
  });

  it('does not change the parsed query', () => {
    const again = compile(text, {}, 'sigs/http-pairs.nfql');
    expect(stripPositions(again.normalized)).toEqual(stripPositions(c.normalized));
  });
});

describe('normalization', () => {
  it('makes the wiring of a filter-only query explicit', () => {
    const c = compile('filter f { dstport = 443 }');
    expect(c.branches).toEqual([{ name: '', filter: expect.objectContaining({ name: 'f' }) }]);
    expect(printQuery(c.normalized)).toBe('filter f {\n  dstport = 443\n}\n\n"input" -> f -> "output"\n');
  });

  it('turns protocol("UDP") and bare protocol words into numbers, also in sets', () => {
    const c = compile('filter f { prot = protocol("UDP") OR proto in {tcp, ICMP}  protocol = udp }');
    expect(printQuery(c.normalized).split('\n').slice(1, 3)).toEqual(['  proto = 17 OR proto in {6, 1}', '  proto = 17']);
  });

  it('turns bare words into text for enum, text and set fields, and `x = true` into `x`', () => {
    const c = compile('filter f { endreason = fin  app = sip  sip_methods contains INVITE  BYE in sip_methods  xlat in {clat, "4in6"}  sdp_ipv4_literal = true  nat64 != true  nat64 = FALSE }', { extraFields: TAGS });
    expect(printQuery(c.normalized).split('\n').slice(1, 9)).toEqual([
      '  endreason = "fin"',
      '  app = "sip"',
      '  sip_methods contains "INVITE"',
      '  "BYE" in sip_methods',
      '  xlat in {"clat", "4in6"}',
      '  sdp_ipv4_literal',
      '  NOT nat64',
      '  NOT nat64',
    ]);
  });

  it('resolves group-record aliases: a bare aggregate answers to every alias of its field', () => {
    const c = compile(twoBranches('filter f {}\ngrouper g { aggregate srcaddr, dstip }\ngroupfilter gf { sourceIPv4Address = 10.0.0.1  da = 10.0.0.2  Last > start }'));
    expect(printQuery(c.normalized)).toContain('groupfilter gf {\n  srcip = 10.0.0.1\n  dstip = 10.0.0.2\n  etime > stime\n}');
  });
});

describe('fields and names', () => {
  it('rejects an unknown field with a suggestion', () => {
    expect(errors('filter f {\n  pkts > 3\n  dstprt = 80\n  pkts_sum > 3\n}')).toBe(
      [
        'test.nfql:3:3: error: unknown field `dstprt` in filter `f`',
        '    3 |   dstprt = 80',
        '      |   ^^^^^^',
        'hint: did you mean `dstport`?',
        '',
        'test.nfql:4:3: error: unknown field `pkts_sum` in filter `f`',
        '    4 |   pkts_sum > 3',
        '      |   ^^^^^^^^',
        '',
        '2 errors',
      ].join('\n'),
    );
  });

  it('suggests a group-record field and names the grouper that defines it (alias mismatch)', () => {
    const text = twoBranches('filter f { dstport = 443 }\ngrouper g {\n  module g1 { srcip = srcip }\n  aggregate srcip, sum(packets) as pkt-sum\n}\ngroupfilter gf {\n  pckt-sum > 10\n}');
    expect(errors(text)).toBe(
      [
        'test.nfql:8:3: error: unknown field `pckt-sum` in group filter `gf`',
        '    8 |   pckt-sum > 10',
        '      |   ^^^^^^^^',
        'hint: did you mean `pkt-sum` (defined by grouper `g`)?',
      ].join('\n'),
    );
  });

  it('says when a group filter reads a record field the grouper does not aggregate', () => {
    expect(errors(twoBranches('filter f {}\ngrouper g { aggregate srcip }\ngroupfilter gf { dstport = 80 }'))).toBe(
      [
        'test.nfql:4:18: error: unknown field `dstport` in group filter `gf`',
        '    4 | groupfilter gf { dstport = 80 }',
        '      |                  ^^^^^^^',
        'hint: grouper `g` does not aggregate `dstport`: add it to its list (`aggregate …, dstport`)',
      ].join('\n'),
    );
  });

  it('accepts tag fields passed in, and rejects them otherwise', () => {
    const text = 'filter f { app = sip  sip_methods contains INVITE }';
    expect(compile(text, { extraFields: TAGS }).branches).toHaveLength(1);
    expect(errors(text)).toBe(
      [
        'test.nfql:1:12: error: unknown field `app` in filter `f`',
        '    1 | filter f { app = sip  sip_methods contains INVITE }',
        '      |            ^^^',
        '',
        'test.nfql:1:23: error: unknown field `sip_methods` in filter `f`',
        '    1 | filter f { app = sip  sip_methods contains INVITE }',
        '      |                       ^^^^^^^^^^^',
        '',
        '2 errors',
      ].join('\n'),
    );
  });

  it('says that a filter cannot name another filter (Flowy could)', () => {
    expect(errors('filter a { dstport = 80 }\nfilter c { NOT a }\n"input" -> c\n').split('\n\n')[1]).toBe(
      ['test.nfql:2:16: error: unknown field `a` in filter `c`', '    2 | filter c { NOT a }', '      |                ^', 'hint: `a` is a filter; filters do not name other filters: copy its rules here'].join('\n'),
    );
  });

  it('rejects a value that an enum field cannot take', () => {
    expect(errors('filter f { endreason = finn }')).toBe(
      ['test.nfql:1:24: error: `finn` is not a value of `endreason`', '    1 | filter f { endreason = finn }', '      |                        ^^^^', 'hint: did you mean `fin`?'].join('\n'),
    );
  });

  it('rejects a qualified field outside a merger and an unqualified one inside', () => {
    expect(errors('filter f { A.srcip = 10.0.0.1 }')).toBe(
      ['test.nfql:1:12: error: `A.srcip`: a branch-qualified field belongs in a merger', '    1 | filter f { A.srcip = 10.0.0.1 }', '      |            ^^^^^^^', 'hint: in filter `f` write `srcip`'].join('\n'),
    );
    const text = 'splitter S {}\nmerger M { branches A, B  srcip = 10.0.0.1 }\nungrouper U {}\nS branch A -> M\nS branch B -> M\nM -> U\n';
    expect(errors(text)).toBe(
      ['test.nfql:2:27: error: field `srcip` in merger `M` needs a branch', '    2 | merger M { branches A, B  srcip = 10.0.0.1 }', '      |                           ^^^^^', 'hint: write it with its branch, e.g. `A.srcip`'].join('\n'),
    );
  });
});

describe('types and units', () => {
  it.each([
    ['srcip = 5', '1:12: error: type mismatch: `srcip` is an IP address and `5` is a number', '^^^^^^^^^', undefined],
    ['srcip = 10.0.0.0/8', '1:12: error: type mismatch: `srcip` is an IP address and `10.0.0.0/8` is a prefix', '^^^^^^^^^^^^^^^^^^', 'hint: use `in` to test a prefix: `srcip in 10.0.0.0/8`'],
    ['stime > packets', '1:12: error: type mismatch: `stime` is a time and `packets` is a number', '^^^^^^^^^^^^^^^', undefined],
    ['srcip < dstip', '1:12: error: `<` compares numbers and times; `srcip` is an IP address', '^^^^^^^^^^^^^', undefined],
    ['dstport contains 5', '1:12: error: `contains` needs a set-valued field on the left; `dstport` is a number', '^^^^^^^^^^^^^^^^^^', 'hint: to compare one value use `=` or `in`'],
    ['dstport in 10.0.0.0/8', '1:12: error: a prefix only contains IP addresses; `dstport` is a number', '^^^^^^^^^^^^^^^^^^^^^', undefined],
    ['dstport in 443', '1:23: error: `in` takes a prefix, a set `{a, b}`, a range `[lo, hi]` or a set-valued field; `443` is a number', '^^^', 'hint: to compare two values use `=`: `dstport = 443`'],
    ['srcip in {10.0.0.1, 5}', '1:32: error: type mismatch: `srcip` is an IP address and `5` is a number', '^', undefined],
    ['packets > 5 sec', '1:22: error: time unit `sec` on `packets`, which is not a time', '^^^^', 'hint: time units (ms, s, sec, min, h) go with times and durations such as stime, etime, duration'],
    ['bytes + 1s > 3', '1:20: error: time unit `s` on `bytes`, which is not a time', '^^', 'hint: time units (ms, s, sec, min, h) go with times and durations such as stime, etime, duration'],
    ['duration > 5k', '1:23: error: size unit `k` on `duration`, which is a time', '^^', 'hint: write a time unit: ms, s, sec, min, h (a plain number is milliseconds)'],
    ['dstport', '1:12: error: `dstport` is a number, not a condition', '^^^^^^^', 'hint: compare it, e.g. `dstport = …`'],
    ['dstport = [1, 5]', '1:22: error: a range `[lo, hi]` only follows `in` or `notin`', '^^^^^^', 'hint: write `dstport in [1, 5]`'],
    ['srcip + 1 > 3', '1:12: error: `+` needs numbers or times; `srcip` is an IP address', '^^^^^', undefined],
    ['sum(bytes) > 5', '1:12: error: `sum` is an aggregate, not a function', '^^^', 'hint: aggregate in the grouper (`aggregate sum(bytes) as total`) and compare the result here (`total > …`)'],
    ['bitand(tcpflags) = 2', '1:12: error: `bitAND` takes 2 arguments, not 1', '^^^^^^^^^^^^^^^^', undefined],
    ['abs(srcip) > 2', '1:16: error: argument 1 of `abs` must be a number; `srcip` is an IP address', '^^^^^', undefined],
    ['proto = protocol("UDPX")', '1:20: error: `protocol` does not know `UDPX`', '^^^^^^^^^^^^^^^^', 'hint: known protocols: tcp, udp, icmp, icmpv6, gre, esp, ah, sctp, ipv6, ipip, igmp'],
    ['isIPv5(srcip)', '1:12: error: unknown function `isIPv5`', '^^^^^^', 'hint: did you mean `isIPv4`?'],
    ['dstport = 80 delta 5', '1:25: error: `delta` belongs in grouper and merger rules', '^^^^^', 'hint: a filter compares one record with constants or with its own fields'],
  ])('filter f { %s }', (rule, head, caret, hint) => {
    const text = `filter f { ${rule} }`;
    const lines = [`test.nfql:${head}`, `    1 | ${text}`, `      | ${' '.repeat(Number(head.split(':')[1]) - 1)}${caret}`];
    if (hint) lines.push(hint);
    expect(errors(text)).toBe(lines.join('\n'));
  });

  it('accepts what fits: times with time units, arithmetic on times, sets, ranges, prefixes, functions', () => {
    expect(() =>
      compile(
        'filter f { duration > 1 sec  etime - stime < 5min  stime + 500 < etime  bytes / packets > 1k  dstport in [1, 1023]  srcip in {10.0.0.1, 64:ff9b::/96}  dstip notin 224.0.0.0/4  abs(minus(srcport, dstport)) = 1  isIPv6(srcip)  NOT isIPv4(dstip)  duration in [1s, 5s] }',
      ),
    ).not.toThrow();
  });

  it('checks aggregates: the function must fit the field, and needs a name', () => {
    expect(errors('grouper g { aggregate sum(srcip) as total, max(app) as a, bitOR(duration) as b, sum(stime) as c, avg(bytes) }\n"input" -> g', { extraFields: TAGS })).toBe(
      [
        'test.nfql:1:23: error: `sum` needs numbers or durations; `srcip` is an IP address',
        '    1 | grouper g { aggregate sum(srcip) as total, max(app) as a, bitOR(duration) as b, sum(stime) as c, avg(bytes) }',
        '      |                       ^^^^^^^^^^',
        '',
        'test.nfql:1:44: error: `max` needs numbers or times; `app` is text',
        '    1 | grouper g { aggregate sum(srcip) as total, max(app) as a, bitOR(duration) as b, sum(stime) as c, avg(bytes) }',
        '      |                                            ^^^^^^^^',
        '',
        'test.nfql:1:59: error: `bitOR` needs integers; `duration` is a duration',
        '    1 | grouper g { aggregate sum(srcip) as total, max(app) as a, bitOR(duration) as b, sum(stime) as c, avg(bytes) }',
        '      |                                                           ^^^^^^^^^^^^^^^',
        '',
        'test.nfql:1:81: error: `sum` needs numbers or durations (a sum of times means nothing); `stime` is a time',
        '    1 | grouper g { aggregate sum(srcip) as total, max(app) as a, bitOR(duration) as b, sum(stime) as c, avg(bytes) }',
        '      |                                                                                 ^^^^^^^^^^',
        '',
        'test.nfql:1:98: error: aggregate `avg(bytes)` needs a name',
        '    1 | grouper g { aggregate sum(srcip) as total, max(app) as a, bitOR(duration) as b, sum(stime) as c, avg(bytes) }',
        '      |                                                                                                  ^^^^^^^^^^',
        'hint: name it with `as`: `avg(bytes) as avg_bytes`',
        '',
        '5 errors',
      ].join('\n'),
    );
  });

  it('keeps the built-in group fields: an `as` name may repeat one only when it means the same', () => {
    expect(() => compile(twoBranches('filter f {}\ngrouper g { aggregate min(stime) as stime, max(etime) as etime, count(rec_id) as n, union(rec_id) as records }\ngroupfilter gf { n > 0 }'))).not.toThrow();
    expect(errors(twoBranches('filter f {}\ngrouper g { aggregate sum(bytes) as stime, duration }\ngroupfilter gf {}'))).toBe(
      [
        'test.nfql:3:23: error: `stime` is a built-in group-record field (the earliest start of its records)',
        '    3 | grouper g { aggregate sum(bytes) as stime, duration }',
        '      |                       ^^^^^^^^^^',
        'hint: choose another name after `as`',
        '',
        'test.nfql:3:44: error: every group record already has `duration` (etime − stime)',
        '    3 | grouper g { aggregate sum(bytes) as stime, duration }',
        '      |                                            ^^^^^^^^',
        'hint: remove `duration` from the aggregate list',
        '',
        '2 errors',
      ].join('\n'),
    );
  });
});

describe('grouper rules', () => {
  it('compare two fields; OR, NOT and constants are errors with a way out', () => {
    const text = 'grouper g {\n  module m {\n    srcip = srcip OR dstip = dstip\n    NOT srcport = srcport\n    dstport = 443\n    srcip < dstip\n  }\n}\n"input" -> g';
    expect(errors(text)).toBe(
      [
        'test.nfql:3:22: error: `OR` is not allowed in grouper rules',
        '    3 |     srcip = srcip OR dstip = dstip',
        '      |                      ^^^^^^^^^^^^^',
        'hint: modules are OR-ed: put the alternative into a module of its own',
        '',
        'test.nfql:4:5: error: `NOT` is not allowed in grouper rules',
        '    4 |     NOT srcport = srcport',
        '      |     ^^^',
        'hint: a grouper rule compares a field of the group with a field of the new record',
        '',
        'test.nfql:5:15: error: a grouper rule compares two fields; `dstport = 443` compares a field with a constant',
        '    5 |     dstport = 443',
        '      |               ^^^',
        "hint: conditions on one record belong in the branch's filter",
        '',
        'test.nfql:6:5: error: `<` compares numbers and times; `srcip` is an IP address',
        '    6 |     srcip < dstip',
        '      |     ^^^^^^^^^^^^^',
        '',
        '4 errors',
      ].join('\n'),
    );
  });

  it('check delta units against the fields', () => {
    expect(() => compile('grouper g { module m { etime < stime rdelta 500ms  srcport = srcport rdelta 1  stime = stime delta 1s } }\n"input" -> g')).not.toThrow();
    expect(errors('grouper g { module m { srcport = srcport rdelta 1s } }\n"input" -> g')).toBe(
      [
        'test.nfql:1:49: error: time unit `s` on `srcport`, which is not a time',
        '    1 | grouper g { module m { srcport = srcport rdelta 1s } }',
        '      |                                                 ^^',
        'hint: time units (ms, s, sec, min, h) go with times and durations such as stime, etime, duration',
      ].join('\n'),
    );
  });
});

describe('mergers', () => {
  it('reject rules naming a branch the module does not list, and Allen relations between non-branches', () => {
    const text =
      'splitter S {}\nmerger M {\n  module m1 { branches A, B  A.srcip = C.srcip  A o X }\n  module r1 { branches A, C }\n  export m1\n}\nungrouper U {}\nS branch A -> M\nS branch B -> M\nS branch C -> M\nM -> U\n';
    expect(errors(text)).toBe(
      [
        'test.nfql:3:40: error: merger module `m1` does not list branch `C`',
        '    3 |   module m1 { branches A, B  A.srcip = C.srcip  A o X }',
        '      |                                        ^',
        'hint: add it: `branches A, B, C`',
        '',
        'test.nfql:3:53: error: `X` is not a branch of merger module `m1`',
        '    3 |   module m1 { branches A, B  A.srcip = C.srcip  A o X }',
        '      |                                                     ^',
        'hint: its branches are A, B',
        '',
        '2 errors',
      ].join('\n'),
    );
  });

  it('check rdelta (only with =), Allen deltas (times) and that a relation joins two branches', () => {
    const text = 'splitter S {}\nmerger M { branches A, B\n  A.srcport = B.srcport rdelta 1\n  A.n < B.n rdelta 1\n  A < B delta 5k\n  A m A\n}\nungrouper U {}\nS branch A -> M\nS branch B -> M\nM -> U\n';
    expect(errors(text)).toBe(
      [
        'test.nfql:4:13: error: in a merger, `rdelta` goes with `=`: `A.f = B.f rdelta d` means B.f − A.f = d',
        '    4 |   A.n < B.n rdelta 1',
        '      |             ^^^^^^',
        '',
        'test.nfql:5:15: error: size unit `k` on an Allen delta, which is a time',
        '    5 |   A < B delta 5k',
        '      |               ^^',
        'hint: write a time: `delta 5s`, `delta 500ms` (a plain number is milliseconds)',
        '',
        'test.nfql:6:3: error: an Allen relation needs two different branches, not `A` twice',
        '    6 |   A m A',
        '      |   ^^^^^',
        '',
        '3 errors',
      ].join('\n'),
    );
  });

  it('check modules: export, wired branches, reject modules that share a branch', () => {
    const text =
      'splitter S {}\nmerger M {\n  module m1 { branches A, B }\n  module r1 { branches C, D }\n  module r2 { branches A, Z }\n  export m2\n}\nungrouper U {}\nS branch A -> M\nS branch B -> M\nS branch C -> M\nS branch D -> M\nS branch E -> M\nM -> U\n';
    expect(errors(text)).toBe(
      [
        'test.nfql:2:1: error: merger `M` exports `m2`, which is not one of its modules',
        '    2 | merger M {',
        '      | ^^^^^^^^',
        'hint: did you mean `m1`?',
        '',
        'test.nfql:5:3: error: merger module `r2` lists branch `Z`, which is not wired into merger `M`',
        '    5 |   module r2 { branches A, Z }',
        '      |   ^^^^^^^^^',
        'hint: wire it: `S branch Z -> … -> M`',
        '',
        'test.nfql:13:1: error: branch `E` is wired into merger `M`, but no merger module lists it',
        '   13 | S branch E -> M',
        '      | ^^^^^^^^^^',
        'hint: add it to a module: `branches …, E`',
        '',
        '3 errors',
      ].join('\n'),
    );
    const reject = 'splitter S {}\nmerger M {\n  module m1 { branches A, B }\n  module r1 { branches C }\n  export m1\n}\nungrouper U {}\nS branch A -> M\nS branch B -> M\nS branch C -> M\nM -> U\n';
    expect(errors(reject)).toBe(
      [
        'test.nfql:4:3: error: reject module `r1` shares no branch with the exported module',
        '    4 |   module r1 { branches C }',
        '      |   ^^^^^^^^^',
        'hint: a reject module removes the tuples it matches, so it must name at least one of their branches',
      ].join('\n'),
    );
  });

  it('type-check qualified fields against each branch\'s group record', () => {
    const text = twoBranches('filter f {}\ngrouper g { aggregate srcip, union(srcport) as ports }\ngroupfilter gf {}', 'f -> g -> gf', 'f');
    expect(() => compile(text.replace('A < B', 'A.srcip = B.dstip  A.ports contains B.srcport  A.n > 2  B.duration < A.duration + 1s'))).not.toThrow();
    expect(errors(text.replace('A < B', 'A.srcip = B.dstport'))).toBe(
      [
        'test.nfql:5:27: error: type mismatch: `A.srcip` is an IP address and `B.dstport` is a number',
        '    5 | merger M { branches A, B  A.srcip = B.dstport }',
        '      |                           ^^^^^^^^^^^^^^^^^^^',
      ].join('\n'),
    );
  });
});

describe('wiring', () => {
  it('rejects an unknown stage with a suggestion', () => {
    expect(errors('filter f-login {}\n"input" -> f-logn -> "output"')).toBe(
      ['test.nfql:2:12: error: unknown stage `f-logn`', '    2 | "input" -> f-logn -> "output"', '      |            ^^^^^^', 'hint: did you mean `f-login`?'].join('\n'),
    );
  });

  it('rejects a branch wired to no merger', () => {
    const text = 'splitter S {}\nfilter f {}\nmerger M { branches A, B }\nungrouper U {}\n"input" -> S\nS branch A -> f -> M\nS branch B -> f\nM -> U -> "output"\n';
    expect(errors(text)).toBe(['test.nfql:7:1: error: branch `B` is wired to no merger', '    7 | S branch B -> f', '      | ^^^^^^^^^^', 'hint: end it with `-> M`'].join('\n'));
  });

  it('rejects several branches without a merger', () => {
    expect(errors('splitter S {}\nfilter f {}\nS branch A -> f\nS branch B -> f\n')).toBe(
      [
        'test.nfql:4:1: error: branch `B` is wired to no merger',
        '    4 | S branch B -> f',
        '      | ^^^^^^^^^^',
        'hint: branches meet in a merger: define one (`merger M { branches A, B … }`) and end every branch with `-> M`',
      ].join('\n'),
    );
  });

  it('rejects a cycle', () => {
    const text = 'splitter S {}\nfilter a {}\nfilter b {}\nmerger M { branches A }\nungrouper U {}\nS branch A -> a -> M -> U -> b -> a\n';
    expect(errors(text)).toBe(
      [
        'test.nfql:6:35: error: the wiring has a cycle: a -> M -> U -> b -> a',
        '    6 | S branch A -> a -> M -> U -> b -> a',
        '      |                                   ^',
        'hint: records flow one way: splitter, branches, merger, ungrouper',
      ].join('\n'),
    );
  });

  it.each([
    ['S branch A -> g -> f -> M', '6:20: error: filter `f` comes after grouper `g` in branch `A`', '^', 'hint: a branch runs filter -> grouper -> groupfilter -> merger'],
    ['S branch A -> f -> f2 -> M', '6:20: error: branch `A` has two filters, `f` and `f2`', '^^', 'hint: rules are AND-ed: put them into one stage'],
    ['S branch A -> f -> U', '6:20: error: ungrouper `U` must follow merger `M`', '^', 'hint: end the branch with `-> M` and add `M -> U`'],
    ['S branch A -> f -> S -> M', '6:20: error: the wiring has a cycle: S -> f -> S', '^', 'hint: records flow one way: splitter, branches, merger, ungrouper'],
    ['S branch A -> f -> M -> g', '6:25: error: grouper `g` cannot follow merger `M`', '^', 'hint: only an ungrouper can follow merger `M`: `M -> U -> "output"`'],
    ['"input" -> M', '6:12: error: merger `M` cannot take records straight from the input', '^', 'hint: records reach it through a branch: `"input" -> S`, `S branch A -> f -> M`'],
    ['f branch A -> M', '6:1: error: filter `f` has no branches; `branch` follows a splitter', '^^^^^^^^^^', 'hint: define a splitter (`splitter S {}`) and write `S branch A -> …`'],
    ['S branch A -> "x" -> M', '6:15: error: the placeholder "x" can only start or end a wiring line', '^^^', undefined],
  ])('%s: a stage in the wrong position', (line, head, caret, hint) => {
    const text = `splitter S {}\nfilter f {}\nfilter f2 {}\ngrouper g {}\nmerger M { branches A }\n${line}\nungrouper U {}\nM -> U\n`;
    const [pos] = head.split(':');
    const col = Number(head.split(':')[1]);
    const lines = [`test.nfql:${head}`, `${pos.padStart(5)} | ${line}`, `      | ${' '.repeat(col - 1)}${caret}`];
    if (hint) lines.push(hint);
    expect(errors(text).split('\n\n')[0]).toBe(lines.join('\n'));
  });

  it('rejects a merger without ungrouper, and defined stages that are not wired', () => {
    const text = 'splitter S {}\nfilter f {}\nfilter unused {}\nmerger M { branches A }\nS branch A -> f -> M\n';
    expect(errors(text)).toBe(
      [
        'test.nfql:3:1: error: filter `unused` is defined but not wired',
        '    3 | filter unused {}',
        '      | ^^^^^^^^^^^^^',
        'hint: wire it: `S branch A -> unused -> …`',
        '',
        'test.nfql:4:1: error: merger `M` is not followed by an ungrouper',
        '    4 | merger M { branches A }',
        '      | ^^^^^^^^',
        'hint: add `ungrouper U {}` and the line `M -> U -> "output"`',
        '',
        '2 errors',
      ].join('\n'),
    );
  });

  it('rejects a missing wiring unless the query is one filter, and duplicate stages', () => {
    expect(errors('filter f {}\ngrouper g {}\n')).toBe(
      [
        'test.nfql:1:1: error: the query has no wiring',
        '    1 | filter f {}',
        '      | ^^^^^^^^',
        'hint: wire the stages, e.g. `"input" -> f -> g -> "output"` (only a query made of one filter may leave the wiring out)',
      ].join('\n'),
    );
    expect(errors('filter f {}\ngrouper f {}\n"input" -> f\n')).toBe(
      ['test.nfql:2:1: error: stage `f` is defined twice', '    2 | grouper f {}', '      | ^^^^^^^^^', 'hint: it is already filter `f` on line 1'].join('\n'),
    );
    expect(errors('# nothing\n')).toBe(
      ['test.nfql:1:1: error: the query is empty', '    1 | # nothing', '      | ^', 'hint: the smallest query is one filter: `filter f { dstport = 443 }`'].join('\n'),
    );
  });

  it('accepts the placeholders left out, `br`, a line continuing a branch, one branch without merger, any placeholder text', () => {
    const c = compile('splitter S {}\nfilter f {}\ngrouper g {}\nungrouper U {}\nS br A -> f\nf -> g -> U -> "out.h5"\n');
    expect(c.branches.map((b) => [b.name, b.filter?.name, b.grouper?.name])).toEqual([['A', 'f', 'g']]);
    expect(c.ungrouper?.name).toBe('U');
    expect(c.merger).toBeUndefined();
    const single = compile('filter f {}\ngrouper g {}\ngroupfilter gf {}\n"trace.h5" -> f -> g -> gf -> "groups"\n');
    expect(single.branches.map((b) => [b.name, b.filter?.name, b.grouper?.name, b.groupfilter?.name])).toEqual([['', 'f', 'g', 'gf']]);
  });

  it('rejects a second input, a branch wired twice, and a continuation that could belong to several branches', () => {
    const text = 'splitter S {}\nfilter f {}\nmerger M { branches A, B }\nungrouper U {}\n"input" -> S\n"again" -> S\nS branch A -> f\nS branch B -> f\nS branch A -> M\nf -> M\nM -> U\n';
    expect(errors(text)).toBe(
      [
        'test.nfql:6:1: error: the input is wired twice',
        '    6 | "again" -> S',
        '      | ^^^^^^^',
        'hint: it was first wired on line 5',
        '',
        'test.nfql:9:1: error: branch `A` is wired twice',
        '    9 | S branch A -> M',
        '      | ^^^^^^^^^^',
        'hint: it was first wired on line 7',
        '',
        'test.nfql:10:1: error: filter `f` ends several branches (`A`, `B`); this line could continue any of them',
        '   10 | f -> M',
        '      | ^',
        'hint: continue each branch on its own line, from its `S branch A -> …`',
        '',
        '3 errors',
      ].join('\n'),
    );
  });

  it('shares one stage definition among branches', () => {
    const c = compile(twoBranches('filter f {}\ngrouper g { aggregate srcip }\ngroupfilter gf { srcip in 10.0.0.0/8 }'));
    expect(c.branches.map((b) => b.groupfilter)).toEqual([c.branches[0].groupfilter, c.branches[0].groupfilter]);
  });

  it('rejects a group filter that means different fields in the branches sharing it', () => {
    const text = twoBranches('filter f {}\ngrouper g1 { aggregate bitOR(tcpflags) as flags }\ngrouper g2 { aggregate tcpflags }\ngroupfilter gf { flags > 0 }', 'f -> g1 -> gf', 'f -> g2 -> gf');
    expect(errors(text)).toBe(
      [
        'test.nfql:5:1: error: group filter `gf` reads different group-record fields in branches `A` and `B`',
        '    5 | groupfilter gf { flags > 0 }',
        '      | ^^^^^^^^^^^^^^',
        'hint: their groupers name the fields differently: give each branch its own group filter',
      ].join('\n'),
    );
  });
});

describe('enum words and Flowy functions found by the executor tests', () => {
  it('an enum value that begins with a digit is a word: tunnel = 4in6', () => {
    const q = compile('filter f { tunnel = 4in6 }');
    expect(printQuery(q.normalized)).toContain('tunnel = "4in6"');
  });
  it('minus(etime, stime) is a duration, as etime - stime is', () => {
    const q = compile('filter f { minus(etime, stime) = duration }');
    expect(printQuery(q.normalized)).toContain('minus(etime, stime) = duration');
    expect(() => compile('filter f { minus(etime, stime) < 5s }')).not.toThrow();
    expect(errors('filter f { minus(etime, stime) = srcip }')).toContain('type mismatch');
  });
});
