/**
 * Values at run time and how they compare (docs/nfql.md, "Values").
 *
 * A value is a number (counts, times, durations), a string (addresses in
 * canonical text, enum words, text), a boolean, or an array (a set). A field
 * the record does not have — an absent tag, a `tunnel` of an untunneled flow
 * — is undefined or null, and:
 *
 *  - `=`, `<`, `>`, `<=`, `>=`, `in`, `contains` with an absent side are false;
 *  - `!=` and `notin` are the negations of `=` and `in`, so they are true
 *    (`app != "sip"` holds for a flow without `app`, as `NOT app = "sip"` does);
 *  - an absent boolean is false, an absent set is the empty set;
 *  - arithmetic on an absent value is NaN, which compares false.
 */

export type Value = number | string | boolean | readonly (string | number)[] | null | undefined;

export function isAbsent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

/** Set members compare by value: 200 and "200" are the same SIP code (CSV flow files carry text). */
export function sameMember(a: unknown, b: unknown): boolean {
  return a === b || (typeof a !== typeof b && String(a) === String(b));
}

export function setHas(set: readonly unknown[], v: unknown): boolean {
  for (let i = 0; i < set.length; i++) if (sameMember(set[i], v)) return true;
  return false;
}

/** Same members, in any order and multiplicity. */
export function setEquals(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (const x of a) if (!setHas(b, x)) return false;
  for (const x of b) if (!setHas(a, x)) return false;
  return true;
}

/** `a = b`: absent values equal nothing, sets compare as sets. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return a !== undefined && a !== null;
  if (Array.isArray(a) && Array.isArray(b)) return setEquals(a, b);
  return false;
}

/**
 * A hash key for equality joins: equal under valuesEqual ⇔ equal keys.
 * Sets become their sorted members; absent values have no key.
 */
export function joinKey(v: unknown): string | number | boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return `\u0002${[...new Set(v.map(String))].sort().join('\u0003')}`;
  if (typeof v === 'number' && Number.isNaN(v)) return undefined;
  return v as string | number | boolean;
}

/**
 * A comparison with a tolerance, shared by grouper and merger rules
 * (docs/nfql.md §4): `d` widens `=` to a band and turns the orderings into
 * windows —
 *
 *   a = b  delta d   ⇔  |b − a| ≤ d
 *   a < b  delta d   ⇔  0 ≤ b − a ≤ d     (also `<=`: b follows a by at most d)
 *   a > b  delta d   ⇔  0 ≤ a − b ≤ d     (also `>=`)
 *
 * so `etime < stime rdelta 500ms` in a grouper means 0 ≤ new.stime − last.etime ≤ 500.
 */
export function withinDelta(op: string, a: unknown, b: unknown, d: number): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  switch (op) {
    case '=':
      return Math.abs(b - a) <= d;
    case '<':
    case '<=':
      return b - a >= 0 && b - a <= d;
    case '>':
    case '>=':
      return a - b >= 0 && a - b <= d;
    default:
      return false;
  }
}

/** `a op b` for the orderings, numbers only. */
export function ordered(op: string, a: unknown, b: unknown): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return false;
  }
}
