/**
 * Allen's 13 relations, exhaustively: every pair of intervals with endpoints
 * in 0..4 (zero-length ones included), with and without delta, against
 * oracles written independently of src/nfql/exec/allen.ts from Allen (1983)
 * and the delta rules of its header comment.
 */
import { describe, expect, it } from 'vitest';
import { ALLEN_RELATIONS, type AllenRelation } from '../../src/nfql/ast.js';
import { allenBounds, allenHolds, CONVERSE, type Interval } from '../../src/nfql/exec/allen.js';

const iv = (stime: number, etime: number): Interval => ({ stime, etime });

function intervals(max: number, step = 1): Interval[] {
  const out: Interval[] = [];
  for (let s = 0; s <= max; s += step) for (let e = s; e <= max; e += step) out.push(iv(s, e));
  return out;
}

const GRID = intervals(4);
const PAIRS = GRID.flatMap((x) => GRID.map((y) => [x, y] as const));
const proper = (i: Interval) => i.stime < i.etime;
const show = (x: Interval, y: Interval) => `[${x.stime},${x.etime}] vs [${y.stime},${y.etime}]`;

/** Allen 1983, Figure 2: the seven relations and their inverses, by endpoint comparisons. */
function textbook(rel: AllenRelation, x: Interval, y: Interval): boolean {
  const [xs, xe, ys, ye] = [x.stime, x.etime, y.stime, y.etime];
  switch (rel) {
    case 'before': return xe < ys;
    case 'equals': return xs === ys && xe === ye;
    case 'meets': return xe === ys;
    case 'overlaps': return xs < ys && ys < xe && xe < ye;
    case 'during': return ys < xs && xe < ye;
    case 'starts': return xs === ys && xe < ye;
    case 'finishes': return ys < xs && xe === ye;
    case 'after': return textbook('before', y, x);
    case 'metby': return textbook('meets', y, x);
    case 'overlappedby': return textbook('overlaps', y, x);
    case 'contains': return textbook('during', y, x);
    case 'startedby': return textbook('starts', y, x);
    case 'finishedby': return textbook('finishes', y, x);
  }
}

const holding = (x: Interval, y: Interval, d?: number) => ALLEN_RELATIONS.filter((r) => allenHolds(r, x, y, d));

describe('Allen relations without delta', () => {
  it('exactly one relation holds for every pair of intervals, zero-length ones included', () => {
    expect(PAIRS).toHaveLength(225);
    for (const [x, y] of PAIRS) expect(holding(x, y), show(x, y)).toHaveLength(1);
  });

  it('between intervals of non-zero length each relation holds in exactly the textbook cases', () => {
    const seen = new Set<AllenRelation>();
    for (const [x, y] of PAIRS) {
      if (!proper(x) || !proper(y)) continue;
      for (const rel of ALLEN_RELATIONS) {
        expect(allenHolds(rel, x, y), `${rel} ${show(x, y)}`).toBe(textbook(rel, x, y));
        if (textbook(rel, x, y)) seen.add(rel);
      }
    }
    // the grid reaches every configuration, and every boundary between neighbours (meets, starts, finishes, equals)
    expect([...seen].sort()).toEqual([...ALLEN_RELATIONS].sort());
  });

  it('with a zero-length interval the relation is one the textbook conditions allow, chosen by starts, then ends', () => {
    for (const [x, y] of PAIRS) {
      if (proper(x) && proper(y)) continue;
      const [rel] = holding(x, y);
      expect(textbook(rel, x, y), `${rel} ${show(x, y)}`).toBe(true);
    }
    // the documented choices
    expect(holding(iv(2, 2), iv(2, 4))).toEqual(['starts']); // not meets
    expect(holding(iv(4, 4), iv(2, 4))).toEqual(['finishes']); // not metby
    expect(holding(iv(3, 3), iv(2, 4))).toEqual(['during']);
    expect(holding(iv(2, 2), iv(2, 2))).toEqual(['equals']); // not meets nor metby
    expect(holding(iv(0, 2), iv(2, 2))).toEqual(['finishedby']);
    expect(holding(iv(1, 1), iv(2, 2))).toEqual(['before']);
    expect(holding(iv(1, 2), iv(2, 3))).toEqual(['meets']);
  });

  it('every relation and its converse agree: X r Y ⇔ Y r⁻¹ X', () => {
    for (const [x, y] of PAIRS) for (const rel of ALLEN_RELATIONS) expect(allenHolds(rel, x, y)).toBe(allenHolds(CONVERSE[rel], y, x));
  });
});

/** The header comment's delta rules, written out again. */
function withDelta(rel: AllenRelation, x: Interval, y: Interval, d: number): boolean {
  const [xs, xe, ys, ye] = [x.stime, x.etime, y.stime, y.etime];
  const near = (a: number, b: number) => Math.abs(a - b) <= d;
  switch (rel) {
    case 'before': return ys - xe > 0 && ys - xe <= d;
    case 'after': return xs - ye > 0 && xs - ye <= d;
    case 'meets': return xs < ys && xe < ye && near(ys, xe);
    case 'metby': return ys < xs && ye < xe && near(xs, ye);
    case 'starts': return near(xs, ys) && xe < ye;
    case 'startedby': return near(xs, ys) && xe > ye;
    case 'finishes': return near(xe, ye) && ys < xs;
    case 'finishedby': return near(xe, ye) && xs < ys;
    case 'equals': return near(xs, ys) && near(xe, ye);
    case 'overlaps': return xs < ys && ys < xe && xe < ye;
    case 'overlappedby': return ys < xs && xs < ye && ye < xe;
    case 'during': return ys < xs && xe < ye;
    case 'contains': return xs < ys && ye < xe;
  }
}

describe('Allen relations with delta', () => {
  const FINE = intervals(4, 0.5);
  const FINE_PAIRS = FINE.flatMap((x) => FINE.map((y) => [x, y] as const));
  const DELTAS = [0, 0.5, 1, 2];

  it('follow the documented tolerances on every pair of a half-unit grid', () => {
    for (const d of DELTAS)
      for (const [x, y] of FINE_PAIRS) for (const rel of ALLEN_RELATIONS) expect(allenHolds(rel, x, y, d), `${rel} delta ${d} ${show(x, y)}`).toBe(withDelta(rel, x, y, d));
  });

  it('only widen a relation, except before/after where delta is the largest gap', () => {
    for (const d of DELTAS)
      for (const [x, y] of FINE_PAIRS)
        for (const rel of ALLEN_RELATIONS) {
          if (rel === 'before' || rel === 'after') {
            if (allenHolds(rel, x, y, d)) expect(allenHolds(rel, x, y)).toBe(true);
          } else if (allenHolds(rel, x, y)) {
            expect(allenHolds(rel, x, y, d), `${rel} delta ${d} ${show(x, y)}`).toBe(true);
          }
        }
  });

  it('delta 0 is no delta, except that before/after delta 0 allow no gap at all', () => {
    for (const [x, y] of FINE_PAIRS)
      for (const rel of ALLEN_RELATIONS) {
        if (rel === 'before' || rel === 'after') expect(allenHolds(rel, x, y, 0)).toBe(false);
        else expect(allenHolds(rel, x, y, 0)).toBe(allenHolds(rel, x, y));
      }
  });

  it('examples: endpoints within the tolerance count as equal; before within d', () => {
    expect(allenHolds('meets', iv(0, 10), iv(10.5, 20), 1)).toBe(true); // a gap of 0.5
    expect(allenHolds('meets', iv(0, 10), iv(9.5, 20), 1)).toBe(true); // an overlap of 0.5
    expect(allenHolds('meets', iv(0, 10), iv(11.5, 20), 1)).toBe(false);
    expect(allenHolds('equals', iv(0, 10), iv(1, 9), 1)).toBe(true);
    expect(allenHolds('starts', iv(0, 5), iv(0.4, 10), 0.5)).toBe(true);
    expect(allenHolds('before', iv(0, 10), iv(15, 20), 5)).toBe(true);
    expect(allenHolds('before', iv(0, 10), iv(15.1, 20), 5)).toBe(false);
    expect(allenHolds('before', iv(0, 10), iv(15.1, 20))).toBe(true);
    expect(allenHolds('after', iv(15, 20), iv(0, 10), 5)).toBe(true);
  });

  it('are converse-consistent with delta too', () => {
    for (const d of DELTAS) for (const [x, y] of FINE_PAIRS) for (const rel of ALLEN_RELATIONS) expect(allenHolds(rel, x, y, d)).toBe(allenHolds(CONVERSE[rel], y, x, d));
  });
});

describe('the merger\'s windows', () => {
  it('contain every Y that can satisfy X r Y (with and without delta)', () => {
    const FINE = intervals(4, 0.5);
    for (const d of [undefined, 0, 0.5, 1, 2])
      for (const x of FINE)
        for (const rel of ALLEN_RELATIONS) {
          const b = allenBounds(rel, x, d);
          for (const y of FINE) {
            if (!allenHolds(rel, x, y, d)) continue;
            const where = `${rel} delta ${d} ${show(x, y)}`;
            expect(y.stime >= b.startLo && y.stime <= b.startHi, where).toBe(true);
            expect(y.etime >= b.endLo && y.etime <= b.endHi, where).toBe(true);
          }
        }
  });

  it('are narrow: the start of Y is bounded on both sides for every relation but after/during without delta bounds on the end', () => {
    const x = iv(10, 20);
    for (const rel of ALLEN_RELATIONS) {
      const b = allenBounds(rel, x, 1);
      const startBounded = Number.isFinite(b.startLo) && Number.isFinite(b.startHi);
      const endBounded = Number.isFinite(b.endLo) && Number.isFinite(b.endHi);
      const viaEnd = Number.isFinite(b.startHi) && Number.isFinite(b.endLo); // start ≥ end − longest duration
      expect(startBounded || endBounded || viaEnd, rel).toBe(true);
    }
  });
});
