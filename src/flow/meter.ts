/**
 * The meter: the flow cache and its clock.
 *
 * Hot path: one call per decoded packet, no allocation. Flow state lives in
 * typed arrays indexed by a slot number (struct of arrays); the key of each
 * flow is a fixed number of 32-bit words in one slab; a chained hash table
 * maps keys to slots. Three intrusive lists order the slots:
 *   - the LRU list (open flows by last activity) drives the inactive timeout
 *     and cache-pressure eviction;
 *   - the closing list (flows that saw FIN in every direction, or RST) drives
 *     the short linger after which they end with `fin`/`rst`;
 *   - the age list (by creation) drives the active timeout.
 * A flow is in the LRU list or in the closing list (they share prev/next
 * arrays), and always in the age list.
 *
 * The clock only moves forward. For files, packet time drives it; for live
 * sources the caller also calls `advance(Date.now())` on a timer so flows
 * end when idle even if no packet arrives.
 */
import type { PacketView } from '../decode/view.js';
import type { EndReason } from './fields.js';
import {
  createAddrTextCache, endReasonIndex, newRawRecord, RAW_BIFLOW, RAW_BYTES, RAW_DST, RAW_DSTPORT, RAW_ENDREASON, RAW_ETIME, RAW_INPUT,
  RAW_IPVER, RAW_L2BYTES, RAW_PACKETS, RAW_PROTO, RAW_REC_ID, RAW_REV_BYTES, RAW_REV_L2BYTES, RAW_REV_PACKETS, RAW_REV_TCPFLAGS,
  RAW_SRC, RAW_SRCPORT, RAW_STIME, RAW_TCPFLAGS, RAW_TOS, RAW_TUN_DST, RAW_TUN_IPVER, RAW_TUN_SRC, RAW_TUNNEL, RAW_VLAN, createRecordFiller, createRecordMaker,
} from './raw.js';
import type { FlowRecord } from './record.js';

export interface KeySpec {
  /** 5: addresses, ports, protocol; 7: adds ingress interface and ToS */
  tuple: 5 | 7;
  /** add the outermost VLAN id */
  vlan: boolean;
  /** add the tunnel type and outer addresses */
  tunnel: boolean;
}

export interface MeterOptions {
  key: KeySpec;
  /** RFC 5103 bidirectional records */
  biflow: boolean;
  idleTimeoutMs: number;
  activeTimeoutMs: number;
  /** flow-table size; when full the least recently active flow ends with `cache` */
  maxFlows: number;
  /** how long a flow lingers after FIN in every direction or RST, to catch the last ACKs */
  closeLingerMs: number;
  /** how long a fragment id is remembered to attribute later fragments to its flow */
  fragmentTimeoutMs: number;
  /** application taggers (src/tag/): see FlowInspector */
  inspector?: FlowInspector;
  /** ended flows as raw records (src/flow/raw.ts) instead of FlowRecord objects to `onRecord` */
  rawSink?: RawRecordSink;
}

/**
 * Where a meter with `rawSink` sends ended flows: no FlowRecord and no address text is made of them.
 * The meter writes each raw record straight into the sink's `units` (no copy).
 */
export interface RawRecordSink {
  readonly units: Float64Array;
  /** where the next raw record goes (RAW_WORDS units from this index), or -1 when the sink takes no more */
  place(): number;
  /**
   * The raw record placed at `at` is complete. `tags` (flows a tagger claimed) is the record the
   * taggers' `end` set their fields on: counters and times as usual, but `srcip`/`dstip`/`tun_*` empty.
   * It is one record refilled for every tagged flow: read it now, keep nothing of it. `flow` is the
   * flow's slot number (as the FlowInspector knows it), free for another flow after this call.
   */
  send(at: number, tags: FlowRecord | undefined, flow: number): void;
}

/**
 * How taggers see flows. Most flows are never shown to them: `begin` says,
 * from the first packet, how many packets of the flow to show (0 for none),
 * so untagged traffic costs one call per flow and nothing per packet.
 * `flow` is the flow's slot number: valid from `begin` until `end`, after
 * which it may be reused, so per-flow state keyed by it must be dropped in `end`.
 */
export interface FlowInspector {
  begin(flow: number, view: PacketView, buf: Buffer, tsMs: number): number;
  /** one packet (dir 0: initiator or the only direction; 1: responder); false stops the inspection */
  packet(flow: number, dir: number, view: PacketView, buf: Buffer, tsMs: number): boolean;
  /**
   * The flow ends: set tag fields on its record (called for every flow whose begin returned > 0). With a
   * RawRecordSink the record carries no address text (srcip, dstip, tun_* are empty): read counters,
   * times, ports and tag fields only.
   */
  end(flow: number, rec: FlowRecord): void;
  /**
   * Every field `end` may set. Each record of a flow the taggers looked at
   * gets them all (undefined until set), so those records share one shape
   * and the writers' property reads stay monomorphic — records of varying
   * shapes made output twice as slow. Records of flows no tagger claimed
   * keep the base shape (two shapes in all).
   */
  readonly fields?: readonly string[];
}

export const DEFAULT_METER_OPTIONS: MeterOptions = {
  key: { tuple: 5, vlan: false, tunnel: false },
  biflow: false,
  idleTimeoutMs: 15_000,
  activeTimeoutMs: 30 * 60_000,
  maxFlows: 1_000_000,
  closeLingerMs: 2_000,
  fragmentTimeoutMs: 30_000,
};

export interface MeterStats {
  /** packets counted into flows (including attributed non-first fragments) */
  metered: number;
  /** non-first fragments whose first fragment never came within the fragment timeout */
  orphanFragments: number;
  flowsCreated: number;
  flowsExported: number;
  /** most flows open at once */
  peakFlows: number;
}

export interface Meter {
  /** One decoded packet (view.reason must be Undecodable.None). */
  packet(view: PacketView, buf: Buffer, tsMs: number, ifIndex: number, wireLen: number): void;
  /** Move the clock to `nowMs` (wall time for live sources) and expire what is due. */
  advance(nowMs: number): void;
  /** End every open flow (end of input, capture stopped), oldest first. */
  flush(reason?: EndReason): void;
  readonly stats: MeterStats;
  /** flows currently open */
  activeFlows(): number;
  /**
   * Read-only look at open flows, most recently active first (then the ones
   * closing after FIN/RST), at most `limit` of them: for displays (`flowsig
   * watch`). Allocates one small object per flow returned; O(limit).
   */
  activeSnapshot(limit: number): ActiveFlow[];
  /** stime of the oldest open flow (Infinity when none): no record exported later can start before it */
  oldestActiveStart(): number;
  /** the clock (ms): packet time for files, wall time when advanced by a live source; -Infinity before any */
  now(): number;
}

/** An open flow as `Meter.activeSnapshot` shows it (initiator direction; responder counters when biflow). */
export interface ActiveFlow extends Pick<FlowRecord, 'stime' | 'etime' | 'duration' | 'ipver' | 'proto' | 'srcip' | 'srcport' | 'dstip' | 'dstport' | 'packets' | 'bytes' | 'input'> {
  rev_packets: number;
  rev_bytes: number;
  /** FIN in every direction or RST seen: the flow ends after the close linger */
  closing: boolean;
}

const NONE = -1;
const TCP = 6;
const FIN = 0x01;
const RST = 0x04;

// per-flow state bits
const S_FIN0 = 1; // initiator direction sent FIN
const S_FIN1 = 2; // responder direction sent FIN (biflow)
const S_RST = 4;
const S_CLOSING = 8;
const S_SEEN1 = 16; // responder direction seen (biflow)

/** Key layout (32-bit words): [ver<<8|proto, sport<<16|dport, src×4, dst×4, (ifIndex, tos)?, vlan?, (tunType<<8|tunVer, tsrc×4, tdst×4)?] */
const W_PROTO = 0;
const W_PORTS = 1;
const W_SRC = 2;
const W_DST = 6;
const BASE_WORDS = 10;

interface FragmentEntry {
  slot: number;
  generation: number;
  dir: number;
  expiresAt: number;
  /** non-first fragments that arrived before their first fragment: ts, ipLen, wireLen triples */
  pending: number[] | null;
}

export function createMeter(options: Partial<MeterOptions>, onRecord: (rec: FlowRecord) => void): Meter {
  const opts: MeterOptions = { ...DEFAULT_METER_OPTIONS, ...options, key: { ...DEFAULT_METER_OPTIONS.key, ...options.key } };
  const { biflow } = opts;
  const idle = opts.idleTimeoutMs;
  const active = opts.activeTimeoutMs;
  const linger = opts.closeLingerMs;
  const maxFlows = Math.max(1, opts.maxFlows | 0);

  const wIf = BASE_WORDS;
  const wVlan = wIf + (opts.key.tuple === 7 ? 2 : 0);
  const wTun = wVlan + (opts.key.vlan ? 1 : 0);
  const KW = wTun + (opts.key.tunnel ? 9 : 0);
  const scratch = new Int32Array(KW);

  // ---- slot storage (grows by doubling up to maxFlows) ----
  let cap = Math.min(maxFlows, 4096);
  let keys = new Int32Array(cap * KW);
  let hashOf = new Int32Array(cap);
  let chainNext = new Int32Array(cap);
  let listPrev = new Int32Array(cap);
  let listNext = new Int32Array(cap);
  let agePrev = new Int32Array(cap);
  let ageNext = new Int32Array(cap);
  let stime = new Float64Array(cap);
  let etime = new Float64Array(cap);
  let closeAt = new Float64Array(cap);
  /** [slot*2 + dir]; dir 0 = initiator (or the only direction), 1 = responder */
  let pkts = new Float64Array(cap * 2);
  let octets = new Float64Array(cap * 2);
  let l2octets = new Float64Array(cap * 2);
  let flags = new Uint8Array(cap * 2);
  let state = new Uint8Array(cap);
  /** biflow: orientation (0/1) of the initiator's packets relative to the canonical key */
  let initOrient = new Uint8Array(cap);
  let tos = new Uint8Array(cap);
  let ifIndexOf = new Int32Array(cap);
  let vlanOf = new Uint16Array(cap);
  let tunType = new Uint8Array(cap);
  /** tunnel outer version and addresses of the first packet: [ver, src×4, dst×4] */
  let tunAddr = new Int32Array(cap * 9);
  let generation = new Uint32Array(cap);
  /** packets still to show the inspector; `inspected` marks flows whose end() is due */
  let inspectBudget = new Uint16Array(cap);
  let inspected = new Uint8Array(cap);
  const inspector = opts.inspector;
  const rawSink = opts.rawSink;
  const raw = newRawRecord();
  let freeSlots = new Int32Array(cap);
  let freeCount = 0;
  for (let s = cap - 1; s >= 0; s--) freeSlots[freeCount++] = s;

  let bucketMask = nextPow2(cap * 2) - 1;
  let buckets = new Int32Array(bucketMask + 1).fill(NONE);

  let lruHead = NONE, lruTail = NONE;
  let closeHead = NONE, closeTail = NONE;
  let ageHead = NONE, ageTail = NONE;
  let open = 0;
  let clock = -Infinity;
  let recId = 0;
  let lastFragSweep = -Infinity;
  const fragments = new Map<string, FragmentEntry>();

  const stats: MeterStats = { metered: 0, orphanFragments: 0, flowsCreated: 0, flowsExported: 0, peakFlows: 0 };
  const addrText = createAddrTextCache();
  // records of flows no tagger claimed keep the base shape: untagged flows pay nothing for the tag fields
  const plainRecord = createRecordMaker(addrText, { biflow });
  const taggedRecord = createRecordMaker(addrText, { biflow, tagFields: inspector?.fields ?? [] });
  // a RawRecordSink's taggers set their fields on one record, refilled for each tagged flow
  const tagsOnlyShape = { biflow, tagFields: inspector?.fields ?? [] };
  const tagsRecord = createRecordMaker(noAddrText, tagsOnlyShape)(raw, 0);
  const fillTagsRecord = createRecordFiller(noAddrText, tagsOnlyShape);

  function grow(): void {
    const old = cap;
    cap = Math.min(maxFlows, cap * 2);
    keys = growI32(keys, cap * KW);
    hashOf = growI32(hashOf, cap);
    chainNext = growI32(chainNext, cap);
    listPrev = growI32(listPrev, cap);
    listNext = growI32(listNext, cap);
    agePrev = growI32(agePrev, cap);
    ageNext = growI32(ageNext, cap);
    stime = growF64(stime, cap);
    etime = growF64(etime, cap);
    closeAt = growF64(closeAt, cap);
    pkts = growF64(pkts, cap * 2);
    octets = growF64(octets, cap * 2);
    l2octets = growF64(l2octets, cap * 2);
    flags = growU8(flags, cap * 2);
    state = growU8(state, cap);
    initOrient = growU8(initOrient, cap);
    tos = growU8(tos, cap);
    ifIndexOf = growI32(ifIndexOf, cap);
    const v = new Uint16Array(cap); v.set(vlanOf); vlanOf = v;
    tunType = growU8(tunType, cap);
    tunAddr = growI32(tunAddr, cap * 9);
    const g = new Uint32Array(cap); g.set(generation); generation = g;
    const ib = new Uint16Array(cap); ib.set(inspectBudget); inspectBudget = ib;
    inspected = growU8(inspected, cap);
    freeSlots = growI32(freeSlots, cap);
    for (let s = cap - 1; s >= old; s--) freeSlots[freeCount++] = s;
    if (cap * 2 > bucketMask + 1) {
      bucketMask = nextPow2(cap * 2) - 1;
      buckets = new Int32Array(bucketMask + 1).fill(NONE);
      // rehash every live slot (walk the age list: it holds all of them)
      for (let s = ageHead; s !== NONE; s = ageNext[s]) {
        const b = hashOf[s] & bucketMask;
        chainNext[s] = buckets[b];
        buckets[b] = s;
      }
    }
  }

  // ---- key building ----
  /** Writes the key for the packet into `scratch`; returns the orientation (1 = swapped for biflow). */
  function buildKey(view: PacketView, buf: Buffer, ifIndex: number): number {
    const v4 = view.ipVersion === 4;
    scratch[W_PROTO] = (view.ipVersion << 8) | view.proto;
    let orient = 0;
    readAddr(buf, view.srcOff, v4, scratch, W_SRC);
    readAddr(buf, view.dstOff, v4, scratch, W_DST);
    let sp = view.srcPort, dp = view.dstPort;
    // biflow: an echo reply belongs to the record of its request (RFC 5103 pairs them)
    if (biflow && ((view.proto === 1 && dp >>> 8 === 0) || (view.proto === 58 && dp >>> 8 === 129))) {
      dp = (view.proto === 1 ? 8 : 128) << 8 | (dp & 0xff);
    }
    // ICMP's "ports" (0, type·256+code) do not swap with the direction: order by addresses only
    const icmp = view.proto === 1 || view.proto === 58;
    if (biflow && compareEndpoints(icmp ? 0 : sp, icmp ? 0 : dp) > 0) {
      orient = 1;
      for (let i = 0; i < 4; i++) {
        const t = scratch[W_SRC + i];
        scratch[W_SRC + i] = scratch[W_DST + i];
        scratch[W_DST + i] = t;
      }
      if (!icmp) {
        const t = sp; sp = dp; dp = t;
      }
    }
    scratch[W_PORTS] = (sp << 16) | dp;
    if (KW > BASE_WORDS) {
      if (opts.key.tuple === 7) {
        scratch[wIf] = ifIndex;
        scratch[wIf + 1] = view.tos;
      }
      if (opts.key.vlan) scratch[wVlan] = view.vlan;
      if (opts.key.tunnel) {
        scratch[wTun] = (view.tunnelType << 8) | view.tunnelIpVersion;
        if (view.tunnelType !== 0) {
          const t4 = view.tunnelIpVersion === 4;
          readAddr(buf, view.tunnelSrcOff, t4, scratch, wTun + 1);
          readAddr(buf, view.tunnelDstOff, t4, scratch, wTun + 5);
        } else {
          for (let i = 1; i < 9; i++) scratch[wTun + i] = 0;
        }
      }
    }
    return orient;
  }

  /** >0 when the (src, sport) endpoint sorts after (dst, dport) */
  function compareEndpoints(sp: number, dp: number): number {
    for (let i = 0; i < 4; i++) {
      const a = scratch[W_SRC + i] >>> 0, b = scratch[W_DST + i] >>> 0;
      if (a !== b) return a > b ? 1 : -1;
    }
    return sp - dp;
  }

  /**
   * Two independent multiply chains over alternate words (the processor runs them side by side),
   * then murmur3's finalizer brings the high bits down to the low ones the buckets are chosen by.
   */
  function hashKey(): number {
    let a = 0x811c9dc5 | 0, b = 0x01000193;
    let i = 0;
    for (; i + 1 < KW; i += 2) {
      a = Math.imul(a ^ scratch[i], 0x9e3779b1);
      b = Math.imul(b ^ scratch[i + 1], 0x85ebca77);
    }
    if (i < KW) a = Math.imul(a ^ scratch[i], 0x9e3779b1);
    let h = a ^ ((b << 16) | (b >>> 16));
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  function findSlot(h: number): number {
    let s = buckets[h & bucketMask];
    while (s !== NONE) {
      if (hashOf[s] === h && keyEquals(s)) return s;
      s = chainNext[s];
    }
    return NONE;
  }

  function keyEquals(s: number): boolean {
    const base = s * KW;
    for (let i = 0; i < KW; i++) if (keys[base + i] !== scratch[i]) return false;
    return true;
  }

  // ---- lists ----
  function lruAppend(s: number): void {
    listPrev[s] = lruTail;
    listNext[s] = NONE;
    if (lruTail === NONE) lruHead = s; else listNext[lruTail] = s;
    lruTail = s;
  }
  function lruUnlink(s: number): void {
    const p = listPrev[s], n = listNext[s];
    if (p === NONE) lruHead = n; else listNext[p] = n;
    if (n === NONE) lruTail = p; else listPrev[n] = p;
  }
  function closeAppend(s: number): void {
    listPrev[s] = closeTail;
    listNext[s] = NONE;
    if (closeTail === NONE) closeHead = s; else listNext[closeTail] = s;
    closeTail = s;
  }
  function closeUnlink(s: number): void {
    const p = listPrev[s], n = listNext[s];
    if (p === NONE) closeHead = n; else listNext[p] = n;
    if (n === NONE) closeTail = p; else listPrev[n] = p;
  }
  function ageUnlink(s: number): void {
    const p = agePrev[s], n = ageNext[s];
    if (p === NONE) ageHead = n; else ageNext[p] = n;
    if (n === NONE) ageTail = p; else agePrev[n] = p;
  }

  function startClosing(s: number, now: number): void {
    if (state[s] & S_CLOSING) return;
    state[s] |= S_CLOSING;
    lruUnlink(s);
    closeAt[s] = now + linger;
    closeAppend(s);
  }

  // ---- creating and ending flows ----
  function createFlow(h: number, orient: number, view: PacketView, buf: Buffer, ts: number, ifIndex: number): number {
    if (open >= maxFlows) evictForSpace();
    if (freeCount === 0) grow();
    const s = freeSlots[--freeCount];
    keys.set(scratch, s * KW);
    hashOf[s] = h;
    const b = h & bucketMask;
    chainNext[s] = buckets[b];
    buckets[b] = s;
    stime[s] = ts;
    etime[s] = ts;
    const d = s * 2;
    pkts[d] = 0; pkts[d + 1] = 0;
    octets[d] = 0; octets[d + 1] = 0;
    l2octets[d] = 0; l2octets[d + 1] = 0;
    flags[d] = 0; flags[d + 1] = 0;
    state[s] = 0;
    initOrient[s] = orient;
    tos[s] = view.tos;
    ifIndexOf[s] = ifIndex;
    vlanOf[s] = view.vlan;
    tunType[s] = view.tunnelType;
    if (view.tunnelType !== 0) {
      const t4 = view.tunnelIpVersion === 4;
      tunAddr[s * 9] = view.tunnelIpVersion;
      readAddr(buf, view.tunnelSrcOff, t4, tunAddr, s * 9 + 1);
      readAddr(buf, view.tunnelDstOff, t4, tunAddr, s * 9 + 5);
    }
    lruAppend(s);
    agePrev[s] = ageTail;
    ageNext[s] = NONE;
    if (ageTail === NONE) ageHead = s; else ageNext[ageTail] = s;
    ageTail = s;
    open++;
    stats.flowsCreated++;
    if (open > stats.peakFlows) stats.peakFlows = open;
    return s;
  }

  function evictForSpace(): void {
    const victim = lruHead !== NONE ? lruHead : closeHead;
    if (victim !== NONE) endFlow(victim, 'cache');
  }

  function endFlow(s: number, reason: EndReason): void {
    const tagged = inspected[s] === 1;
    inspected[s] = 0;
    inspectBudget[s] = 0;
    if (rawSink !== undefined) {
      const at = rawSink.place();
      // a sink that takes no more (its reader went away) still lets the taggers end the flow
      const into = at < 0 ? raw : rawSink.units;
      const o = at < 0 ? 0 : at;
      fillRaw(s, reason, into, o);
      let tags: FlowRecord | undefined;
      if (tagged) {
        tags = tagsRecord;
        fillTagsRecord(tags, into, o);
        inspector!.end(s, tags);
      }
      if (at >= 0) rawSink.send(at, tags, s);
    } else {
      fillRaw(s, reason, raw, 0);
      const rec = tagged ? taggedRecord(raw, 0) : plainRecord(raw, 0);
      if (tagged) inspector!.end(s, rec);
      onRecord(rec);
    }
    stats.flowsExported++;
    // unlink from the hash chain
    const b = hashOf[s] & bucketMask;
    let p = buckets[b];
    if (p === s) buckets[b] = chainNext[s];
    else {
      while (chainNext[p] !== s) p = chainNext[p];
      chainNext[p] = chainNext[s];
    }
    if (state[s] & S_CLOSING) closeUnlink(s); else lruUnlink(s);
    ageUnlink(s);
    generation[s]++;
    freeSlots[freeCount++] = s;
    open--;
  }

  // A flow's key as its initiator sees it, written by orient() (no object per record).
  let oVer = 0, oProto = 0, oSrcW = W_SRC, oDstW = W_DST, oSport = 0, oDport = 0;
  function orient(s: number): void {
    const base = s * KW;
    oVer = keys[base + W_PROTO] >>> 8;
    oProto = keys[base + W_PROTO] & 0xff;
    const ports = keys[base + W_PORTS];
    oSrcW = W_SRC; oDstW = W_DST; oSport = ports >>> 16; oDport = ports & 0xffff;
    if (initOrient[s] === 1) {
      oSrcW = W_DST; oDstW = W_SRC;
      // ICMP's "ports" (0, type·256+code) do not swap with the direction
      if (oProto !== 1 && oProto !== 58) {
        const t = oSport; oSport = oDport; oDport = t;
      }
    }
  }

  /** The ended flow in slot `s` as a raw record at `into[at]`, with the next rec_id. */
  function fillRaw(s: number, reason: EndReason, into: Float64Array, at: number): void {
    const base = s * KW;
    orient(s);
    const d = s * 2;
    const tt = tunType[s];
    into[at + RAW_REC_ID] = ++recId;
    into[at + RAW_STIME] = stime[s];
    into[at + RAW_ETIME] = etime[s];
    into[at + RAW_IPVER] = oVer;
    into[at + RAW_PROTO] = oProto;
    into[at + RAW_SRCPORT] = oSport;
    into[at + RAW_DSTPORT] = oDport;
    into[at + RAW_TOS] = tos[s];
    into[at + RAW_TCPFLAGS] = flags[d];
    into[at + RAW_PACKETS] = pkts[d];
    into[at + RAW_BYTES] = octets[d];
    into[at + RAW_L2BYTES] = l2octets[d];
    into[at + RAW_INPUT] = ifIndexOf[s];
    into[at + RAW_VLAN] = vlanOf[s];
    into[at + RAW_TUNNEL] = tt;
    into[at + RAW_ENDREASON] = endReasonIndex(reason);
    for (let i = 0; i < 4; i++) {
      into[at + RAW_SRC + i] = keys[base + oSrcW + i];
      into[at + RAW_DST + i] = keys[base + oDstW + i];
    }
    if (tt !== 0) {
      const t = s * 9;
      into[at + RAW_TUN_IPVER] = tunAddr[t];
      for (let i = 0; i < 4; i++) {
        into[at + RAW_TUN_SRC + i] = tunAddr[t + 1 + i];
        into[at + RAW_TUN_DST + i] = tunAddr[t + 5 + i];
      }
    }
    into[at + RAW_BIFLOW] = biflow ? 1 : 0;
    if (biflow) {
      into[at + RAW_REV_PACKETS] = pkts[d + 1];
      into[at + RAW_REV_BYTES] = octets[d + 1];
      into[at + RAW_REV_L2BYTES] = l2octets[d + 1];
      into[at + RAW_REV_TCPFLAGS] = flags[d + 1];
    }
  }

  // ---- the clock ----
  function expireDue(now: number): void {
    while (closeHead !== NONE && closeAt[closeHead] <= now) {
      endFlow(closeHead, state[closeHead] & S_RST ? 'rst' : 'fin');
    }
    while (lruHead !== NONE && now - etime[lruHead] > idle) endFlow(lruHead, 'idle');
    while (ageHead !== NONE && now - stime[ageHead] > active) endFlow(ageHead, 'active');
    if (fragments.size > 0 && now - lastFragSweep >= 1000) sweepFragments(now);
  }

  function dueAt(now: number): boolean {
    return (closeHead !== NONE && closeAt[closeHead] <= now)
      || (lruHead !== NONE && now - etime[lruHead] > idle)
      || (ageHead !== NONE && now - stime[ageHead] > active);
  }

  // ---- fragments (rare: plain Map and string keys are fine here) ----
  function fragmentKey(view: PacketView, buf: Buffer): string {
    const n = view.ipVersion === 4 ? 4 : 16;
    let k = `${view.ipVersion}/${view.proto}/${view.fragId}/`;
    for (let i = 0; i < n; i++) k += String.fromCharCode(buf[view.srcOff + i], buf[view.dstOff + i]);
    return k;
  }

  function sweepFragments(now: number): void {
    lastFragSweep = now;
    for (const [k, e] of fragments) {
      if (e.expiresAt <= now) {
        if (e.pending) stats.orphanFragments += e.pending.length / 3;
        fragments.delete(k);
      }
    }
  }

  function count(s: number, dir: number, ts: number, ipLen: number, wireLen: number, tcpFlags: number): void {
    const d = s * 2 + dir;
    pkts[d]++;
    octets[d] += ipLen;
    l2octets[d] += wireLen;
    flags[d] |= tcpFlags;
    if (ts > etime[s]) etime[s] = ts;
    if (ts < stime[s]) stime[s] = ts;
    stats.metered++;
  }

  function nonFirstFragment(view: PacketView, buf: Buffer, ts: number, wireLen: number): void {
    const k = fragmentKey(view, buf);
    const e = fragments.get(k);
    if (e && e.slot !== NONE && generation[e.slot] === e.generation) {
      count(e.slot, e.dir, ts, view.ipLen, wireLen, 0);
      touch(e.slot);
      return;
    }
    if (e && e.slot !== NONE) {
      // its flow already ended: the fragment arrived too late to be attributed
      stats.orphanFragments++;
      return;
    }
    const waiting = e ?? { slot: NONE, generation: 0, dir: 0, expiresAt: ts + opts.fragmentTimeoutMs, pending: [] };
    waiting.pending!.push(ts, view.ipLen, wireLen);
    fragments.set(k, waiting);
  }

  function firstFragment(view: PacketView, buf: Buffer, s: number, dir: number, ts: number): void {
    const k = fragmentKey(view, buf);
    const e = fragments.get(k);
    if (e && e.pending) {
      for (let i = 0; i < e.pending.length; i += 3) count(s, dir, e.pending[i], e.pending[i + 1], e.pending[i + 2], 0);
    }
    fragments.set(k, { slot: s, generation: generation[s], dir, expiresAt: ts + opts.fragmentTimeoutMs, pending: null });
  }

  function touch(s: number): void {
    if ((state[s] & S_CLOSING) === 0 && s !== lruTail) {
      lruUnlink(s);
      lruAppend(s);
    }
  }

  function tcpEnd(s: number, dir: number, tcpFlags: number, now: number): void {
    const rst = (tcpFlags & RST) !== 0;
    state[s] |= rst ? S_RST : dir === 0 ? S_FIN0 : S_FIN1;
    if (biflow) {
      const st = state[s];
      if (rst || ((st & S_FIN0) && ((st & S_FIN1) || (st & S_SEEN1) === 0))) startClosing(s, now);
      return;
    }
    // unidirectional: a RST ends both directions; a FIN ends this one when the
    // reverse flow is absent or has sent FIN (or RST) too
    reverseScratch();
    const r = findSlot(hashKey());
    if (rst || r === NONE || (state[r] & (S_FIN0 | S_RST)) !== 0) {
      if (r !== NONE && rst) state[r] |= S_RST;
      // the older direction first, so both leave in the order they began
      if (r !== NONE && stime[r] <= stime[s]) startClosing(r, now);
      startClosing(s, now);
      if (r !== NONE) startClosing(r, now);
    }
  }

  /** Turn the key in `scratch` into the reverse direction's key (unidirectional mode). */
  function reverseScratch(): void {
    for (let i = 0; i < 4; i++) {
      const t = scratch[W_SRC + i];
      scratch[W_SRC + i] = scratch[W_DST + i];
      scratch[W_DST + i] = t;
    }
    const p = scratch[W_PORTS];
    scratch[W_PORTS] = ((p & 0xffff) << 16) | (p >>> 16);
    // 7-tuple: the reverse direction enters on whatever interface; a reverse
    // flow keyed on a different interface is not found, and the flow then
    // ends on its own FIN (documented in docs/flows.md).
  }

  function packet(view: PacketView, buf: Buffer, ts: number, ifIndex: number, wireLen: number): void {
    if (ts > clock) {
      clock = ts;
      if (dueAt(ts)) expireDue(ts);
    }
    if (view.fragment && !view.fragFirst) {
      nonFirstFragment(view, buf, ts, wireLen);
      return;
    }
    const orient = buildKey(view, buf, ifIndex);
    const h = hashKey();
    let s = findSlot(h);
    if (s === NONE) {
      s = createFlow(h, orient, view, buf, ts, ifIndex);
      if (inspector !== undefined) {
        const budget = inspector.begin(s, view, buf, ts);
        inspectBudget[s] = budget > 0xffff ? 0xffff : budget;
        inspected[s] = budget > 0 ? 1 : 0;
      }
    } else touch(s);
    const dir = orient ^ initOrient[s];
    if (dir === 1) state[s] |= S_SEEN1;
    count(s, dir, ts, view.ipLen, wireLen, view.tcpFlags);
    if (inspectBudget[s] !== 0) {
      inspectBudget[s]--;
      if (!inspector!.packet(s, dir, view, buf, ts)) inspectBudget[s] = 0;
    }
    if (view.proto === TCP && (view.tcpFlags & (FIN | RST)) !== 0) {
      if ((state[s] & S_CLOSING) === 0) tcpEnd(s, dir, view.tcpFlags, clock);
      // a RST during the linger still says how the connection ended
      else if (view.tcpFlags & RST) state[s] |= S_RST;
    }
    if (view.fragment) firstFragment(view, buf, s, dir, ts);
  }

  function advance(nowMs: number): void {
    if (nowMs > clock) clock = nowMs;
    expireDue(clock);
  }

  function flush(reason: EndReason = 'eof'): void {
    const slots: number[] = [];
    for (let s = ageHead; s !== NONE; s = ageNext[s]) slots.push(s);
    // oldest first; the age list is creation order, which breaks ties
    const order = new Map(slots.map((s, i) => [s, i]));
    slots.sort((a, b) => stime[a] - stime[b] || order.get(a)! - order.get(b)!);
    for (const s of slots) {
      // a closing flow whose linger had not run out still ended by FIN/RST
      const r: EndReason = state[s] & S_CLOSING ? (state[s] & S_RST ? 'rst' : 'fin') : reason;
      endFlow(s, r);
    }
    for (const e of fragments.values()) if (e.pending) stats.orphanFragments += e.pending.length / 3;
    fragments.clear();
  }

  function activeFlow(s: number): ActiveFlow {
    const base = s * KW;
    orient(s);
    const ver = oVer, proto = oProto, srcW = oSrcW, dstW = oDstW, sport = oSport, dport = oDport;
    const d = s * 2;
    return {
      stime: stime[s], etime: etime[s], duration: etime[s] - stime[s], ipver: ver, proto,
      srcip: addrText(keys, base + srcW, ver), srcport: sport,
      dstip: addrText(keys, base + dstW, ver), dstport: dport,
      packets: pkts[d], bytes: octets[d], rev_packets: pkts[d + 1], rev_bytes: octets[d + 1],
      input: ifIndexOf[s], closing: (state[s] & S_CLOSING) !== 0,
    };
  }

  function activeSnapshot(limit: number): ActiveFlow[] {
    const out: ActiveFlow[] = [];
    for (let s = lruTail; s !== NONE && out.length < limit; s = listPrev[s]) out.push(activeFlow(s));
    for (let s = closeTail; s !== NONE && out.length < limit; s = listPrev[s]) out.push(activeFlow(s));
    return out;
  }

  return {
    packet, advance, flush, stats, activeFlows: () => open, activeSnapshot,
    oldestActiveStart: () => (ageHead === NONE ? Infinity : stime[ageHead]),
    now: () => clock,
  };
}

/** tag records of a RawRecordSink carry no address text */
const noAddrText = (): string => '';

function readAddr(buf: Buffer, off: number, v4: boolean, into: Int32Array, at: number): void {
  into[at] = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
  if (v4) {
    into[at + 1] = 0; into[at + 2] = 0; into[at + 3] = 0;
  } else {
    into[at + 1] = (buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7];
    into[at + 2] = (buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11];
    into[at + 3] = (buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15];
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> { const b = new Int32Array(n); b.set(a); return b; }
function growF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> { const b = new Float64Array(n); b.set(a); return b; }
function growU8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> { const b = new Uint8Array(n); b.set(a); return b; }
