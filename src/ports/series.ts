/**
 * From binding lifetimes to concurrent ports per host: samples every
 * `intervalMs` from the first packet to the last (a binding counts at time t
 * when start ≤ t < end), the exact peak between samples (a sweep over every
 * binding start), and the statistics the report prints.
 */
import { mean, quantileSorted } from 'simple-statistics';
import type { BindingInterval } from './bindings.js';

export interface SeriesOptions {
  /** first sample: the first packet's time */
  startMs: number;
  /** last sample at or before this: the last packet's time */
  endMs: number;
  intervalMs: number;
  /** category of an interval (service or app label) */
  categoryOf(i: BindingInterval): string;
  /** display order of categories; ones not listed are appended */
  categories: readonly string[];
}

export interface HostSeries {
  host: string;
  /** every category of the run, in display order (the same for every host) */
  categories: string[];
  /** sample times (epoch ms), shared by all hosts */
  times: number[];
  /** byCategory[c][k]: ports of category c in use at times[k] */
  byCategory: number[][];
  /** total[k]: all ports in use at times[k] */
  total: number[];
  /** exact maximum of concurrent bindings at any instant, and the first time it was reached */
  peak: number;
  peakMs: number;
  /** bindings over the run (a port reused after expiry counts twice) */
  bindings: number;
  /**
   * The same per IP protocol (6 TCP, 17 UDP, 1/58 ICMP echo ids), in protocol order: a NAT keeps a
   * separate port space per protocol, so a port set must hold the busiest one, not the sum.
   */
  protocols: { proto: number; total: number[]; peak: number; peakMs: number }[];
}

export interface HostStats {
  peak: number;
  peakMs: number;
  /** highest sample (≤ peak: the peak may fall between samples) */
  samplePeak: number;
  mean: number;
  /** percentile → value over the samples (simple-statistics quantileSorted: linear interpolation, R type 7) */
  percentiles: Map<number, number>;
  /** per category: mean ports over the samples and share of the mean total (%) */
  breakdown: { category: string; mean: number; share: number }[];
  /** per protocol: its exact peak and its value at each percentile */
  protocols: { proto: number; peak: number; percentiles: Map<number, number> }[];
}

export function sampleTimes(startMs: number, endMs: number, intervalMs: number): number[] {
  const times: number[] = [];
  if (!(endMs >= startMs)) return times;
  const n = Math.floor((endMs - startMs) / intervalMs);
  for (let k = 0; k <= n; k++) times.push(startMs + k * intervalMs);
  return times;
}

export function buildSeries(intervals: readonly BindingInterval[], o: SeriesOptions): HostSeries[] {
  const times = sampleTimes(o.startMs, o.endMs, o.intervalMs);
  const byHost = new Map<string, BindingInterval[]>();
  const seen = new Set<string>();
  for (const i of intervals) {
    let list = byHost.get(i.host);
    if (list === undefined) byHost.set(i.host, (list = []));
    list.push(i);
    seen.add(o.categoryOf(i));
  }
  const categories = [...o.categories.filter((c) => seen.has(c)), ...[...seen].filter((c) => !o.categories.includes(c)).sort()];
  const out: HostSeries[] = [];
  for (const [host, list] of byHost) {
    const byCategory = categories.map((c) => countAt(list.filter((i) => o.categoryOf(i) === c), times));
    const total = times.map((_, k) => byCategory.reduce((sum, row) => sum + row[k], 0));
    const { peak, peakMs } = exactPeak(list);
    const protos = [...new Set(list.map((i) => i.proto))].sort((a, b) => a - b);
    const protocols = protos.map((proto) => {
      const mine = list.filter((i) => i.proto === proto);
      return { proto, total: countAt(mine, times), ...exactPeak(mine) };
    });
    out.push({ host, categories, times, byCategory, total, peak, peakMs, bindings: list.length, protocols });
  }
  return out.sort((a, b) => b.peak - a.peak || compareHosts(a.host, b.host));
}

/** Bindings alive (start ≤ t < end) at each sample time: starts so far minus ends so far. */
function countAt(list: readonly BindingInterval[], times: readonly number[]): number[] {
  const starts = list.map((i) => i.start).sort((a, b) => a - b);
  const ends = list.map((i) => i.end).sort((a, b) => a - b);
  let s = 0;
  let e = 0;
  return times.map((t) => {
    while (s < starts.length && starts[s] <= t) s++;
    while (e < ends.length && ends[e] <= t) e++;
    return s - e;
  });
}

/** The count can only rise at a binding's start: check it right after every start (ends at the same instant go first). */
function exactPeak(list: readonly BindingInterval[]): { peak: number; peakMs: number } {
  const starts = list.map((i) => i.start).sort((a, b) => a - b);
  const ends = list.map((i) => i.end).sort((a, b) => a - b);
  let peak = 0;
  let peakMs = starts.length > 0 ? starts[0] : 0;
  let e = 0;
  for (let s = 0; s < starts.length; s++) {
    const t = starts[s];
    if (s + 1 < starts.length && starts[s + 1] === t) continue; // count all starts of this instant
    while (e < ends.length && ends[e] <= t) e++;
    const alive = s + 1 - e;
    if (alive > peak) {
      peak = alive;
      peakMs = t;
    }
  }
  return { peak, peakMs };
}

export function hostStats(h: HostSeries, percentiles: readonly number[]): HostStats {
  const sorted = [...h.total].sort((a, b) => a - b);
  const meanTotal = sorted.length > 0 ? mean(sorted) : 0;
  const pct = percentilesOf(sorted, percentiles);
  const breakdown = h.categories.map((category, c) => {
    const m = h.byCategory[c].length > 0 ? mean(h.byCategory[c]) : 0;
    return { category, mean: m, share: meanTotal > 0 ? (100 * m) / meanTotal : 0 };
  });
  return {
    peak: h.peak, peakMs: h.peakMs, samplePeak: sorted.length > 0 ? sorted[sorted.length - 1] : 0,
    mean: meanTotal, percentiles: pct, breakdown,
    protocols: h.protocols.map((p) => ({ proto: p.proto, peak: p.peak, percentiles: percentilesOf([...p.total].sort((a, b) => a - b), percentiles) })),
  };
}

function percentilesOf(sorted: readonly number[], percentiles: readonly number[]): Map<number, number> {
  const pct = new Map<number, number>();
  for (const p of percentiles) pct.set(p, sorted.length > 0 ? quantileSorted(sorted as number[], p / 100) : 0);
  return pct;
}

/** Reserved ports an A+P / MAP port set leaves out: 0–1023 (RFC 7597's default PSID offset a = 6). */
export const RESERVED_PORTS = 1024;
export const USABLE_PORTS = 65536 - RESERVED_PORTS;

export interface Sizing {
  /** the highest per-host demand (ports) */
  demand: number;
  /** smallest power of two ≥ demand */
  range: number;
  /** customers sharing one IPv4 address with that range: floor(64512 / range) */
  customers: number;
}

export function sizeFor(demand: number): Sizing {
  const need = Math.max(1, Math.ceil(demand));
  let range = 1;
  while (range < need) range *= 2;
  return { demand: Math.ceil(demand), range, customers: Math.floor(USABLE_PORTS / range) };
}

/** IPv4 before IPv6, then by address bytes (numeric order for IPv4). */
export function compareHosts(a: string, b: string): number {
  const a6 = a.includes(':');
  const b6 = b.includes(':');
  if (a6 !== b6) return a6 ? 1 : -1;
  if (!a6) {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
