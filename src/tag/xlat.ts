/**
 * The `xlat` tagger: labels translated and tunneled flows and pairs each
 * IPv6-side NAT64 flow with the IPv4-side flow the translator made of it.
 *
 * Pairing is decided when the second of the two flows begins (its first
 * packet), so it needs no record buffering: whichever side begins second
 * pairs with the most recently begun, still unpaired flow of the other side
 * that matches (same protocol, the IPv4 host = the address embedded in the
 * NAT64 address, the same IPv4-host port, the same client port when one
 * preserves it, otherwise any) and is still open or ended at most
 * PAIR_WINDOW_MS ago. "Most recently begun" follows the nesting of a
 * translator captured on every interface: the forward packet is seen on the
 * IPv6 link, then on the translator's TUN as IPv6, then as IPv4 on the TUN,
 * then on the IPv4 link — so the TUN copies pair with each other and the
 * link copies with each other (the reverse direction nests the same way).
 *
 * Records: `xlat_peer_flow` (text of the other side's flow) goes on both
 * records when the peer had begun before this record was written;
 * `xlat_peer` (the other record's rec_id) only on the record written second,
 * because a record cannot be amended after it was written.
 */
import type { FieldDef } from '../flow/fields.js';
import type { FlowRecord } from '../flow/record.js';
import type { PacketView } from '../decode/view.js';
import type { Tagger, TagEnv } from './inspector.js';
import { embeddedIpv4Number, prefixOf } from './nat64.js';
import { formatIp } from '../flow/addr.js';
import { createPendingTable, type PendingEntry } from './xlat-pending.js';

export const XLAT_VALUES = ['nat64-v6', 'nat64-v4', 'clat', '4in6', '6in4', '4in6-v4'] as const;

export const XLAT_FIELDS: readonly FieldDef[] = [
  {
    name: 'xlat', aliases: [], type: 'enum', values: XLAT_VALUES, group: 'tag',
    description: 'translation/tunnel label: nat64-v6, nat64-v4 (paired IPv4 side), clat, 4in6, 6in4, 4in6-v4 (IPv4 side of a DS-Lite softwire flow, after the AFTR\'s NAT44)',
  },
  { name: 'xlat_peer', aliases: [], type: 'int', group: 'tag', description: 'rec_id of the paired flow on the other side of the NAT64 (on the record written second)' },
  { name: 'xlat_answered', aliases: [], type: 'bool', group: 'tag', description: 'on an IPv6-side flow toward the IPv4 host that was paired: traffic in the opposite direction began on the IPv4 side of that conversation before this record was written' },
  { name: 'xlat_peer_flow', aliases: [], type: 'string', group: 'tag', description: 'the paired flow on the other side of the NAT64: "srcip port > dstip port"' },
];

/** how long an ended flow stays available for pairing */
export const PAIR_WINDOW_MS = 5_000;
/** at most this many flows waiting to be paired; the oldest go first */
export const MAX_PENDING = 65_536;
/** at most this many ended sides kept for reuse */
const MAX_SPARE = 65_536;

const ICMP = 1;
const ICMPV6 = 58;
// type·256 + code, as the flow's dstport holds them
const ECHO_REQUEST = 8 << 8;
const ECHO_REPLY = 0;
const ECHO_REQUEST_V6 = 128 << 8;
const ECHO_REPLY_V6 = 129 << 8;

/**
 * The IPv4 host's port, for the pairing key: the destination port toward the host, the source port
 * from it. ICMP and ICMPv6 echo have no ports (dstport holds the type): request and reply both key
 * on 0, the direction tells them apart.
 */
function hostPort(view: PacketView, towardHost: boolean): number {
  if (view.proto === ICMP || view.proto === ICMPV6) return 0;
  return towardHost ? view.dstPort : view.srcPort;
}

const V4INV6 = 1;
const V6INV4 = 2;

/** One flow's side of a translation. Plain number fields only: one object per flow, nothing more. */
interface Side extends PendingEntry<Side> {
  /** 6: IPv6 side (NAT64 prefix), 4: IPv4 side, 0: tunnel or not paired */
  side: 0 | 4 | 6;
  label: string;
  /** IP protocol, ICMPv6 counted as ICMP (what it becomes across the translator) */
  proto: number;
  /** toward the IPv4 host (v6: destination in the prefix; v4: destination is the host) */
  fwd: boolean;
  /** the other endpoint's port (client side) */
  clientPort: number;
  recId: number;
  peer: Side | undefined;
  /** this flow's first packet: addresses as 32-bit words (s0 alone for IPv4) and ports, formatted only when paired */
  ipVersion: number;
  s0: number; s1: number; s2: number; s3: number;
  d0: number; d1: number; d2: number; d3: number;
  srcPort: number;
  dstPort: number;
}

function blankSide(): Side {
  return {
    side: 0, label: '', proto: 0, fwd: true, clientPort: 0, host: 0, port: 0, ended: -1, next: undefined, pending: false, recId: 0, peer: undefined,
    ipVersion: 0, s0: 0, s1: 0, s2: 0, s3: 0, d0: 0, d1: 0, d2: 0, d3: 0, srcPort: 0, dstPort: 0,
  };
}

/** 192.0.0.0/29 (RFC 6333/7335: B4 and CLAT addresses) */
function inClatRange(a: number, b: number, c: number, d: number): boolean {
  return a === 192 && b === 0 && c === 0 && d < 8;
}

/** Where a flow's first packet's addresses are kept until a pairing needs them as text. */
const scratch = new Uint8Array(16);

/** "srcip port > dstip port" of the flow whose addresses `s` holds. */
function flowText(s: Side): string {
  return `${addrAt(s.s0, s.s1, s.s2, s.s3, s.ipVersion)} ${s.srcPort} > ${addrAt(s.d0, s.d1, s.d2, s.d3, s.ipVersion)} ${s.dstPort}`;
}

function addrAt(w0: number, w1: number, w2: number, w3: number, version: number): string {
  putWord(0, w0); putWord(4, w1); putWord(8, w2); putWord(12, w3);
  return formatIp(scratch, 0, version);
}

function putWord(at: number, w: number): void {
  scratch[at] = w >>> 24; scratch[at + 1] = (w >>> 16) & 255; scratch[at + 2] = (w >>> 8) & 255; scratch[at + 3] = w & 255;
}

/** an SDP media list ("a.b.c.d:port", "[v6]:port") holds an IPv4 endpoint */
function announcesIpv4(media: FlowRecord[string]): boolean {
  return Array.isArray(media) && media.some((m) => typeof m === 'string' && !m.startsWith('['));
}

/** Keeps the first packet's addresses as 32-bit words (one for IPv4, four for IPv6). */
function keepAddresses(s: Side, buf: Uint8Array, srcOff: number, dstOff: number): void {
  s.s0 = v4At(buf, srcOff);
  s.d0 = v4At(buf, dstOff);
  if (s.ipVersion === 4) return;
  s.s1 = v4At(buf, srcOff + 4); s.s2 = v4At(buf, srcOff + 8); s.s3 = v4At(buf, srcOff + 12);
  s.d1 = v4At(buf, dstOff + 4); s.d2 = v4At(buf, dstOff + 8); s.d3 = v4At(buf, dstOff + 12);
}

/** 32 bits at `buf[off]`, signed: small integers stay unboxed in object fields, where an unsigned one above 2^31 would be a heap number */
function v4At(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

/** A fresh xlat tagger (its pending flows belong to one pipeline). */
export function createXlatTagger(): Tagger<Side> {
  /**
   * Sides no one can reach any more, reused by new flows: a side lives for its flow's seconds plus
   * the pairing window, so a fresh object per flow is promoted out of the young generation and
   * collected by full collections. A side is spare once it has ended, left the pending table and
   * has no peer (a paired side may still be read through its peer, so it is left to the collector).
   */
  const spare: Side[] = [];
  function recycle(s: Side): void {
    if (s.peer === undefined && spare.length < MAX_SPARE) spare.push(s);
  }
  const pending = createPendingTable<Side>(recycle);
  let lastPrune = -Infinity;

  function add(s: Side): void {
    pending.add(s);
    if (pending.size > MAX_PENDING) {
      pending.prune(Infinity, PAIR_WINDOW_MS);
      // still full of open flows: start over rather than scan on every add (pairing is best effort)
      if (pending.size > MAX_PENDING) pending.clear();
    }
  }

  /** The matching flow of the other side to pair `s` with, or undefined. */
  function match(s: Side, now: number): Side | undefined {
    let best: Side | undefined;
    let bestSamePort = false;
    // newest first
    for (let o = pending.first(s.host, s.port); o !== undefined; o = pending.older(o)) {
      if (o.side === s.side || o.peer !== undefined || o.proto !== s.proto || o.fwd !== s.fwd) continue;
      if (o.ended >= 0 && now - o.ended > PAIR_WINDOW_MS) continue;
      // the AFTR's decapsulated copy of a softwire flow (client address not yet translated) is not its NAT44 side
      if (o.ipVersion === 4 && s.ipVersion === 4 && clientWord(o) === clientWord(s)) continue;
      const samePort = o.clientPort === s.clientPort;
      if (best === undefined || (samePort && !bestSamePort)) { best = o; bestSamePort = samePort; }
      if (bestSamePort) break;
    }
    return best;
  }

  /** the first 32 bits of the client's address (the whole address for IPv4) */
  function clientWord(x: Side): number {
    return x.fwd ? x.s0 : x.d0;
  }

  /** a flow of the IPv4 side in the opposite direction of `v4` (same conversation) has begun */
  function answered(v4: Side): boolean {
    for (let o = pending.first(v4.host, v4.port); o !== undefined; o = pending.older(o)) if (o.side === 4 && o.proto === v4.proto && o.fwd !== v4.fwd && o.clientPort === v4.clientPort) return true;
    return false;
  }

  /** the record's xlat fields */
  function setFields(s: Side, rec: FlowRecord, env: TagEnv): void {
    if (s.side === 0) { rec.xlat = s.label; return; }
    if (s.side === 6) {
      // a host that announced its CLAT address (192.0.0.0/29) in SDP is a CLAT: all its flows, both ways
      if (s.label === 'nat64-v6' && env.clatHosts.size > 0 && env.clatHosts.has(s.fwd ? addrAt(s.s0, s.s1, s.s2, s.s3, 6) : addrAt(s.d0, s.d1, s.d2, s.d3, 6))) s.label = 'clat';
      rec.xlat = s.label;
    } else if (s.peer !== undefined && s.peer.label === '4in6') {
      rec.xlat = '4in6-v4';
    } else if (s.peer !== undefined) {
      rec.xlat = 'nat64-v4';
      // toward the IPv4 host, the SDP on this side was written by the IPv6-only host across the NAT64
      if (s.fwd && rec.sdp_ipv4_literal === false && announcesIpv4(rec.sdp_media)) rec.sdp_ipv4_literal = true;
    }
    if (s.peer !== undefined) {
      if (s.side === 6 && s.fwd) rec.xlat_answered = answered(s.peer);
      rec.xlat_peer_flow = flowText(s.peer);
      if (s.peer.recId > 0) rec.xlat_peer = s.peer.recId;
    }
  }

  return {
    name: 'xlat',
    annotates: true,
    fields: XLAT_FIELDS,
    claim(view: PacketView, buf: Buffer, _ts: number, env: TagEnv): number {
      if (view.tunnelType === V4INV6 || view.tunnelType === V6INV4) return 1;
      if (view.ipVersion === 6) {
        return prefixOf(env.pref64, buf, view.dstOff) !== undefined || prefixOf(env.pref64, buf, view.srcOff) !== undefined ? 1 : 0;
      }
      if (view.ipVersion !== 4 || pending.size === 0) return 0;
      return pending.has(v4At(buf, view.dstOff), hostPort(view, true)) || pending.has(v4At(buf, view.srcOff), hostPort(view, false)) ? 1 : 0;
    },
    open(view, buf, ts, env): Side {
      const s = spare.pop() ?? blankSide();
      s.side = 0; s.label = ''; s.proto = view.proto; s.fwd = true; s.clientPort = 0; s.host = 0; s.port = 0;
      s.ended = -1; s.next = undefined; s.pending = false; s.recId = 0; s.peer = undefined;
      s.ipVersion = view.ipVersion; s.srcPort = view.srcPort; s.dstPort = view.dstPort;
      s.s0 = s.s1 = s.s2 = s.s3 = s.d0 = s.d1 = s.d2 = s.d3 = 0;
      if (view.tunnelType === V6INV4) { s.label = '6in4'; return s; }
      if (ts - lastPrune > PAIR_WINDOW_MS) { pending.prune(ts, PAIR_WINDOW_MS); lastPrune = ts; }
      keepAddresses(s, buf, view.srcOff, view.dstOff);
      if (view.tunnelType === V4INV6) {
        // DS-Lite softwire (inner IPv4): the inside side, paired like a NAT64's IPv6 side with the flow
        // the AFTR's NAT44 makes of it. Toward the IPv4 host unless the inner destination is the B4's
        // 192.0.0.0/29 address.
        s.side = 6;
        s.label = '4in6';
        s.fwd = !inClatRange(buf[view.dstOff], buf[view.dstOff + 1], buf[view.dstOff + 2], buf[view.dstOff + 3]);
        s.clientPort = s.fwd ? view.srcPort : view.dstPort;
        s.host = v4At(buf, s.fwd ? view.dstOff : view.srcOff);
        s.port = s.fwd ? view.dstPort : view.srcPort;
      } else if (view.ipVersion === 6) {
        let pre = prefixOf(env.pref64, buf, view.dstOff);
        s.fwd = pre !== undefined;
        pre ??= prefixOf(env.pref64, buf, view.srcOff)!;
        const hostOff = s.fwd ? view.dstOff : view.srcOff;
        const clientOff = s.fwd ? view.srcOff : view.dstOff;
        const host = embeddedIpv4Number(pre, buf, hostOff) | 0;
        s.side = 6;
        // a CLAT's own IPv6 address embedding its 192.0.0.0/29 address in the last 32 bits
        s.label = inClatRange(buf[clientOff + 12], buf[clientOff + 13], buf[clientOff + 14], buf[clientOff + 15]) ? 'clat' : 'nat64-v6';
        s.clientPort = s.fwd ? view.srcPort : view.dstPort;
        if (view.proto === ICMPV6) {
          // the translator makes ICMP echo of ICMPv6 echo (RFC 7915); other ICMPv6 types are not paired
          if (view.dstPort !== ECHO_REQUEST_V6 && view.dstPort !== ECHO_REPLY_V6) return s;
          s.proto = ICMP;
        }
        s.host = host;
        s.port = hostPort(view, s.fwd);
      } else {
        if (view.proto === ICMP && view.dstPort !== ECHO_REQUEST && view.dstPort !== ECHO_REPLY) return s;
        s.side = 4;
        s.fwd = pending.has(v4At(buf, view.dstOff), hostPort(view, true));
        s.clientPort = s.fwd ? view.srcPort : view.dstPort;
        s.host = v4At(buf, s.fwd ? view.dstOff : view.srcOff);
        s.port = hostPort(view, s.fwd);
      }
      const peer = match(s, ts);
      if (peer !== undefined) { s.peer = peer; peer.peer = s; }
      add(s);
      return s;
    },
    packet() {
      return false;
    },
    close(s, rec: FlowRecord, env: TagEnv) {
      s.ended = rec.etime;
      s.recId = rec.rec_id;
      setFields(s, rec, env);
      // still pending: recycled when it leaves the table
      if (s.pending) pending.ended(s); else recycle(s);
    },
  };
}
