/**
 * Mining: which facts hold in every bad run and in no good run.
 *
 * 1. Present patterns. A pattern is a set of items that one flow satisfies.
 *    Start from each flow of the first bad run (its full item set); for every
 *    other bad run, intersect with the flow of that run that keeps the most
 *    items while the pattern still fits no flow of any good run. What is left
 *    holds for a flow in every bad run and for no flow in any good run: the
 *    guard against chance is the strictest one possible (support 100 % in the
 *    bad runs, 0 % in the good ones), which is all a handful of runs allows.
 * 2. Absence. For a pattern, the "relaxed anchor" is the part it shares with
 *    the most similar flow of the good runs (the same kind of flow, minus what
 *    makes it fail). In every good run, what does the host that sent the
 *    relaxed anchor send next, within 30 s? If one item (say `app = rtp`)
 *    holds for such a follower in every good run and for no follower of the
 *    pattern's flows in any bad run, "no such flow from the same host within
 *    W" is an absence item (W: twice the largest lag seen, at least 5 s).
 * 3. Repetition. If every bad run has at least n ≥ 2 flows of the pattern from
 *    one host to one server port, with consecutive source ports, the count is
 *    an item too ("3 attempts from consecutive ports").
 */
import type { FlowRecord } from '../flow/record.js';
import type { Item, ItemContext } from './items.js';
import { itemsOf } from './items.js';
import type { Run } from './runs.js';

export interface Pattern {
  items: Item[];
  /** the flow of the first bad run it started from */
  seed: FlowRecord;
}

export interface Absence {
  item: Item;
  windowMs: number;
  /** the largest lag from anchor to follower seen in the good runs */
  maxLagMs: number;
  /** the relaxed anchor, for the report */
  anchorWords: string;
}

export interface Repeat {
  count: number;
}

export const FOLLOW_WINDOW_MS = 30_000;

type ItemsOf = (r: FlowRecord) => Item[];

export function itemCache(ctx: ItemContext): ItemsOf {
  const cache = new Map<FlowRecord, Item[]>();
  return (r) => {
    let items = cache.get(r);
    if (!items) cache.set(r, (items = itemsOf(r, ctx)));
    return items;
  };
}

const holds = (items: readonly Item[], r: FlowRecord) => items.every((i) => i.test(r));

function intersect(a: readonly Item[], b: readonly Item[]): Item[] {
  const keys = new Set(b.map((i) => i.key));
  return a.filter((i) => keys.has(i.key));
}

export function minePatterns(runs: readonly Run[], itemsFor: ItemsOf): Pattern[] {
  const bad = runs.filter((r) => r.label === 'bad');
  const goodFlows = runs.filter((r) => r.label === 'good').flatMap((r) => r.traffic);
  const covered = (items: readonly Item[]) => items.length === 0 || goodFlows.some((g) => holds(items, g));
  const out: Pattern[] = [];
  const seen = new Set<string>();
  if (bad.length === 0) return out;
  // the client's own flows first: a pattern should name the client, not the NAT's copy of its traffic
  const first = bad[0];
  const seeds = [...first.traffic.filter((r) => r.srcip === first.client), ...first.traffic.filter((r) => r.srcip !== first.client)];
  for (const seed of seeds) {
    let pattern: Item[] | undefined = itemsFor(seed);
    if (covered(pattern)) continue;
    for (const run of bad.slice(1)) {
      let best: Item[] | undefined;
      for (const g of run.traffic) {
        const common = intersect(pattern, itemsFor(g));
        if ((!best || common.length > best.length) && !covered(common)) best = common;
      }
      pattern = best;
      if (!pattern) break;
    }
    if (!pattern) continue;
    const key = pattern.map((i) => i.key).sort().join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ items: pattern, seed });
  }
  return out;
}

/** The part of `pattern` the most similar good flow shares (ties: the earlier flow). */
export function relaxedAnchor(pattern: readonly Item[], runs: readonly Run[], itemsFor: ItemsOf): Item[] {
  let best: Item[] = [];
  for (const run of runs) {
    if (run.label !== 'good') continue;
    for (const g of run.traffic) {
      const common = intersect(pattern, itemsFor(g));
      if (common.length > best.length) best = common;
    }
  }
  // an anchor of only generic facts (IPv6, UDP, a band) is no kind of flow
  return best.some((i) => i.weight >= 4) ? best : [];
}

function followers(run: Run, anchor: FlowRecord, isAnchor: (r: FlowRecord) => boolean): { rec: FlowRecord; lag: number }[] {
  const out: { rec: FlowRecord; lag: number }[] = [];
  for (const r of run.traffic) {
    const lag = r.stime - anchor.stime;
    if (r !== anchor && r.srcip === anchor.srcip && lag >= 0 && lag <= FOLLOW_WINDOW_MS && !isAnchor(r)) out.push({ rec: r, lag });
  }
  return out;
}

export function mineAbsence(pattern: readonly Item[], runs: readonly Run[], itemsFor: ItemsOf): Absence | undefined {
  const anchor = relaxedAnchor(pattern, runs, itemsFor);
  if (anchor.length === 0) return undefined;
  const good = runs.filter((r) => r.label === 'good');
  const bad = runs.filter((r) => r.label === 'bad');
  // per good run: every follower of every relaxed-anchor flow
  const goodFollowers = good.map((run) => run.traffic.filter((r) => holds(anchor, r)).flatMap((a) => followers(run, a, (x) => holds(anchor, x))));
  if (goodFollowers.some((f) => f.length === 0)) return undefined;
  const badFollowers = bad.flatMap((run) => run.traffic.filter((r) => holds(pattern, r)).flatMap((a) => followers(run, a, (x) => holds(pattern, x))));
  // candidate items: those of the first good run's followers, most telling first, in item order
  const candidates = new Map<string, Item>();
  for (const f of goodFollowers[0]) for (const i of itemsFor(f.rec)) if (i.weight >= 4 && !candidates.has(i.key)) candidates.set(i.key, i);
  const ordered = [...candidates.values()].sort((a, b) => b.weight - a.weight);
  for (const item of ordered) {
    if (!goodFollowers.every((fs) => fs.some((f) => item.test(f.rec)))) continue;
    if (badFollowers.some((f) => item.test(f.rec))) continue;
    const maxLagMs = Math.max(...goodFollowers.map((fs) => Math.min(...fs.filter((f) => item.test(f.rec)).map((f) => f.lag))));
    const windowMs = Math.max(5000, Math.ceil((2 * maxLagMs) / 1000) * 1000);
    return { item, windowMs, maxLagMs, anchorWords: anchor.map((i) => i.words).join(', ') };
  }
  return undefined;
}

/** The smallest, over bad runs, of the largest run of consecutive-port flows from one host to one server port. */
export function mineRepeat(matched: readonly FlowRecord[][]): Repeat | undefined {
  let count = Infinity;
  for (const flows of matched) {
    const byPair = new Map<string, FlowRecord[]>();
    for (const r of flows) {
      const k = `${r.srcip}|${r.dstip}|${r.dstport}`;
      const list = byPair.get(k) ?? [];
      list.push(r);
      byPair.set(k, list);
    }
    let best = 0;
    for (const list of byPair.values()) {
      const ports = [...new Set(list.map((r) => r.srcport))].sort((a, b) => a - b);
      let runLen = 1;
      for (let i = 1; i < ports.length; i++) {
        runLen = ports[i] === ports[i - 1] + 1 ? runLen + 1 : 1;
        best = Math.max(best, runLen);
      }
      best = Math.max(best, ports.length > 0 ? 1 : 0);
    }
    count = Math.min(count, best);
  }
  return Number.isFinite(count) && count >= 2 ? { count: Math.min(count, 4) } : undefined;
}
