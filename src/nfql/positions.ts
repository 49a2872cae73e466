/**
 * Positions are for error messages only: two ASTs mean the same query when
 * they are equal without them. `stripPositions` is how tests (and the
 * learner) compare ASTs.
 */

/** A deep copy of `node` without any `pos` property. */
export function stripPositions<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n) => stripPositions(n)) as T;
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === 'pos' || v === undefined) continue;
    out[k] = stripPositions(v);
  }
  return out as T;
}
