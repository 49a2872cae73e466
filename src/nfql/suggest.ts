/**
 * "Did you mean …?" for NFQL names: the nearest candidate by edit distance
 * (the command line's), when it is close enough to be a likely typo.
 */
import { editDistance } from '../cli/args.js';

/** The candidate nearest to `name`, when it is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  // Short names are easy to mistype into any other short name: demand a closer match there.
  const allowed = Math.max(1, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= allowed && bestDistance < name.length ? best : undefined;
}
