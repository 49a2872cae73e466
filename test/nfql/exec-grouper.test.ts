/**
 * The grouper (docs/nfql.md §4): modules OR-ed, rules AND-ed, the first open
 * group that accepts a record takes it; delta against the first record,
 * rdelta against the last; aggregates and built-ins. The hashed and
 * time-retiring implementation is checked against a naive one on random
 * records.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { runGrouper } from '../../src/nfql/exec/grouper.js';
import { mulberry32 } from '../../scripts/bench/random.js';
import { compile, flow, resetIds, run, SEC, T0 } from './exec-records.js';

beforeEach(resetIds);

function groupQuery(grouper: string, groupfilter = ''): string {
  return `
    splitter S {}
    filter f { packets > 0 }
    grouper g { ${grouper} }
    ${groupfilter ? `groupfilter gf { ${groupfilter} }` : ''}
    "input" -> S
    S branch A -> f -> g${groupfilter ? ' -> gf' : ''} -> "output"`;
}

const groupsOf = (grouper: string, recs: FlowRecord[]) => run(groupQuery(grouper), recs).matches.map((m) => m.groups[0].group);
const memberIds = (grouper: string, recs: FlowRecord[]) => groupsOf(grouper, recs).map((g) => g.members.map((r) => r.rec_id));

describe('grouping', () => {
  it('no module: every record is its own group; one empty module: one group', () => {
    const recs = [flow({ at: 0 }), flow({ at: 1 }), flow({ at: 2 })];
    expect(memberIds('aggregate srcip', recs)).toEqual([[1], [2], [3]]);
    expect(memberIds('module m {} aggregate srcip', recs)).toEqual([[1, 2, 3]]);
  });

  it('rules of a module are AND-ed and compare the group\'s first record with the new one', () => {
    const recs = [
      flow({ at: 0, srcip: '10.0.0.1', dstport: 80, packets: 5 }),
      flow({ at: 1, srcip: '10.0.0.1', dstport: 443, packets: 6 }),
      flow({ at: 2, srcip: '10.0.0.2', dstport: 80, packets: 7 }),
      flow({ at: 3, srcip: '10.0.0.1', dstport: 80, packets: 4 }),
      flow({ at: 4, srcip: '10.0.0.1', dstport: 80, packets: 9 }),
    ];
    expect(memberIds('module m { srcip = srcip  dstport = dstport }', recs)).toEqual([[1, 4, 5], [2], [3]]);
    // `packets < packets`: first.packets < new.packets (not the last record's)
    expect(memberIds('module m { srcip = srcip  packets < packets }', recs)).toEqual([[1, 2, 5], [3], [4]]);
  });

  it('modules are OR-ed and a record joins the first open group that accepts it, only that one', () => {
    const recs = [
      flow({ at: 0, srcip: '10.0.0.1', dstip: '192.0.2.1' }), // group 0
      flow({ at: 1, srcip: '10.0.0.2', dstip: '192.0.2.2' }), // group 1
      // same srcip as group 0 and same dstip as group 1: both accept, the first (0) takes it
      flow({ at: 2, srcip: '10.0.0.1', dstip: '192.0.2.2' }),
      flow({ at: 3, srcip: '10.0.0.3', dstip: '192.0.2.2' }), // only group 1 (by dstip)
      flow({ at: 4, srcip: '10.0.0.3', dstip: '192.0.2.9' }), // nobody: a new group
    ];
    expect(memberIds('module a { srcip = srcip } module b { dstip = dstip }', recs)).toEqual([[1, 3], [2, 4], [5]]);
  });

  it('delta: tolerance against the first record', () => {
    const recs = [0, 0.5, 1.2, 2.5, 3.1, 3.9].map((at) => flow({ at }));
    // |new.stime − first.stime| ≤ 1 s
    expect(memberIds('module m { stime = stime delta 1s }', recs)).toEqual([[1, 2], [3], [4, 5], [6]]);
    // `<` with delta: 0 ≤ new.stime − first.stime ≤ 1.5 s
    expect(memberIds('module m { stime < stime delta 1500ms }', recs)).toEqual([[1, 2, 3], [4, 5, 6]]);
    // a delta on a count
    resetIds();
    const sizes = [100, 130, 90, 200, 260].map((p, i) => flow({ at: i, packets: p }));
    expect(memberIds('module m { packets = packets delta 40 }', sizes)).toEqual([[1, 2, 3], [4], [5]]);
  });

  it('rdelta: against the last record added, so groups chain (0 ≤ new.stime − last.etime ≤ d)', () => {
    const recs = [
      flow({ at: 0, lasts: 1 }), // ends at 1
      flow({ at: 1.4, lasts: 1 }), // starts 0.4 s after the previous end: joins, ends 2.4
      flow({ at: 2.8, lasts: 0.1 }), // 0.4 s after 2.4: joins (the first record ended long before)
      flow({ at: 3.5, lasts: 1 }), // 0.6 s after 2.9: too late, a new group
      flow({ at: 4.2, lasts: 1 }), // starts before the last record (3.5–4.5) ended: new.stime − last.etime < 0
    ];
    expect(memberIds('module m { etime < stime rdelta 500ms }', recs)).toEqual([[1, 2, 3], [4], [5]]);
  });

  it('takes records in start-time order whatever the input order', () => {
    const recs = [flow({ at: 2, lasts: 1 }), flow({ at: 0, lasts: 1 }), flow({ at: 1.2, lasts: 0.5 })];
    expect(memberIds('module m { etime < stime rdelta 500ms }', recs)).toEqual([[2, 3, 1]]);
  });

  it('a record missing a compared field joins no group by that module', () => {
    const recs = [flow({ at: 0, app: 'sip' }), flow({ at: 1 }), flow({ at: 2, app: 'sip' }), flow({ at: 3 })];
    expect(memberIds('module m { app = app }', recs)).toEqual([[1, 3], [2], [4]]);
  });
});

describe('group records', () => {
  const recs = () => [
    flow({ at: 0, lasts: 2, srcip: '10.0.0.1', dstport: 80, packets: 10, bytes: 1000, tcpflags: 0x02, sip_methods: ['INVITE'] }),
    flow({ at: 1, lasts: 5, srcip: '10.0.0.1', dstport: 443, packets: 30, bytes: 500, tcpflags: 0x12, sip_methods: ['ACK', 'INVITE'] }),
    flow({ at: 3, lasts: 1, srcip: '10.0.0.1', dstport: 443, packets: 20, bytes: 1500, tcpflags: 0x11 }),
  ];

  it('aggregates: min max sum avg count union bitOR bitAND first last median stddev', () => {
    const [g] = groupsOf(
      `module m { srcip = srcip }
       aggregate srcip, dstport, min(packets) as pmin, max(packets) as pmax, sum(bytes) as bsum, avg(packets) as pavg,
         count(rec_id) as cnt, count(sip_methods) as tagged, union(sip_methods) as methods, union(dstport) as ports,
         bitOR(tcpflags) as flags_or, bitAND(tcpflags) as flags_and, first(dstport) as firstport, last(bytes) as lastbytes,
         median(packets) as pmed, median(bytes) as bmed, stddev(packets) as psd, max(etime) as etime, min(stime) as stime`,
      recs(),
    );
    expect(g.fields).toEqual({
      srcip: '10.0.0.1',
      dstport: 443, // not constant: the last value
      pmin: 10,
      pmax: 30,
      bsum: 3000,
      pavg: 20,
      cnt: 3,
      tagged: 2,
      methods: ['INVITE', 'ACK'],
      ports: [80, 443],
      flags_or: 0x13,
      flags_and: 0x00,
      firstport: 80,
      lastbytes: 1500,
      pmed: 20,
      bmed: 1000,
      psd: Math.sqrt(200 / 3),
      etime: T0 + 6 * SEC,
      stime: T0,
    });
  });

  it('built-ins: stime (min), etime (max), duration, records (rec_ids in order), n', () => {
    const q = groupQuery('module m { srcip = srcip } aggregate srcip', 'n = 3  duration = 6s  stime = etime - 6s');
    const rs = recs();
    const r = run(q, rs);
    expect(r.matches).toHaveLength(1);
    const m = r.matches[0];
    expect([m.stime, m.etime]).toEqual([T0, T0 + 6 * SEC]);
    expect(run(groupQuery('module m { srcip = srcip } aggregate srcip', 'records contains 2  2 in records'), rs).matches).toHaveLength(1);
    expect(run(groupQuery('module m { srcip = srcip } aggregate srcip', 'records contains 7'), rs).matches).toHaveLength(0);
  });

  it('a bare field is its value when constant across the group', () => {
    const [g] = groupsOf('module m {} aggregate srcip, proto', recs());
    expect(g.fields).toEqual({ srcip: '10.0.0.1', proto: 6 });
  });
});

// ------------------------------------------------------------------ against a naive grouper

type Rule = { a: string; op: string; b: string; delta?: { kind: 'delta' | 'rdelta'; d: number } };

function naiveCompare(op: string, x: unknown, y: unknown, d?: number): boolean {
  if (x === undefined || y === undefined || x === null || y === null) return false;
  if (d !== undefined) {
    const [a, b] = [x as number, y as number];
    if (op === '=') return Math.abs(b - a) <= d;
    if (op === '<' || op === '<=') return b - a >= 0 && b - a <= d;
    return a - b >= 0 && a - b <= d;
  }
  switch (op) {
    case '=': return x === y;
    case '!=': return x !== y;
    case '<': return (x as number) < (y as number);
    case '<=': return (x as number) <= (y as number);
    case '>': return (x as number) > (y as number);
    default: return (x as number) >= (y as number);
  }
}

/** The grouper as the spec says it, with no indexes: O(records × groups). */
function naiveGroups(modules: Rule[][], input: FlowRecord[]): number[][] {
  const recs = [...input].sort((x, y) => x.stime - y.stime);
  const groups: FlowRecord[][] = [];
  for (const rec of recs) {
    const g = groups.find((members) =>
      modules.some((rules) =>
        rules.every((r) => naiveCompare(r.op, (r.delta?.kind === 'rdelta' ? members[members.length - 1] : members[0])[r.a], rec[r.b], r.delta?.d)),
      ),
    );
    if (g) g.push(rec);
    else groups.push([rec]);
  }
  return groups.map((g) => g.map((r) => r.rec_id));
}

function ruleText(r: Rule): string {
  return `${r.a} ${r.op} ${r.b}${r.delta ? ` ${r.delta.kind} ${r.delta.d}` : ''}`;
}

function randomRecords(seed: number, n: number): FlowRecord[] {
  const rng = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = rng() * 60;
    out.push(
      flow({
        at,
        lasts: rng() < 0.3 ? 0 : rng() * 5,
        srcip: pick(['10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::1']),
        dstip: pick(['192.0.2.1', '192.0.2.2', '64:ff9b::1']),
        dstport: pick([53, 80, 443]),
        packets: 1 + Math.floor(rng() * 20),
        ...(rng() < 0.5 ? { app: pick(['sip', 'rtp']) } : {}),
      }),
    );
  }
  return out;
}

describe('the indexed grouper groups exactly as the naive one', () => {
  const cases: Rule[][][] = [
    [[{ a: 'srcip', op: '=', b: 'srcip' }]],
    [[{ a: 'srcip', op: '=', b: 'srcip' }, { a: 'etime', op: '<', b: 'stime', delta: { kind: 'rdelta', d: 2000 } }]],
    [[{ a: 'srcip', op: '=', b: 'srcip' }, { a: 'dstip', op: '=', b: 'dstip' }, { a: 'stime', op: '=', b: 'stime', delta: { kind: 'delta', d: 5000 } }]],
    [[{ a: 'srcip', op: '=', b: 'srcip' }, { a: 'dstport', op: '=', b: 'dstport' }], [{ a: 'dstip', op: '=', b: 'dstip' }, { a: 'stime', op: '>', b: 'stime', delta: { kind: 'rdelta', d: 3000 } }]],
    [[{ a: 'packets', op: '<', b: 'packets' }, { a: 'stime', op: '<', b: 'stime', delta: { kind: 'delta', d: 10000 } }]],
    [[{ a: 'app', op: '=', b: 'app' }, { a: 'etime', op: '<=', b: 'etime' }]],
    [[{ a: 'srcip', op: '=', b: 'srcip' }, { a: 'packets', op: '=', b: 'packets', delta: { kind: 'delta', d: 3 } }], []],
    [[{ a: 'dstip', op: '=', b: 'srcip' }], [{ a: 'srcip', op: '=', b: 'srcip' }, { a: 'etime', op: '>=', b: 'stime' }]],
    [[{ a: 'srcip', op: '!=', b: 'srcip' }, { a: 'etime', op: '<', b: 'stime', delta: { kind: 'rdelta', d: 1000 } }]],
  ];
  for (const [i, modules] of cases.entries()) {
    const text = modules.map((m, j) => `module m${j} { ${m.map(ruleText).join('  ')} }`).join(' ');
    it(`${text}`, () => {
      for (const seed of [1, 2, 3]) {
        resetIds();
        const recs = randomRecords(seed * 100 + i, 400);
        expect(memberIds(`${text} aggregate srcip`, recs)).toEqual(naiveGroups(modules, recs));
      }
    });
  }
});

describe('the grouper\'s work grows linearly', () => {
  it('rule evaluations double when the records double (hash buckets, groups retired by the clock)', () => {
    const q = compile(groupQuery('module m { srcip = srcip  etime < stime rdelta 1s } aggregate srcip'));
    const evaluations = (n: number) => {
      const rng = mulberry32(7);
      const recs: FlowRecord[] = [];
      for (let i = 0; i < n; i++)
        recs.push(flow({ stime: T0 + i * 100, etime: T0 + i * 100 + rng() * 300, srcip: `10.0.${Math.floor(rng() * 50)}.${Math.floor(rng() * 200)}` }));
      const counters = { ruleEvaluations: 0 };
      runGrouper(q.branches[0].grouper, recs, counters);
      return counters.ruleEvaluations;
    };
    const counts = [4000, 8000, 16000, 32000].map(evaluations);
    for (let i = 1; i < counts.length; i++) {
      const growth = counts[i] / counts[i - 1];
      expect(growth, `evaluations ${counts.join(', ')}`).toBeGreaterThan(1.6);
      expect(growth, `evaluations ${counts.join(', ')}`).toBeLessThan(2.4);
    }
  });
});
