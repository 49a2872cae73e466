/**
 * Items: the facts about one flow record that the learner can say in NFQL.
 * Each item is one filter rule (`dstport = 5060`, `sip_methods contains
 * INVITE`, `duration in [30s, 2min]`), a few words for the report, and the
 * same test in code, so mining never proposes what NFQL cannot express.
 *
 * Roles, not addresses: items never name a host. The only addresses that
 * appear are those that are the point: a NAT64 prefix (`dstip in
 * 64:ff9b::/96`) and a multicast group (`dstip = ff02::fb`).
 */
import { ckmeans } from 'simple-statistics';
import type { FlowRecord } from '../flow/record.js';
import { embeddedIpv4Text, parsePrefix64, type Prefix64 } from '../tag/nat64.js';

export interface Item {
  /** identity: equal keys are the same fact */
  key: string;
  /** one NFQL filter rule */
  rule: string;
  /** words for the report: "to port 5060", "SIP INVITE" */
  words: string;
  /**
   * how much the item says about an application (higher: kept longer by the
   * minimizer, which tries to drop the least telling rule first)
   */
  weight: number;
  test(r: FlowRecord): boolean;
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 132: 'sctp' };

/** A numeric field cut into bands at the natural breaks of its observed values (ckmeans on a log scale). */
export interface Bands {
  field: 'duration' | 'packets';
  /** ascending cut points; band i is [cuts[i-1], cuts[i]) with open ends */
  cuts: number[];
}

/** Smallest jump between neighbouring clusters (ratio of values) that makes a band edge. */
export const MIN_BAND_GAP = 3;

export function learnBands(field: Bands['field'], values: readonly number[], maxBands = 4): Bands {
  const logs = values.map((v) => Math.log10(1 + Math.max(0, v)));
  const distinct = new Set(logs.map((v) => v.toFixed(3))).size;
  const k = Math.min(maxBands, distinct);
  if (k < 2) return { field, cuts: [] };
  const clusters = ckmeans(logs, k);
  const cuts: number[] = [];
  for (let i = 1; i < clusters.length; i++) {
    // the geometric middle of the gap between two clusters, rounded to a number a person would write
    const lo = 10 ** clusters[i - 1][clusters[i - 1].length - 1] - 1;
    const hi = 10 ** clusters[i][0] - 1;
    // a cut only where the values jump by a factor of MIN_BAND_GAP: 2.7 s against 2.9 s is the
    // same call taking a little longer, not a different behaviour (a guard against chance)
    if ((1 + hi) / (1 + lo) < MIN_BAND_GAP) continue;
    cuts.push(roundNice(Math.sqrt(Math.max(lo, 0.5) * Math.max(hi, 0.5)), field));
  }
  return { field, cuts: [...new Set(cuts)].sort((a, b) => a - b) };
}

/** Two significant digits (whole packets; durations in ms, then shown in s or min). */
function roundNice(v: number, field: Bands['field']): number {
  if (field === 'packets') return Math.max(1, Math.round(v));
  if (v < 1) return 1;
  const p = 10 ** Math.max(0, Math.floor(Math.log10(v)) - 1);
  return Math.round(v / p) * p;
}

export function formatDuration(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  return `${Math.round(ms)}ms`;
}

function bandItem(b: Bands, value: number): Item | undefined {
  if (b.cuts.length === 0) return undefined;
  let i = 0;
  while (i < b.cuts.length && value >= b.cuts[i]) i++;
  const lo = i > 0 ? b.cuts[i - 1] : undefined;
  const hi = i < b.cuts.length ? b.cuts[i] : undefined;
  const fmt = b.field === 'duration' ? formatDuration : (v: number) => String(v);
  const unit = b.field === 'duration' ? '' : ' packets';
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`${b.field} >= ${fmt(lo)}`);
  if (hi !== undefined) parts.push(`${b.field} < ${fmt(hi)}`);
  const words = lo !== undefined && hi !== undefined ? `${b.field === 'duration' ? 'lasting' : 'of'} ${fmt(lo)}–${fmt(hi)}${unit}`
    : lo !== undefined ? `${b.field === 'duration' ? 'lasting at least' : 'of at least'} ${fmt(lo)}${unit}`
      : `${b.field === 'duration' ? 'lasting less than' : 'of fewer than'} ${fmt(hi!)}${unit}`;
  return {
    key: `${b.field}#${i}`,
    // one item, two rules at most: the minimizer drops the item as a whole
    rule: parts.join('\n'),
    words,
    weight: 1,
    test: (r) => (lo === undefined || (r[b.field] as number) >= lo) && (hi === undefined || (r[b.field] as number) < hi),
  };
}

export interface ItemContext {
  bands: Bands[];
  /** ports ≥ 1024 that at least two client endpoints used, over all runs (see serviceOf) */
  services: Set<number>;
  /** items by key: equal keys are the same fact, so one object serves every flow */
  interned: Map<string, Item>;
  pref64: Prefix64[];
  pref64Text: string[];
}

export function itemContext(pref64Text: readonly string[], bands: Bands[], flows: readonly FlowRecord[] = []): ItemContext {
  const texts = pref64Text.length > 0 ? [...pref64Text] : ['64:ff9b::/96'];
  return { bands, services: learnServices(flows), interned: new Map(), pref64: texts.map(parsePrefix64), pref64Text: texts };
}

/** The server's port of a flow: the destination of a request (the lower or well-known port), else the source. */
function serverPort(r: FlowRecord): number {
  return r.dstport <= r.srcport || r.dstport < 1024 ? r.dstport : r.srcport;
}

/**
 * Ports of 1024 and above that are services: at least two client endpoints
 * (address and port) used them, in any run. A port that one conversation
 * happened to use once is no fact about an application — on a busy link such
 * ports differ between any two captures by chance.
 */
function learnServices(flows: readonly FlowRecord[]): Set<number> {
  const clients = new Map<number, Set<string>>();
  for (const r of flows) {
    if (r.proto !== 6 && r.proto !== 17 && r.proto !== 132) continue;
    const port = serverPort(r);
    if (port < 1024) continue;
    const client = port === r.dstport ? `${r.srcip}|${r.srcport}` : `${r.dstip}|${r.dstport}`;
    const set = clients.get(port) ?? new Set<string>();
    set.add(client);
    clients.set(port, set);
  }
  return new Set([...clients].filter(([, set]) => set.size >= 2).map(([port]) => port));
}

/** Applications whose port is a service; RTP and RTCP ports are negotiated per call. */
const FIXED_PORT_APPS = new Set(['sip', 'dns', 'mdns']);

/** Well-known ports, ports in `services`, and the port of a flow a tagger recognized as SIP, DNS or mDNS. */
function isService(r: FlowRecord, ctx: ItemContext): boolean {
  const port = serverPort(r);
  return port < 1024 || ctx.services.has(port) || (typeof r.app === 'string' && FIXED_PORT_APPS.has(r.app));
}

const APP_WORDS: Record<string, string> = { sip: 'SIP', rtp: 'RTP', rtcp: 'RTCP', dns: 'DNS', mdns: 'mDNS' };

const MULTICAST_NAMES: Record<string, string> = {
  'ff02::fb': 'mDNS group ff02::fb', '224.0.0.251': 'mDNS group 224.0.0.251',
  'ff02::1:3': 'LLMNR group ff02::1:3', '224.0.0.252': 'LLMNR group 224.0.0.252',
  'ff02::c': 'SSDP group ff02::c', '239.255.255.250': 'SSDP group 239.255.255.250',
};

function isMulticast(ip: string): boolean {
  if (ip.includes(':')) return ip.toLowerCase().startsWith('ff');
  const first = Number(ip.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Every item that holds for `r`, in a fixed order (the order items are printed in). */
export function itemsOf(r: FlowRecord, ctx: ItemContext): Item[] {
  const items: Item[] = [];
  // one object per distinct item, shared by every flow that has it (a busy capture has 10^5 flows and few distinct items)
  const add = (key: string, rule: string, words: string, weight: number, test: (x: FlowRecord) => boolean) => {
    let item = ctx.interned.get(key);
    if (!item) ctx.interned.set(key, (item = { key, rule, words, weight, test }));
    items.push(item);
  };

  add(`ipver=${r.ipver}`, `ipver = ${r.ipver}`, `over IPv${r.ipver}`, 2, (x) => x.ipver === r.ipver);
  const protoName = PROTO_NAMES[r.proto] ?? String(r.proto);
  add(`proto=${r.proto}`, `proto = ${/^[a-z]+$/.test(protoName) ? protoName : r.proto}`, protoName.toUpperCase(), 3, (x) => x.proto === r.proto);
  if ((r.proto === 6 || r.proto === 17 || r.proto === 132) && isService(r, ctx)) {
    // the service is the server's port: the destination of a request, the source of a reply
    if (r.dstport <= r.srcport || r.dstport < 1024) add(`dstport=${r.dstport}`, `dstport = ${r.dstport}`, `to port ${r.dstport}`, 4, (x) => x.dstport === r.dstport);
    else add(`srcport=${r.srcport}`, `srcport = ${r.srcport}`, `from port ${r.srcport}`, 4, (x) => x.srcport === r.srcport);
  }
  if (isMulticast(r.dstip)) {
    add(`dstip=${r.dstip}`, `dstip = ${r.dstip}`, `to the ${MULTICAST_NAMES[r.dstip] ?? `multicast group ${r.dstip}`}`, 5, (x) => x.dstip === r.dstip);
  }
  for (const [side, ip] of [['dstip', r.dstip], ['srcip', r.srcip]] as const) {
    const i = ctx.pref64.findIndex((p) => embeddedIpv4Text([p], ip) !== undefined);
    if (i >= 0) {
      const prefix = ctx.pref64[i];
      add(`${side} in pref64#${i}`, `${side} in ${ctx.pref64Text[i]}`, `${side === 'dstip' ? 'to' : 'from'} a NAT64 address (${ctx.pref64Text[i]})`, 5,
        (x) => embeddedIpv4Text([prefix], x[side]) !== undefined);
    }
  }
  if (r.proto === 6) {
    const f = r.tcpflags;
    if (f === 0x02) add('tcp=syn-only', 'tcpflags = 0x02', 'with SYN only (never answered)', 4, (x) => x.tcpflags === 0x02);
    if (f & 0x04) add('tcp=rst', 'bitAND(tcpflags, 0x04) = 0x04', 'reset (RST)', 4, (x) => (x.tcpflags & 0x04) !== 0);
    if (f & 0x01) add('tcp=fin', 'bitAND(tcpflags, 0x01) = 0x01', 'closed with FIN', 2, (x) => (x.tcpflags & 0x01) !== 0);
    if ((f & 0x10) && !(f & 0x08)) add('tcp=no-data', 'bitAND(tcpflags, 0x18) = 0x10', 'carrying no data (ACKs without PSH)', 4, (x) => (x.tcpflags & 0x18) === 0x10);
  }
  if (r.endreason === 'rst' || r.endreason === 'fin') add(`end=${r.endreason}`, `endreason = ${r.endreason}`, `ended by ${r.endreason.toUpperCase()}`, 1, (x) => x.endreason === r.endreason);
  if (r.proto === 1 || r.proto === 58) {
    const type = Math.floor(r.dstport / 256);
    add(`icmp=${r.proto}/${r.dstport}`, `proto = ${r.proto === 58 ? 'ipv6-icmp' : 'icmp'}\ndstport = ${r.dstport}`, `ICMP type ${type} code ${r.dstport % 256}`, 4, (x) => x.proto === r.proto && x.dstport === r.dstport);
  }

  // application tags
  if (typeof r.app === 'string') add(`app=${r.app}`, `app = ${r.app}`, APP_WORDS[r.app] ?? r.app.toUpperCase(), 6, (x) => x.app === r.app);
  for (const m of setOf(r.sip_methods)) add(`sip_methods∋${m}`, `sip_methods contains ${m}`, `carrying SIP ${m}`, 7, (x) => setOf(x.sip_methods).includes(m));
  for (const c of setOf(r.sip_codes)) add(`sip_codes∋${c}`, `sip_codes contains ${c}`, `carrying SIP response ${c}`, 7, (x) => setOf(x.sip_codes).includes(c));
  for (const q of setOf(r.dns_qtypes)) add(`dns_qtypes∋${q}`, `dns_qtypes contains "${q}"`, `asking DNS ${q}`, 5, (x) => setOf(x.dns_qtypes).includes(q));
  for (const c of setOf(r.dns_rcodes)) add(`dns_rcodes∋${c}`, `dns_rcodes contains "${c}"`, `answered DNS ${c}`, 5, (x) => setOf(x.dns_rcodes).includes(c));
  const bools: [string, string, string][] = [
    ['sdp_ipv4_literal', 'whose SDP has an IPv4 literal', 'whose SDP has no IPv4 literal'],
    ['nat64', 'to or from a NAT64 address', 'not touching a NAT64 address'],
    ['dns_synth64', 'answered with a DNS64-synthesized AAAA', 'with no DNS64-synthesized answer'],
    ['rtp_reverse', 'with RTP in both directions', 'with one-way RTP'],
  ];
  // (not xlat_answered: whether the answer began before the record was written is timing, not behaviour)
  for (const [field, yes, no] of bools) {
    const v = r[field];
    if (v === true) add(`${field}`, field, yes, 6, (x) => x[field] === true);
    // `NOT field` also holds where the tag is absent, so the test says the same
    else if (v === false) add(`!${field}`, `NOT ${field}`, no, 6, (x) => x[field] !== true);
  }
  if (typeof r.xlat === 'string') {
    const words: Record<string, string> = {
      'nat64-v6': 'on the IPv6 side of the NAT64 (a native IPv6 host)', 'nat64-v4': 'on the IPv4 side of the NAT64',
      clat: 'from a 464XLAT CLAT', '4in6': 'in a 4in6 (DS-Lite) tunnel', '6in4': 'in a 6in4 tunnel',
    };
    add(`xlat=${r.xlat}`, `xlat = "${r.xlat}"`, words[r.xlat] ?? `xlat ${r.xlat}`, 6, (x) => x.xlat === r.xlat);
  }
  for (const b of ctx.bands) {
    const it = bandItem(b, r[b.field] as number);
    if (it) add(it.key, it.rule, it.words, it.weight, it.test);
  }
  return items;
}

function setOf(v: unknown): (string | number)[] {
  return Array.isArray(v) ? (v as (string | number)[]) : [];
}
