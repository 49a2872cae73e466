/**
 * The merger: tuples from hash joins and windowed look-ups must be exactly
 * the tuples a nested loop over all combinations finds; reject modules
 * remove tuples; the work grows like n (log n), never like n².
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { ALLEN_RELATIONS, type AllenRelation } from '../../src/nfql/ast.js';
import { allenHolds } from '../../src/nfql/exec/allen.js';
import { createQueryRunner } from '../../src/nfql/exec/run.js';
import { mulberry32 } from '../../scripts/bench/random.js';
import { compile, flow, resetIds, run } from './exec-records.js';

beforeEach(resetIds);

const SYMBOL: Record<AllenRelation, string> = {
  before: '<', after: '>', meets: 'm', metby: 'mi', overlaps: 'o', overlappedby: 'oi',
  starts: 's', startedby: 'si', during: 'd', contains: 'di', finishes: 'f', finishedby: 'fi', equals: '=',
};

/** Branch A: input 0, B: input 1, C: input 2; no groupers, so each record is a group. */
function mergerQuery(body: string, branches = ['A', 'B']): string {
  return `
    splitter S {}
    ${branches.map((b, i) => `filter f${b} { input = ${i} }`).join('\n')}
    merger M { ${body} }
    ungrouper U {}
    "input" -> S
    ${branches.map((b) => `S branch ${b} -> f${b} -> M`).join('\n')}
    M -> U -> "output"`;
}

/** Records on a coarse grid (whole seconds) so that endpoints often coincide. */
function randomRecords(seed: number, perBranch: number, branches = 2): FlowRecord[] {
  const rng = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  const out: FlowRecord[] = [];
  for (let input = 0; input < branches; input++)
    for (let i = 0; i < perBranch; i++)
      out.push(
        flow({
          input,
          at: Math.floor(rng() * 40),
          lasts: pick([0, 0, 1, 2, 3, 5, 8]),
          srcip: pick(['10.0.0.1', '10.0.0.2', '10.0.0.3']),
          dstip: pick(['10.0.0.1', '10.0.0.2', '192.0.2.1']),
          srcport: 40000 + Math.floor(rng() * 6),
          dstport: pick([80, 443]),
          packets: 1 + Math.floor(rng() * 10),
        }),
      );
  return out;
}

/** Matched tuples as "idA,idB[,idC]" in branch order, sorted. */
function tuples(body: string, recs: FlowRecord[], branches = ['A', 'B']): string[] {
  const r = run(mergerQuery(body, branches), recs);
  return r.matches.map((m) => m.groups.map((g) => g.group.members[0].rec_id).join(',')).sort();
}

/** What a nested loop over every combination finds. */
function brute(recs: FlowRecord[], test: (t: FlowRecord[]) => boolean, branches = 2): string[] {
  const by = Array.from({ length: branches }, (_, i) => recs.filter((r) => r.input === i));
  const out: string[] = [];
  const walk = (t: FlowRecord[]) => {
    if (t.length === branches) {
      if (test(t)) out.push(t.map((r) => r.rec_id).join(','));
      return;
    }
    for (const r of by[t.length]) walk([...t, r]);
  };
  walk([]);
  return out.sort();
}

const S = 1000;

describe('the merger finds exactly the tuples a nested loop finds', () => {
  const recs = () => randomRecords(11, 60);

  it('every Allen relation, both ways round, with and without delta', () => {
    const rs = recs();
    for (const rel of ALLEN_RELATIONS) {
      for (const delta of [undefined, 0, 1, 2.5]) {
        const d = delta === undefined ? '' : ` delta ${delta}s`;
        const dm = delta === undefined ? undefined : delta * S;
        expect(tuples(`branches A, B  A ${SYMBOL[rel]} B${d}`, rs), `A ${rel} B${d}`).toEqual(brute(rs, ([a, b]) => allenHolds(rel, a, b, dm)));
        expect(tuples(`branches A, B  B ${rel} A${d}`, rs), `B ${rel} A${d}`).toEqual(brute(rs, ([a, b]) => allenHolds(rel, b, a, dm)));
      }
    }
  });

  it('Allen relations OR-ed, and with field rules', () => {
    const rs = recs();
    expect(tuples('branches A, B  A o B OR B o A', rs)).toEqual(brute(rs, ([a, b]) => allenHolds('overlaps', a, b) || allenHolds('overlaps', b, a)));
    expect(tuples('branches A, B  A m B delta 1s OR A < B delta 3s', rs)).toEqual(
      brute(rs, ([a, b]) => allenHolds('meets', a, b, 1000) || allenHolds('before', a, b, 3000)),
    );
    expect(tuples('branches A, B  A.srcip = B.dstip  B d A OR B = A', rs)).toEqual(
      brute(rs, ([a, b]) => a.srcip === b.dstip && (allenHolds('during', b, a) || allenHolds('equals', b, a))),
    );
    expect(tuples('branches A, B  A o B OR A.packets > 8', rs)).toEqual(brute(rs, ([a, b]) => allenHolds('overlaps', a, b) || a.packets > 8));
  });

  it('equality rules (hash joins) with arithmetic and rdelta', () => {
    const rs = recs();
    expect(tuples('branches A, B  A.srcip = B.dstip  A.dstip = B.srcip', rs)).toEqual(brute(rs, ([a, b]) => a.srcip === b.dstip && a.dstip === b.srcip));
    expect(tuples('branches A, B  B.srcport = A.srcport + 1', rs)).toEqual(brute(rs, ([a, b]) => b.srcport === a.srcport + 1));
    expect(tuples('branches A, B  A.srcport = B.srcport rdelta 2', rs)).toEqual(brute(rs, ([a, b]) => b.srcport - a.srcport === 2));
    expect(tuples('branches A, B  B.srcport = A.srcport rdelta 2', rs)).toEqual(brute(rs, ([a, b]) => a.srcport - b.srcport === 2));
    expect(tuples('branches A, B  A.packets * 2 = B.packets  A.dstport = B.dstport', rs)).toEqual(brute(rs, ([a, b]) => a.packets * 2 === b.packets && a.dstport === b.dstport));
    expect(tuples('branches A, B  A.packets = B.packets delta 1  A.srcip != B.srcip', rs)).toEqual(
      brute(rs, ([a, b]) => Math.abs(a.packets - b.packets) <= 1 && a.srcip !== b.srcip),
    );
  });

  it('comparisons on start and end times become windows', () => {
    const rs = recs();
    expect(tuples('branches A, B  A.etime < B.stime', rs)).toEqual(brute(rs, ([a, b]) => a.etime < b.stime));
    expect(tuples('branches A, B  A.etime <= B.stime delta 3s', rs)).toEqual(brute(rs, ([a, b]) => b.stime - a.etime >= 0 && b.stime - a.etime <= 3000));
    expect(tuples('branches A, B  B.stime = A.stime delta 2s', rs)).toEqual(brute(rs, ([a, b]) => Math.abs(a.stime - b.stime) <= 2000));
    expect(tuples('branches A, B  B.etime > A.etime delta 4s', rs)).toEqual(brute(rs, ([a, b]) => b.etime - a.etime >= 0 && b.etime - a.etime <= 4000));
    expect(tuples('branches A, B  B.stime >= A.etime + 2s', rs)).toEqual(brute(rs, ([a, b]) => b.stime >= a.etime + 2000));
    expect(tuples('branches A, B  A.stime = B.stime rdelta 3s', rs)).toEqual(brute(rs, ([a, b]) => b.stime - a.stime === 3000));
    expect(tuples('branches A, B  NOT A < B  A.srcip = B.srcip', rs)).toEqual(brute(rs, ([a, b]) => !allenHolds('before', a, b) && a.srcip === b.srcip));
  });

  it('three branches: each rule checked once all its branches are bound', () => {
    const rs = randomRecords(5, 30, 3);
    expect(tuples('branches A, B, C  A < B delta 5s  B.srcip = C.srcip  C d B OR C s B', rs, ['A', 'B', 'C'])).toEqual(
      brute(rs, ([a, b, c]) => allenHolds('before', a, b, 5000) && b.srcip === c.srcip && (allenHolds('during', c, b) || allenHolds('starts', c, b)), 3),
    );
    expect(tuples('branches A, B, C  A.srcport = B.srcport rdelta 1  B.srcport = C.srcport rdelta 1  A.packets > B.packets  B.packets > C.packets', rs, ['A', 'B', 'C'])).toEqual(
      brute(rs, ([a, b, c]) => b.srcport === a.srcport + 1 && c.srcport === b.srcport + 1 && a.packets > b.packets && b.packets > c.packets, 3),
    );
  });
});

describe('reject modules (absence patterns)', () => {
  it('remove the exported tuples for which some group completes the reject module', () => {
    const rs = randomRecords(23, 40, 3);
    const body = `
      module m { branches A, B  A.srcip = B.srcip  A < B delta 10s }
      module r { branches A, C  A.srcip = C.srcip  C d A OR C = A }
      export m`;
    const cs = rs.filter((r) => r.input === 2);
    const expected = brute(rs.filter((r) => r.input !== 2), ([a, b]) => a.srcip === b.srcip && allenHolds('before', a, b, 10000) && !cs.some((c) => c.srcip === a.srcip && (allenHolds('during', c, a) || allenHolds('equals', c, a))));
    const got = tuples(body, rs, ['A', 'B', 'C']);
    expect(got).toEqual(expected);
    // the reject module did remove something, and the rest matched
    expect(got.length).toBeGreaterThan(0);
    expect(tuples('module m { branches A, B  A.srcip = B.srcip  A < B delta 10s } export m module r { branches A, C  A.srcip = C.srcip  C d A OR C = A }', rs, ['A', 'B', 'C']).length).toBe(got.length);
    expect(brute(rs.filter((r) => r.input !== 2), ([a, b]) => a.srcip === b.srcip && allenHolds('before', a, b, 10000)).length).toBeGreaterThan(got.length);
  });

  it('"an INVITE with no answer from the same host within 5 s"', () => {
    const recs = [
      flow({ input: 0, at: 0, srcip: '10.0.0.1', app: 'sip' }), // answered at 3 s
      flow({ input: 1, at: 3, srcip: '10.0.0.1' }),
      flow({ input: 0, at: 10, srcip: '10.0.0.2', app: 'sip' }), // answered too late
      flow({ input: 1, at: 16, srcip: '10.0.0.2' }),
      flow({ input: 0, at: 20, srcip: '10.0.0.3', app: 'sip' }), // an answer from another host only
      flow({ input: 1, at: 21, srcip: '10.0.0.9' }),
    ];
    const q = `
      splitter S {}
      filter invite { input = 0 }
      filter answer { input = 1 }
      merger M {
        module calls { branches A  A.n = 1 }
        module answered { branches A, B  A.srcip = B.srcip  A < B delta 5s }
        export calls
      }
      ungrouper U {}
      "input" -> S
      S branch A -> invite -> M
      S branch B -> answer -> M
      M -> U -> "output"`;
    expect(run(q, recs).matches.map((m) => m.flows.map((f) => f.rec_id))).toEqual([[3], [5]]);
  });
});

describe('the merger\'s work grows like n log n, not n²', () => {
  /** n/2 requests A→B:80 and their responses, each pair overlapping, from many hosts over time. */
  function pairs(n: number): FlowRecord[] {
    resetIds();
    const rng = mulberry32(3);
    const out: FlowRecord[] = [];
    for (let i = 0; i < n / 2; i++) {
      const client = `10.${Math.floor(rng() * 200)}.${Math.floor(rng() * 200)}.1`;
      const server = `192.0.${Math.floor(rng() * 50)}.1`;
      const port = 1024 + Math.floor(rng() * 60000);
      const at = i * 0.05;
      out.push(flow({ input: 0, at, lasts: 0.5, srcip: client, srcport: port, dstip: server, dstport: 80 }));
      out.push(flow({ input: 1, at: at + 0.01, lasts: 0.6, srcip: server, srcport: 80, dstip: client, dstport: port }));
    }
    return out;
  }

  const count = (body: string, n: number) => {
    const runner = createQueryRunner(compile(mergerQuery(body)));
    for (const r of pairs(n)) runner.push(r);
    const result = runner.finish();
    return { evaluations: runner.counters.ruleEvaluations, matches: result.matches.length };
  };

  for (const body of [
    'branches A, B  A o B',
    'branches A, B  B oi A OR B d A  A.srcip = B.dstip',
    'branches A, B  A.srcip = B.dstip  A.dstip = B.srcip  A.srcport = B.dstport  A o B',
    'branches A, B  A o B delta 10ms  A.srcport = B.dstport',
    'branches A, B  A.srcport = B.dstport  B.stime - A.stime < 1s',
    'branches A, B  A o B  A.bytes <= B.bytes  A.srcip = B.dstip',
  ]) {
    it(body, () => {
      const sizes = [2000, 4000, 8000, 16000];
      const results = sizes.map((n) => count(body, n));
      // every request pairs with its response (and by chance maybe a few more)
      results.forEach((r, i) => expect(r.matches).toBeGreaterThanOrEqual(sizes[i] / 2));
      for (let i = 1; i < results.length; i++) {
        const growth = results[i].evaluations / results[i - 1].evaluations;
        expect(growth, `rule evaluations ${results.map((r) => r.evaluations).join(', ')}`).toBeGreaterThan(1.6);
        expect(growth, `rule evaluations ${results.map((r) => r.evaluations).join(', ')}`).toBeLessThan(2.5);
      }
    });
  }
});
