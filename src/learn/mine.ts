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
  /** > 0: only a chain of this many such flows (consecutive source ports) is in every bad run and no good run */
  repeat: number;
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
  /** in every bad run each attempt ended before the next began */
  sequential: boolean;
  /** in every bad run each attempt had fewer packets than the one before */
  decreasing: boolean;
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

/** `goodRuns`: every flow the pattern must not fit, by good run (all their traffic, also when mining one client's flows). */
export function minePatterns(runs: readonly Run[], itemsFor: ItemsOf, goodRuns: readonly (readonly FlowRecord[])[]): Pattern[] {
  const goodFlows = goodRuns.flat();
  const bad = runs.filter((r) => r.label === 'bad');
  const covered = (items: readonly Item[]) => items.length === 0 || goodFlows.some((g) => holds(items, g));
  // a repetition is covered when some good run has as long a chain of flows that fit the items
  const coveredChain = (items: readonly Item[], n: number) =>
    items.length === 0 || goodRuns.some((flows) => longestChain(flows.filter((g) => holds(items, g))).length >= n);
  const out: Pattern[] = [];
  const seen = new Set<string>();
  if (bad.length === 0) return out;
  // the client's own flows first: a pattern should name the client, not the NAT's copy of its traffic
  const first = bad[0];
  const seeds = [...first.traffic.filter((r) => r.srcip === first.client), ...first.traffic.filter((r) => r.srcip !== first.client)];
  const chainsOf = new Map<Run, FlowRecord[][]>(bad.map((run) => [run, chains(run.traffic)]));
  let chainChecks = 0;
  for (const seed of seeds) {
    let pattern: Item[] | undefined = itemsFor(seed);
    let repeat = 0;
    if (covered(pattern)) {
      // one such flow is ordinary; is a chain of them (consecutive source ports, one host, one server port) not?
      const chain = chainsOf.get(first)!.find((c) => c.includes(seed));
      if (!chain || chain[0] !== seed || ++chainChecks > MAX_CHAIN_CHECKS) continue;
      pattern = chain.slice(1).reduce((p, r) => intersect(p, itemsFor(r)), pattern);
      repeat = chain.length;
      if (coveredChain(pattern, repeat)) continue;
    }
    for (const run of bad.slice(1)) {
      let best: Item[] | undefined;
      let bestRepeat = 0;
      if (repeat === 0) {
        for (const g of run.traffic) {
          const common = intersect(pattern!, itemsFor(g));
          if ((!best || common.length > best.length) && !covered(common)) best = common;
        }
      } else {
        for (const chain of chainsOf.get(run)!) {
          const common = chain.reduce((p, r) => intersect(p, itemsFor(r)), pattern!);
          const n = Math.min(repeat, chain.length);
          if ((!best || common.length > best.length) && !coveredChain(common, n)) {
            best = common;
            bestRepeat = n;
          }
        }
      }
      pattern = best;
      if (repeat > 0) repeat = bestRepeat;
      if (!pattern) break;
    }
    if (!pattern) continue;
    const key = `${repeat}:${pattern.map((i) => i.key).sort().join('|')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ items: pattern, seed, repeat });
  }
  return out;
}

/** How many covered seeds may be tried as chains (each check scans the good runs). */
const MAX_CHAIN_CHECKS = 200;

/** Chains of ≥ 2 flows from one host to one server port with consecutive source ports, by first port. */
export function chains(flows: readonly FlowRecord[]): FlowRecord[][] {
  const byPair = new Map<string, FlowRecord[]>();
  for (const r of flows) {
    if (r.proto !== 6 && r.proto !== 17) continue;
    const k = `${r.srcip}|${r.dstip}|${r.dstport}`;
    const list = byPair.get(k);
    if (list) list.push(r);
    else byPair.set(k, [r]);
  }
  const out: FlowRecord[][] = [];
  for (const list of byPair.values()) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((a, b) => a.srcport - b.srcport || a.stime - b.stime);
    let chain: FlowRecord[] = [sorted[0]];
    for (const r of sorted.slice(1)) {
      if (r.srcport === chain[chain.length - 1].srcport + 1) chain.push(r);
      else if (r.srcport !== chain[chain.length - 1].srcport) {
        if (chain.length >= 2) out.push(chain);
        chain = [r];
      }
    }
    if (chain.length >= 2) out.push(chain);
  }
  return out.sort((a, b) => a[0].stime - b[0].stime);
}

function longestChain(flows: readonly FlowRecord[]): FlowRecord[] {
  let best: FlowRecord[] = [];
  for (const c of chains(flows)) if (c.length > best.length) best = c;
  return best;
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
  // traffic is in start-time order: begin at the anchor's start
  let lo = 0;
  let hi = run.traffic.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (run.traffic[mid].stime < anchor.stime) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < run.traffic.length; i++) {
    const r = run.traffic[i];
    const lag = r.stime - anchor.stime;
    if (lag > FOLLOW_WINDOW_MS) break;
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

/**
 * The smallest, over bad runs, of the longest chain of flows from one host to
 * one server port with consecutive source ports; and what holds along every
 * such chain in every bad run: each flow ends before the next starts (Allen
 * `before`), each has fewer packets than the one before.
 */
export function mineRepeat(matched: readonly FlowRecord[][]): Repeat | undefined {
  let count = Infinity;
  let sequential = true;
  let decreasing = true;
  for (const flows of matched) {
    const byPair = new Map<string, FlowRecord[]>();
    for (const r of flows) {
      const k = `${r.srcip}|${r.dstip}|${r.dstport}`;
      const list = byPair.get(k) ?? [];
      list.push(r);
      byPair.set(k, list);
    }
    let best: FlowRecord[] = [];
    for (const list of byPair.values()) {
      const sorted = [...list].sort((a, b) => a.srcport - b.srcport || a.stime - b.stime);
      let chain: FlowRecord[] = [];
      for (const r of sorted) {
        if (chain.length > 0 && r.srcport !== chain[chain.length - 1].srcport + 1) chain = [];
        if (chain.length === 0 || r.srcport === chain[chain.length - 1].srcport + 1) chain.push(r);
        if (chain.length > best.length) best = [...chain];
      }
    }
    count = Math.min(count, best.length);
    for (let i = 1; i < best.length; i++) {
      if (!(best[i - 1].etime < best[i].stime)) sequential = false;
      if (!(best[i - 1].packets > best[i].packets)) decreasing = false;
    }
  }
  if (!Number.isFinite(count) || count < 2) return undefined;
  return { count: Math.min(count, 4), sequential, decreasing };
}

/**
 * What the failing flow's reply says in every bad run: the tag items (weight ≥ 6, e.g.
 * `sdp_ipv4_literal` on a SIP answer) common to the reverse flows of the matched flows.
 * Not a separating fact (a working call's answer may carry the same), but the failure's
 * mechanism, stated so the signature fits fewer innocent hosts.
 */
export function mineAnswer(matched: readonly FlowRecord[][], runs: readonly Run[], itemsFor: ItemsOf): Item[] | undefined {
  let common: Item[] | undefined;
  const bad = runs.filter((r) => r.label === 'bad');
  for (let i = 0; i < bad.length; i++) {
    const replies = matched[i].flatMap((a) => bad[i].traffic.filter((r) => r.srcip === a.dstip && r.dstip === a.srcip && r.srcport === a.dstport && r.dstport === a.srcport && r.proto === a.proto));
    if (replies.length === 0) return undefined;
    let runCommon: Item[] | undefined;
    for (const r of replies) {
      const items = itemsFor(r).filter((x) => x.weight >= 6 && !x.key.startsWith('app=') && !x.key.startsWith('xlat=') && x.key !== 'nat64'); // implied by the reply relation
      runCommon = runCommon ? intersect(runCommon, items) : items;
    }
    common = common ? intersect(common, runCommon!) : runCommon;
  }
  return common && common.length > 0 ? common : undefined;
}

const flowKeys = new WeakMap<Run, Set<string>>();

function hasReply(run: Run, a: FlowRecord): boolean {
  let keys = flowKeys.get(run);
  if (!keys) flowKeys.set(run, (keys = new Set(run.records.map((r) => `${r.proto}|${r.srcip}|${r.srcport}|${r.dstip}|${r.dstport}`))));
  return keys.has(`${a.proto}|${a.dstip}|${a.dstport}|${a.srcip}|${a.srcport}`);
}

/**
 * "No reply": every flow of the pattern in every bad run has no reverse flow,
 * while every flow of the relaxed anchor in every good run has one. (A TCP
 * attempt shows it in its flags as well; for UDP this is the only trace.)
 */
export function mineNoReply(matched: readonly FlowRecord[][], runs: readonly Run[], pattern: readonly Item[], itemsFor: ItemsOf): boolean {
  const bad = runs.filter((r) => r.label === 'bad');
  if (matched.some((flows, i) => flows.length === 0 || flows.some((a) => hasReply(bad[i], a)))) return false;
  const anchor = relaxedAnchor(pattern, runs, itemsFor);
  if (anchor.length === 0) return false;
  return runs.filter((r) => r.label === 'good').every((run) => {
    const anchors = run.traffic.filter((r) => holds(anchor, r));
    return anchors.length > 0 && anchors.every((a) => hasReply(run, a));
  });
}
