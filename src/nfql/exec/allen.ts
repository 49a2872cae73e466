/**
 * Allen's interval relations (Allen 1983) between two groups' [stime, etime].
 *
 * Without delta — X = [xs, xe], Y = [ys, ye]; for intervals with xs < xe and
 * ys < ye these are exactly the textbook definitions:
 *
 *   X before Y        (<)   xe < ys
 *   X meets Y         (m)   xe = ys
 *   X overlaps Y      (o)   xs < ys < xe < ye
 *   X starts Y        (s)   xs = ys, xe < ye
 *   X during Y        (d)   ys < xs, xe < ye
 *   X finishes Y      (f)   ys < xs, xe = ye
 *   X equals Y        (=)   xs = ys, xe = ye
 *   and the converses after (>), metby (mi), overlappedby (oi), startedby (si),
 *   contains (di), finishedby (fi): X rel⁻¹ Y ⇔ Y rel X.
 *
 * Flows can last zero time (one packet: xs = xe), where the textbook
 * conditions overlap (a point at the start of an interval both meets and
 * starts it). flowsig decides every pair by one rule, so that exactly one
 * relation holds for any two intervals: compare the starts, then the ends;
 * only when X starts and ends before Y does the end of X against the start
 * of Y choose between before / meets / overlaps (mirrored for after / metby
 * / overlappedby):
 *
 *                 xe < ye                    xe = ye       xe > ye
 *   xs < ys   before|meets|overlaps          finishedby    contains
 *             (xe <,=,> ys)
 *   xs = ys   starts                         equals        startedby
 *   xs > ys   during                         finishes      after|metby|overlappedby
 *                                                          (xs >,=,< ye)
 *
 * So a one-packet flow at the start of another starts it, one at its end
 * finishes it, one inside it is during it; two one-packet flows at the same
 * time are equal; meets/metby only hold between intervals of non-zero length.
 *
 * With `delta d` (d ≥ 0, milliseconds) every equality of endpoints in the
 * table holds within d (|a − b| ≤ d), strict inequalities stay strict, and
 * for before/after d is the largest gap allowed:
 *
 *   X before Y   delta d   0 < ys − xe ≤ d
 *   X after Y    delta d   0 < xs − ye ≤ d
 *   X meets Y    delta d   xs < ys, xe < ye, |ys − xe| ≤ d   (a gap or an overlap of at most d)
 *   X metby Y    delta d   ys < xs, ye < xe, |xs − ye| ≤ d
 *   X starts Y   delta d   |xs − ys| ≤ d, xe < ye            (startedby: xe > ye)
 *   X finishes Y delta d   |xe − ye| ≤ d, ys < xs            (finishedby: xs < ys)
 *   X equals Y   delta d   |xs − ys| ≤ d, |xe − ye| ≤ d
 *   overlaps, overlappedby, during, contains: no equality, delta changes nothing.
 *
 * With a delta several relations may hold for one pair (that is the point of
 * a tolerance); every relation but before/after holds for at least the
 * pairs it holds for without delta. `delta 0` is the same as no delta,
 * except that `X < Y delta 0` holds for nothing (no gap allowed).
 */
import type { AllenRelation } from '../ast.js';

export interface Interval {
  stime: number;
  etime: number;
}

export const CONVERSE: Readonly<Record<AllenRelation, AllenRelation>> = {
  before: 'after',
  after: 'before',
  meets: 'metby',
  metby: 'meets',
  overlaps: 'overlappedby',
  overlappedby: 'overlaps',
  starts: 'startedby',
  startedby: 'starts',
  during: 'contains',
  contains: 'during',
  finishes: 'finishedby',
  finishedby: 'finishes',
  equals: 'equals',
};

/** Does `x rel y` hold? `delta` undefined: exact (the partition above); a number: with that tolerance. */
export function allenHolds(rel: AllenRelation, x: Interval, y: Interval, delta?: number): boolean {
  const xs = x.stime;
  const xe = x.etime;
  const ys = y.stime;
  const ye = y.etime;
  const d = delta ?? 0;
  const eq = (a: number, b: number) => Math.abs(a - b) <= d;
  switch (rel) {
    case 'before':
      return delta === undefined ? xe < ys : xe < ys && ys - xe <= d;
    case 'after':
      return delta === undefined ? ye < xs : ye < xs && xs - ye <= d;
    case 'meets':
      return xs < ys && xe < ye && eq(xe, ys);
    case 'metby':
      return ys < xs && ye < xe && eq(xs, ye);
    case 'overlaps':
      return xs < ys && ys < xe && xe < ye;
    case 'overlappedby':
      return ys < xs && xs < ye && ye < xe;
    case 'starts':
      return eq(xs, ys) && xe < ye;
    case 'startedby':
      return eq(xs, ys) && ye < xe;
    case 'during':
      return ys < xs && xe < ye;
    case 'contains':
      return xs < ys && ye < xe;
    case 'finishes':
      return eq(xe, ye) && ys < xs;
    case 'finishedby':
      return eq(xe, ye) && xs < ys;
    case 'equals':
      return eq(xs, ys) && eq(xe, ye);
  }
}

/**
 * Bounds on Y's start and end implied by `x rel y` (inclusive; a superset of
 * the Y that can satisfy it). The merger turns them into a binary-searched
 * window over Y's groups sorted by start time.
 */
export interface YBounds {
  startLo: number;
  startHi: number;
  endLo: number;
  endHi: number;
}

export function allenBounds(rel: AllenRelation, x: Interval, delta?: number): YBounds {
  const xs = x.stime;
  const xe = x.etime;
  const d = delta ?? 0;
  const b: YBounds = { startLo: -Infinity, startHi: Infinity, endLo: -Infinity, endHi: Infinity };
  switch (rel) {
    case 'before':
      b.startLo = xe;
      if (delta !== undefined) b.startHi = xe + d;
      break;
    case 'after':
      b.endHi = xs;
      if (delta !== undefined) b.endLo = xs - d;
      break;
    case 'meets':
      b.startLo = xe - d;
      b.startHi = xe + d;
      break;
    case 'metby':
      b.endLo = xs - d;
      b.endHi = xs + d;
      b.startHi = xs;
      break;
    case 'overlaps':
    case 'contains':
      b.startLo = xs;
      b.startHi = xe;
      break;
    case 'overlappedby':
      b.endLo = xs;
      b.endHi = xe;
      b.startHi = xs;
      break;
    case 'starts':
    case 'startedby':
      b.startLo = xs - d;
      b.startHi = xs + d;
      break;
    case 'during':
      b.startHi = xs;
      b.endLo = xe;
      break;
    case 'finishes':
      b.endLo = xe - d;
      b.endHi = xe + d;
      b.startHi = xs;
      break;
    case 'finishedby':
      b.endLo = xe - d;
      b.endHi = xe + d;
      b.startLo = xs;
      break;
    case 'equals':
      b.startLo = xs - d;
      b.startHi = xs + d;
      b.endLo = xe - d;
      b.endHi = xe + d;
      break;
  }
  return b;
}
