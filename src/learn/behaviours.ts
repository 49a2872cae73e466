/**
 * Behaviours: the flows of all runs clustered with k-means, so runs can be
 * compared behaviour by behaviour ("every good run has a short TCP exchange
 * to port 8080; no bad run has one").
 *
 * A flow's point is its shape, not its addresses: log duration, log packets,
 * log bytes per packet, TCP/UDP/other, and whether its service port is a
 * well-known one. k-means runs with a fixed seed and k-means++ start, so the
 * same inputs give the same clusters; clusters are then numbered by their
 * centroid (ascending, coordinate by coordinate), because the labels
 * ml-kmeans hands out can swap between seeds.
 */
import { kmeans } from 'ml-kmeans';
import type { FlowRecord } from '../flow/record.js';
import type { Run } from './runs.js';

export interface Behaviour {
  /** 1-based, in centroid order */
  id: number;
  centroid: number[];
  /** how many flows of each run belong to it, by run index */
  perRun: number[];
  /** a short description from its members: "UDP to port 5060, 2.7–2.9 s, 4–6 packets" */
  words: string;
}

export interface Behaviours {
  list: Behaviour[];
  /** behaviour id of each traffic flow, by run index then flow index */
  of: Map<FlowRecord, number>;
}

export const KMEANS_SEED = 42;
export const MAX_BEHAVIOURS = 8;
/** k-means fits its centroids on at most this many flows */
export const MAX_KMEANS_POINTS = 5000;

function point(r: FlowRecord): number[] {
  const port = Math.min(r.srcport, r.dstport);
  return [
    r.proto === 6 ? 1 : 0,
    r.proto === 17 ? 1 : 0,
    Math.log10(1 + r.duration / 1000),
    Math.log10(1 + r.packets),
    Math.log10(1 + r.bytes / Math.max(1, r.packets)) / 2,
    port > 0 && port < 1024 ? 1 : 0,
  ];
}

export function clusterBehaviours(runs: readonly Run[]): Behaviours {
  const flows: { run: number; rec: FlowRecord }[] = [];
  runs.forEach((run, i) => run.traffic.forEach((rec) => flows.push({ run: i, rec })));
  const of = new Map<FlowRecord, number>();
  if (flows.length === 0) return { list: [], of };
  const data = flows.map((f) => point(f.rec));
  const distinct = new Set(data.map((p) => p.map((v) => v.toFixed(3)).join(','))).size;
  const k = Math.max(1, Math.min(MAX_BEHAVIOURS, distinct, Math.ceil(Math.sqrt(flows.length)) + 1));
  // on a busy capture the centroids come from an evenly spaced sample (deterministic), then every flow joins its nearest
  const stride = Math.ceil(data.length / MAX_KMEANS_POINTS);
  const sample = stride > 1 ? data.filter((_, i) => i % stride === 0) : data;
  const fit = kmeans(sample, k, { seed: KMEANS_SEED, initialization: 'kmeans++', maxIterations: 100 });
  const result = { centroids: fit.centroids, clusters: stride > 1 ? fit.nearest(data) : fit.clusters };
  const used = [...new Set(result.clusters)];
  const order = used.sort((a, b) => compareVectors(result.centroids[a], result.centroids[b]));
  const idOf = new Map(order.map((label, i) => [label, i + 1]));
  const list: Behaviour[] = order.map((label, i) => ({ id: i + 1, centroid: result.centroids[label], perRun: runs.map(() => 0), words: '' }));
  const members: FlowRecord[][] = list.map(() => []);
  flows.forEach((f, i) => {
    const id = idOf.get(result.clusters[i])!;
    of.set(f.rec, id);
    list[id - 1].perRun[f.run]++;
    members[id - 1].push(f.rec);
  });
  list.forEach((b, i) => (b.words = describe(members[i])));
  return { list, of };
}

function compareVectors(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-9) return a[i] - b[i];
  return 0;
}

function range(values: number[], fmt: (v: number) => string): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return fmt(lo) === fmt(hi) ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
}

function describe(members: FlowRecord[]): string {
  const protos = [...new Set(members.map((r) => (r.proto === 6 ? 'TCP' : r.proto === 17 ? 'UDP' : r.proto === 58 ? 'ICMPv6' : r.proto === 1 ? 'ICMP' : `proto ${r.proto}`)))];
  const ports = [...new Set(members.map((r) => (r.proto === 6 || r.proto === 17 ? Math.min(r.srcport, r.dstport) : -1)).filter((p) => p >= 0))].sort((a, b) => a - b);
  const portText = ports.length === 0 ? '' : ports.length <= 3 ? ` port ${ports.join('/')}` : ` ${ports.length} ports`;
  const secs = (v: number) => (v >= 10_000 ? `${Math.round(v / 1000)} s` : `${(v / 1000).toFixed(1)} s`);
  return `${protos.join('/')}${portText}, ${range(members.map((r) => r.duration), secs)}, ${range(members.map((r) => r.packets), String)} packets (${members.length} flows)`;
}

/** Behaviours every good run has and no bad run has: what the failure is missing. */
export function missingBehaviours(b: Behaviours, runs: readonly Run[]): Behaviour[] {
  return b.list.filter((x) => runs.every((run, i) => (run.label === 'good' ? x.perRun[i] > 0 : x.perRun[i] === 0)));
}

/** Behaviours every bad run has and no good run has. */
export function onlyBadBehaviours(b: Behaviours, runs: readonly Run[]): Behaviour[] {
  return b.list.filter((x) => runs.every((run, i) => (run.label === 'bad' ? x.perRun[i] > 0 : x.perRun[i] === 0)));
}
