/**
 * "Did you mean …?": the nearest candidate by edit distance, for NFQL names
 * and (through src/cli/args.ts) command-line options and commands.
 */

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The candidate nearest to `name` (case-insensitive) and its distance, or undefined when there is none. */
export function nearest(name: string, candidates: Iterable<string>): { name: string; distance: number } | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (best === undefined || d < best.distance) best = { name: c, distance: d };
  }
  return best;
}

/** The candidate nearest to `name`, when it is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const best = nearest(name, candidates);
  // Short names are easy to mistype into any other short name: demand a closer match there.
  const allowed = Math.max(1, Math.floor(name.length / 3));
  return best !== undefined && best.distance <= allowed && best.distance < name.length ? best.name : undefined;
}
