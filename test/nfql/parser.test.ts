import { describe, expect, it } from 'vitest';
import { NfqlError, parseQuery } from '../../src/nfql/index.js';
import { ast, parse } from './helpers.js';

const num = (value: number, text = String(value), unit?: string) => ({ kind: 'number', value, text, ...(unit ? { unit } : {}) });
const field = (name: string, qualifier?: string) => ({ kind: 'field', name, ...(qualifier ? { qualifier } : {}) });
const cmp = (left: object, op: string, right: object, delta?: object) => ({ kind: 'cmp', op, left, right, ...(delta ? { delta } : {}) });
const rule = (...terms: object[]) => ({ terms });

function parseErrors(text: string): string {
  try {
    parseQuery(text, 'p.nfql');
  } catch (err) {
    if (err instanceof NfqlError) return err.formatAll(text);
    throw err;
  }
  throw new Error('expected a parse error');
}

describe('filters', () => {
  it('parses the specification\'s example: rules on one line are AND-ed, units attach', () => {
    expect(ast('filter f_mdns { dstport = 5353 srcport = 5353 dstip = 224.0.0.251 duration > 1 sec duration < 5 sec }')).toEqual({
      stages: [
        {
          kind: 'filter',
          name: 'f_mdns',
          rules: [
            rule(cmp(field('dstport'), '=', num(5353))),
            rule(cmp(field('srcport'), '=', num(5353))),
            rule(cmp(field('dstip'), '=', { kind: 'ip', text: '224.0.0.251' })),
            rule(cmp(field('duration'), '>', num(1, '1', 'sec'))),
            rule(cmp(field('duration'), '<', num(5, '5', 'sec'))),
          ],
        },
      ],
      wiring: [],
    });
  });

  it('OR joins terms, NOT negates one term, AND separates rules, keywords in any case', () => {
    expect(ast('FILTER f { dstport = 80 or NOT dstport = 8080\n srcip in 10.0.0.0/8 And proto notin {6, 17}; tos = 0 }').stages[0]).toEqual({
      kind: 'filter',
      name: 'f',
      rules: [
        rule(cmp(field('dstport'), '=', num(80)), { kind: 'not', term: cmp(field('dstport'), '=', num(8080)) }),
        rule(cmp(field('srcip'), 'in', { kind: 'cidr', text: '10.0.0.0/8' })),
        rule(cmp(field('proto'), 'notin', { kind: 'set', items: [num(6), num(17)] })),
        rule(cmp(field('tos'), '=', num(0))),
      ],
    });
  });

  it('rejects AND next to OR, which would read differently in SQL', () => {
    expect(parseErrors('filter f {\n  dstport = 80 AND srcport = 5 OR srcport = 6\n}')).toBe(
      [
        'p.nfql:2:16: error: `AND` next to `OR` is ambiguous',
        '    2 |   dstport = 80 AND srcport = 5 OR srcport = 6',
        '      |                ^^^',
        'hint: rules are AND-ed and OR joins terms within one rule: write each AND-ed rule on its own line, e.g. `a = 1 OR b = 2` and then `c = 3`',
      ].join('\n'),
    );
  });

  it('parses arithmetic with precedence, parentheses, unary minus, functions, sets, ranges, strings, contains', () => {
    const [f] = ast(
      'filter f { bytes / packets - 1 > (etime - stime) * 2  abs(-x) > -5  bitAND(tcpflags, 0x12) = 0x12  prot = protocol("UDP")  dstport in [1, 1023]  sip_methods contains {"INVITE", "BYE"}  nat64 }',
    ).stages as { rules: unknown[] }[];
    expect(f.rules).toEqual([
      rule(
        cmp(
          { kind: 'binary', op: '-', left: { kind: 'binary', op: '/', left: field('bytes'), right: field('packets') }, right: num(1) },
          '>',
          { kind: 'binary', op: '*', left: { kind: 'binary', op: '-', left: field('etime'), right: field('stime') }, right: num(2) },
        ),
      ),
      rule(cmp({ kind: 'call', fn: 'abs', args: [{ kind: 'binary', op: '-', left: num(0), right: field('x') }] }, '>', num(-5, '-5'))),
      rule(cmp({ kind: 'call', fn: 'bitAND', args: [field('tcpflags'), num(18, '0x12')] }, '=', num(18, '0x12'))),
      rule(cmp(field('prot'), '=', { kind: 'call', fn: 'protocol', args: [{ kind: 'string', value: 'UDP' }] })),
      rule(cmp(field('dstport'), 'in', { kind: 'range', lo: num(1), hi: num(1023) })),
      rule(cmp(field('sip_methods'), 'contains', { kind: 'set', items: [{ kind: 'string', value: 'INVITE' }, { kind: 'string', value: 'BYE' }] })),
      rule({ kind: 'bool', expr: field('nat64') }),
    ]);
  });

  it('starts a new rule at a `-` that begins a line, outside brackets', () => {
    const [f] = ast('filter f {\n  dstport = 80\n  -5 < srcport\n  x = (a\n    - b)\n}').stages as { rules: unknown[] }[];
    expect(f.rules).toEqual([
      rule(cmp(field('dstport'), '=', num(80))),
      rule(cmp(num(-5, '-5'), '<', field('srcport'))),
      rule(cmp(field('x'), '=', { kind: 'binary', op: '-', left: field('a'), right: field('b') })),
    ]);
  });

  it('reads a name followed by `(` on the next line as a field, not a call', () => {
    const [f] = ast('filter f {\n  dstport = x\n  (bytes + 1) > 5\n}').stages as { rules: unknown[] }[];
    expect(f.rules).toEqual([rule(cmp(field('dstport'), '=', field('x'))), rule(cmp({ kind: 'binary', op: '+', left: field('bytes'), right: num(1) }, '>', num(5)))]);
  });
});

describe('groupers', () => {
  it('parses modules, delta and rdelta, and every kind of aggregate', () => {
    expect(
      ast(`grouper g {
  module g1 { srcip = srcip  dstip = dstip  etime < stime rdelta 500ms }
  module g2 { stime = stime delta 1s }
  aggregate srcip, dstip as server, sum(bytes) as bytes, count(rec_id) as n, union(sip_methods) as methods,
    min(stime) as first_seen, max(packets) as mp, avg(bytes) as ab, bitOR(tcp_flags) as flags, bitAND(tcpflags) as allflags,
    first(srcport) as fp, last(srcport) as lp, median(bytes) as mb, stddev(duration) as sd, BITor(tos) as t
}`).stages[0],
    ).toEqual({
      kind: 'grouper',
      name: 'g',
      modules: [
        {
          name: 'g1',
          rules: [
            rule(cmp(field('srcip'), '=', field('srcip'))),
            rule(cmp(field('dstip'), '=', field('dstip'))),
            rule(cmp(field('etime'), '<', field('stime'), { kind: 'rdelta', value: num(500, '500', 'ms') })),
          ],
        },
        { name: 'g2', rules: [rule(cmp(field('stime'), '=', field('stime'), { kind: 'delta', value: num(1, '1', 's') }))] },
      ],
      aggregates: [
        { field: 'srcip' },
        { field: 'dstip', alias: 'server' },
        { fn: 'sum', field: 'bytes', alias: 'bytes' },
        { fn: 'count', field: 'rec_id', alias: 'n' },
        { fn: 'union', field: 'sip_methods', alias: 'methods' },
        { fn: 'min', field: 'stime', alias: 'first_seen' },
        { fn: 'max', field: 'packets', alias: 'mp' },
        { fn: 'avg', field: 'bytes', alias: 'ab' },
        { fn: 'bitOR', field: 'tcp_flags', alias: 'flags' },
        { fn: 'bitAND', field: 'tcpflags', alias: 'allflags' },
        { fn: 'first', field: 'srcport', alias: 'fp' },
        { fn: 'last', field: 'srcport', alias: 'lp' },
        { fn: 'median', field: 'bytes', alias: 'mb' },
        { fn: 'stddev', field: 'duration', alias: 'sd' },
        { fn: 'bitOR', field: 'tos', alias: 't' },
      ],
    });
  });

  it('accepts empty modules, no modules, and the papers\' rules without a module', () => {
    expect(ast('grouper a { module g1 {\n} }  grouper b {}  grouper c { srcip = srcip aggregate srcip }').stages).toEqual([
      { kind: 'grouper', name: 'a', modules: [{ name: 'g1', rules: [] }], aggregates: [] },
      { kind: 'grouper', name: 'b', modules: [], aggregates: [] },
      { kind: 'grouper', name: 'c', modules: [{ name: 'c', rules: [rule(cmp(field('srcip'), '=', field('srcip')))] }], aggregates: [{ field: 'srcip' }] },
    ]);
  });

  it('suggests an aggregate function for a typo', () => {
    expect(parseErrors('grouper g { aggregate summ(bytes) as b }')).toBe(
      ['p.nfql:1:23: error: unknown aggregate function `summ`', '    1 | grouper g { aggregate summ(bytes) as b }', '      |                       ^^^^', 'hint: did you mean `sum`?'].join('\n'),
    );
  });
});

describe('mergers', () => {
  it('parses modules, export and reject modules, qualified fields with arithmetic, rdelta, NOT', () => {
    expect(
      ast(`merger M {
  module m1 {
    branches A, B, C
    A.srcip = B.dstip
    B.srcport = A.srcport + 1
    A.srcport = C.srcport rdelta 1
    NOT A.bytes < B.bytes
  }
  module r1 { branches A, X  A.srcip = X.srcip }
  export m1
}`).stages[0],
    ).toEqual({
      kind: 'merger',
      name: 'M',
      modules: [
        {
          name: 'm1',
          branches: ['A', 'B', 'C'],
          rules: [
            rule(cmp(field('srcip', 'A'), '=', field('dstip', 'B'))),
            rule(cmp(field('srcport', 'B'), '=', { kind: 'binary', op: '+', left: field('srcport', 'A'), right: num(1) })),
            rule(cmp(field('srcport', 'A'), '=', field('srcport', 'C'), { kind: 'rdelta', value: num(1) })),
            rule({ kind: 'not', term: cmp(field('bytes', 'A'), '<', field('bytes', 'B')) }),
          ],
        },
        { name: 'r1', branches: ['A', 'X'], rules: [rule(cmp(field('srcip', 'A'), '=', field('srcip', 'X')))] },
      ],
      exports: ['m1'],
      implicitModule: false,
    });
  });

  it('parses the papers\' form without module and export', () => {
    expect(ast('merger M { branches A, B  A.srcip = B.srcip  A < B }').stages[0]).toEqual({
      kind: 'merger',
      name: 'M',
      modules: [{ name: 'M', branches: ['A', 'B'], rules: [rule(cmp(field('srcip', 'A'), '=', field('srcip', 'B'))), rule({ kind: 'allen', relation: 'before', written: '<', left: 'A', right: 'B' })] }],
      exports: ['M'],
      implicitModule: true,
    });
  });

  it('parses all 13 Allen relations by symbol and by name, with delta, OR-ed', () => {
    const pairs = [
      ['<', 'before'], ['>', 'after'], ['m', 'meets'], ['mi', 'metby'], ['o', 'overlaps'], ['oi', 'overlappedby'], ['s', 'starts'],
      ['si', 'startedby'], ['d', 'during'], ['di', 'contains'], ['f', 'finishes'], ['fi', 'finishedby'], ['=', 'equals'],
    ];
    const text = `merger M { branches A, B\n${pairs.map(([sym, name]) => `A ${sym} B OR B ${name} A delta 5s`).join('\n')}\nA eq B\nA overlappedBy B\n}`;
    const [m] = ast(text).stages as { modules: { rules: unknown[] }[] }[];
    expect(m.modules[0].rules).toEqual([
      ...pairs.map(([sym, name]) =>
        rule({ kind: 'allen', relation: name, written: sym, left: 'A', right: 'B' }, { kind: 'allen', relation: name, written: name, left: 'B', right: 'A', delta: num(5, '5', 's') }),
      ),
      rule({ kind: 'allen', relation: 'equals', written: 'eq', left: 'A', right: 'B' }),
      rule({ kind: 'allen', relation: 'overlappedby', written: 'overlappedBy', left: 'A', right: 'B' }),
    ]);
  });

  it('tells `A contains B` (Allen) from `A.f contains "x"` (set membership)', () => {
    const [m] = ast('merger M { branches A, B  A contains B  A.methods contains "INVITE" }').stages as { modules: { rules: unknown[] }[] }[];
    expect(m.modules[0].rules).toEqual([
      rule({ kind: 'allen', relation: 'contains', written: 'contains', left: 'A', right: 'B' }),
      rule(cmp(field('methods', 'A'), 'contains', { kind: 'string', value: 'INVITE' })),
    ]);
  });

  it('requires `branches` at the start of a module', () => {
    expect(parseErrors('merger M {\n  module m1 { A.x = B.x }\n}')).toBe(
      [
        'p.nfql:2:15: error: expected `branches` at the start of merger module `m1`, found name `A`',
        '    2 |   module m1 { A.x = B.x }',
        '      |               ^',
        'hint: a merger module starts with the branches it joins: `branches A, B`',
      ].join('\n'),
    );
  });
});

describe('ungrouper, splitter and wiring', () => {
  it('parses empty bodies, arrow chains, branch and br, placeholders', () => {
    expect(ast('splitter S {}\nungrouper U {}\n"input" -> S\nS branch A -> f -> g -> M\nS br B->f->M\nM -> U -> "output"')).toEqual({
      stages: [
        { kind: 'splitter', name: 'S' },
        { kind: 'ungrouper', name: 'U' },
      ],
      wiring: [
        { items: [{ kind: 'io', text: 'input' }, { kind: 'stage', name: 'S' }] },
        { items: [{ kind: 'branch', splitter: 'S', branch: 'A', written: 'branch' }, { kind: 'stage', name: 'f' }, { kind: 'stage', name: 'g' }, { kind: 'stage', name: 'M' }] },
        { items: [{ kind: 'branch', splitter: 'S', branch: 'B', written: 'br' }, { kind: 'stage', name: 'f' }, { kind: 'stage', name: 'M' }] },
        { items: [{ kind: 'stage', name: 'M' }, { kind: 'stage', name: 'U' }, { kind: 'io', text: 'output' }] },
      ],
    });
  });

  it('keeps positions: line and column of every node', () => {
    const q = parse('filter f {\n  dstport = 80\n}\n"input" -> f');
    const f = q.stages[0] as { pos: object; rules: { pos: object; terms: { left: { pos: object }; right: { pos: object } }[] }[] };
    expect(f.pos).toEqual({ line: 1, col: 1, offset: 0 });
    expect(f.rules[0].terms[0].left.pos).toEqual({ line: 2, col: 3, offset: 13 });
    expect(f.rules[0].terms[0].right.pos).toEqual({ line: 2, col: 13, offset: 23 });
    expect(q.wiring[0].items[1].pos).toEqual({ line: 4, col: 12, offset: 39 });
  });

  it('rejects a non-empty ungrouper and a wiring line without arrow', () => {
    expect(parseErrors('ungrouper U { x = 1 }')).toBe(
      ['p.nfql:1:15: error: the body of ungrouper `U` must be empty, found name `x`', '    1 | ungrouper U { x = 1 }', '      |               ^', 'hint: write `ungrouper U {}`'].join('\n'),
    );
    expect(parseErrors('"input" f')).toBe(
      [
        'p.nfql:1:9: error: expected `->` after "input", found name `f`',
        '    1 | "input" f',
        '      |         ^',
        'hint: wiring lines connect stages: `"input" -> S`, `S branch A -> f -> g -> M`, `M -> U -> "output"`',
      ].join('\n'),
    );
  });
});

describe('syntax errors', () => {
  it('report several mistakes in one run, each with line, caret and what was expected', () => {
    const text = ['filter f {', '  dstport =', '}', 'filter {}', 'grouper g { module m { srcip = srcip }', 'filter h { x = 1 }', 'S branch A -> f'].join('\n');
    expect(parseErrors(text)).toBe(
      [
        'p.nfql:3:1: error: expected a value, found `}`',
        '    3 | }',
        '      | ^',
        '',
        'p.nfql:4:8: error: expected a name for the filter, found `{`',
        '    4 | filter {}',
        '      |        ^',
        '',
        'p.nfql:6:1: error: expected `module`, `aggregate` or `}` in grouper `g`, found keyword `filter`',
        '    6 | filter h { x = 1 }',
        '      | ^^^^^^',
        '',
        '3 errors',
      ].join('\n'),
    );
  });

  it('reject keywords as names', () => {
    expect(parseErrors('filter in { x = 1 }')).toBe(
      ['p.nfql:1:8: error: expected a name for the filter, found keyword `in`', '    1 | filter in { x = 1 }', '      |        ^^', 'hint: keywords cannot be used as names'].join('\n'),
    );
  });

  it('say where a `}` is missing', () => {
    expect(parseErrors('filter f {\n  dstport = 80\ngrouper g {}')).toBe(
      ['p.nfql:3:1: error: expected `}` to close filter `f`, found keyword `grouper`', '    3 | grouper g {}', '      | ^^^^^^^'].join('\n'),
    );
  });

  it('stop after ten errors', () => {
    const text = Array.from({ length: 15 }, (_, i) => `filter f${i} { = }`).join('\n');
    expect(parseErrors(text).split('\n').at(-1)).toBe('10 errors');
  });
});
