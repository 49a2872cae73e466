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
import { embeddedIpv4Number, type Prefix64, prefixOf } from './nat64.js';
import { formatIp } from '../flow/addr.js';
import { createPendingTable } from './xlat-pending.js';

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
/** at most this many flows waiting to be paired: beyond it the ended ones leave at once, and if open flows alone exceed it the table starts over */
export const MAX_PENDING = 65_536;

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

/** label indexes (0: no label, the empty text) */
const LABELS = ['', 'nat64-v6', 'clat', '4in6', '6in4'] as const;
const L_NAT64_V6 = 1;
const L_CLAT = 2;
const L_4IN6 = 3;
const L_6IN4 = 4;

/*
 * One flow's side of a translation: an id (from 1) into `sides`, SIDE_WORDS 32-bit words each
 * (recId apart, a Float64Array): no object per flow.
 */
/** 6: IPv6 side (NAT64 prefix), 4: IPv4 side, 0: tunnel or not paired */
const SIDE = 0;
const LABEL = 1;
/** IP protocol, ICMPv6 counted as ICMP (what it becomes across the translator) */
const PROTO = 2;
/** 1: toward the IPv4 host (v6: destination in the prefix; v4: destination is the host) */
const FWD = 3;
/** the other endpoint's port (client side) */
const CLIENT_PORT = 4;
/** the paired side's id; 0: none; RELEASED: paired, and the peer's id given back (nothing reads it any more) */
const PEER = 5;
/** 1 once the flow's record was written */
const CLOSED = 6;
/** this flow's first packet: IP version, ports, addresses as 32-bit words (the first alone for IPv4), formatted only when paired */
const IPVER = 7;
const SRC_PORT = 8;
const DST_PORT = 9;
const SRC = 10;
const DST = 14;
/** the pairing key: the IPv4 host (its address as a signed 32-bit word) and its port */
const HOST_WORD = 18;
const PORT_WORD = 19;
const SIDE_WORDS = 20;
const RELEASED = -1;

/** The pending table's class of a flow: its side, direction and protocol, the three a pairing must agree on. */
function classOf(side: number, fwd: number, proto: number): number {
  return (side === 6 ? 1 : 0) | (fwd << 1) | (proto << 2);
}

/** 192.0.0.0/29 (RFC 6333/7335: B4 and CLAT addresses) */
function inClatRange(a: number, b: number, c: number, d: number): boolean {
  return a === 192 && b === 0 && c === 0 && d < 8;
}

/** Where a flow's first packet's addresses are put back together when a pairing needs them as text. */
const scratch = new Uint8Array(16);

/** an SDP media list ("a.b.c.d:port", "[v6]:port") holds an IPv4 endpoint */
function announcesIpv4(media: FlowRecord[string]): boolean {
  return Array.isArray(media) && media.some((m) => typeof m === 'string' && !m.startsWith('['));
}

/** 32 bits at `buf[off]`, signed (as an Int32Array holds them) */
function v4At(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

/**
 * Whether the xlat tagger may claim a flow that begins with this packet: a tunneled one (4in6, 6in4),
 * an IPv6 one with an address in a NAT64 prefix, or any IPv4 one (it is claimed when an IPv6-side flow
 * toward its host waits to be paired, which only the tagger knows).
 */
export function xlatMayClaim(view: PacketView, buf: Uint8Array, pref64: readonly Prefix64[]): boolean {
  if (view.tunnelType === V4INV6 || view.tunnelType === V6INV4) return true;
  if (view.ipVersion === 6) return prefixOf(pref64, buf, view.dstOff) !== undefined || prefixOf(pref64, buf, view.srcOff) !== undefined;
  return view.ipVersion === 4;
}

/** A fresh xlat tagger (its pending flows belong to one pipeline). */
export function createXlatTagger(): Tagger<number> {
  let sides = new Int32Array(0);
  let recIds = new Float64Array(0);
  /** ids given back, reused first; ids below `nextId` have been handed out */
  let free = new Int32Array(0);
  let freeCount = 0;
  let nextId = 1;

  function newId(): number {
    if (freeCount > 0) return free[--freeCount];
    const id = nextId++;
    if (id >= recIds.length) {
      const c = Math.max(1024, recIds.length * 2);
      const w = new Int32Array(c * SIDE_WORDS); w.set(sides); sides = w;
      const r = new Float64Array(c); r.set(recIds); recIds = r;
      const f = new Int32Array(c); f.set(free); free = f;
      pending.reserve(c);
    }
    return id;
  }

  /**
   * Gives `id` back once nothing can read it any more: its record is written, it left the pending
   * table, and it has no peer or the peer's record is written too (a peer reads its side's addresses,
   * label and rec_id when its own record is written).
   */
  function release(id: number): void {
    const o = id * SIDE_WORDS;
    if (sides[o + CLOSED] !== 1 || pending.isPending(id)) return;
    const peer = sides[o + PEER];
    if (peer > 0) {
      if (sides[peer * SIDE_WORDS + CLOSED] !== 1) return;
      // the peer may still wait in the table: it stays paired, but must not read this id again
      sides[peer * SIDE_WORDS + PEER] = RELEASED;
    }
    sides[o + CLOSED] = 0;
    free[freeCount++] = id;
  }

  const pending = createPendingTable(release);
  let lastPrune = -Infinity;

  function add(id: number): void {
    const o = id * SIDE_WORDS;
    pending.add(id, sides[o + HOST_WORD], sides[o + PORT_WORD], classOf(sides[o + SIDE], sides[o + FWD], sides[o + PROTO]), sides[o + CLIENT_PORT]);
    if (pending.size > MAX_PENDING) {
      pending.prune(Infinity, PAIR_WINDOW_MS);
      // still full of open flows: start over rather than scan on every add (pairing is best effort)
      if (pending.size > MAX_PENDING) pending.clear();
    }
  }

  /**
   * The matching flow of the other side to pair `id` with, or 0: of the flows that could pair (of
   * the other side, same direction and protocol, not paired, still open or ended at most
   * PAIR_WINDOW_MS ago), the most recently begun one with the same client port, else the most
   * recently begun one.
   */
  function match(id: number, now: number): number {
    const o = id * SIDE_WORDS;
    const host = sides[o + HOST_WORD], port = sides[o + PORT_WORD];
    const cls = classOf(sides[o + SIDE] === 6 ? 4 : 6, sides[o + FWD], sides[o + PROTO]);
    for (let c = pending.firstSamePort(host, port, cls, sides[o + CLIENT_PORT]); c !== 0; c = pending.olderSamePort(c)) {
      if (canPair(o, c, now)) return c;
    }
    for (let c = pending.first(host, port, cls); c !== 0; c = pending.older(c)) {
      if (canPair(o, c, now)) return c;
    }
    return 0;
  }

  /** the pending flow `c` (of the right class) can pair with the new flow at word `o` */
  function canPair(o: number, c: number, now: number): boolean {
    const q = c * SIDE_WORDS;
    if (sides[q + PEER] !== 0) return false;
    const ended = pending.endedAt(c);
    if (ended >= 0 && now - ended > PAIR_WINDOW_MS) return false;
    // the AFTR's decapsulated copy of a softwire flow (client address not yet translated) is not its NAT44 side
    return !(sides[o + IPVER] === 4 && sides[q + IPVER] === 4 && clientWord(q) === clientWord(o));
  }

  /** the first 32 bits of the client's address (the whole address for IPv4) of the side at word `o` */
  function clientWord(o: number): number {
    return sides[o + (sides[o + FWD] === 1 ? SRC : DST)];
  }

  /** a flow of the IPv4 side in the opposite direction of `v4` (same conversation) has begun */
  function answered(v4: number): boolean {
    const o = v4 * SIDE_WORDS;
    return pending.firstSamePort(sides[o + HOST_WORD], sides[o + PORT_WORD], classOf(4, sides[o + FWD] ^ 1, sides[o + PROTO]), sides[o + CLIENT_PORT]) !== 0;
  }

  /** "srcip port > dstip port" of the flow `id` */
  function flowText(id: number): string {
    const o = id * SIDE_WORDS;
    const v = sides[o + IPVER];
    return `${addrAt(o + SRC, v)} ${sides[o + SRC_PORT]} > ${addrAt(o + DST, v)} ${sides[o + DST_PORT]}`;
  }

  /** the address kept at sides[at..at+3] as text */
  function addrAt(at: number, version: number): string {
    for (let i = 0; i < 4; i++) {
      const w = sides[at + i];
      scratch[i * 4] = w >>> 24; scratch[i * 4 + 1] = (w >>> 16) & 255; scratch[i * 4 + 2] = (w >>> 8) & 255; scratch[i * 4 + 3] = w & 255;
    }
    return formatIp(scratch, 0, version);
  }

  /** the record's xlat fields */
  function setFields(id: number, rec: FlowRecord, env: TagEnv): void {
    const o = id * SIDE_WORDS;
    const side = sides[o + SIDE];
    const peer = sides[o + PEER];
    if (side === 0) { rec.xlat = LABELS[sides[o + LABEL]]; return; }
    if (side === 6) {
      // a host that announced its CLAT address (192.0.0.0/29) in SDP is a CLAT: all its flows, both ways
      if (sides[o + LABEL] === L_NAT64_V6 && env.clatHosts.size > 0 && env.clatHosts.has(addrAt(o + (sides[o + FWD] === 1 ? SRC : DST), 6))) sides[o + LABEL] = L_CLAT;
      rec.xlat = LABELS[sides[o + LABEL]];
    } else if (peer > 0 && sides[peer * SIDE_WORDS + LABEL] === L_4IN6) {
      rec.xlat = '4in6-v4';
    } else if (peer > 0) {
      rec.xlat = 'nat64-v4';
      // toward the IPv4 host, the SDP on this side was written by the IPv6-only host across the NAT64
      if (sides[o + FWD] === 1 && rec.sdp_ipv4_literal === false && announcesIpv4(rec.sdp_media)) rec.sdp_ipv4_literal = true;
    }
    if (peer > 0) {
      if (side === 6 && sides[o + FWD] === 1) rec.xlat_answered = answered(peer);
      rec.xlat_peer_flow = flowText(peer);
      if (recIds[peer] > 0) rec.xlat_peer = recIds[peer];
    }
  }

  return {
    name: 'xlat',
    annotates: true,
    fields: XLAT_FIELDS,
    claim(view: PacketView, buf: Buffer, _ts: number, env: TagEnv): number {
      if (!xlatMayClaim(view, buf, env.pref64)) return 0;
      if (view.tunnelType === V4INV6 || view.tunnelType === V6INV4 || view.ipVersion === 6) return 1;
      if (pending.size === 0) return 0;
      return pending.has(v4At(buf, view.dstOff), hostPort(view, true)) || pending.has(v4At(buf, view.srcOff), hostPort(view, false)) ? 1 : 0;
    },
    open(view, buf, ts, env): number {
      const id = newId();
      const o = id * SIDE_WORDS;
      sides.fill(0, o, o + SIDE_WORDS);
      recIds[id] = 0;
      pending.reset(id);
      sides[o + PROTO] = view.proto;
      sides[o + FWD] = 1;
      sides[o + IPVER] = view.ipVersion;
      sides[o + SRC_PORT] = view.srcPort;
      sides[o + DST_PORT] = view.dstPort;
      if (view.tunnelType === V6INV4) { sides[o + LABEL] = L_6IN4; return id; }
      if (ts - lastPrune > PAIR_WINDOW_MS) { pending.prune(ts, PAIR_WINDOW_MS); lastPrune = ts; }
      keepAddresses(o, buf, view.srcOff, view.dstOff, view.ipVersion);
      if (view.tunnelType === V4INV6) {
        // DS-Lite softwire (inner IPv4): the inside side, paired like a NAT64's IPv6 side with the flow
        // the AFTR's NAT44 makes of it. Toward the IPv4 host unless the inner destination is the B4's
        // 192.0.0.0/29 address.
        const fwd = !inClatRange(buf[view.dstOff], buf[view.dstOff + 1], buf[view.dstOff + 2], buf[view.dstOff + 3]);
        sides[o + SIDE] = 6;
        sides[o + LABEL] = L_4IN6;
        sides[o + FWD] = fwd ? 1 : 0;
        sides[o + CLIENT_PORT] = fwd ? view.srcPort : view.dstPort;
        sides[o + HOST_WORD] = v4At(buf, fwd ? view.dstOff : view.srcOff);
        sides[o + PORT_WORD] = fwd ? view.dstPort : view.srcPort;
      } else if (view.ipVersion === 6) {
        let pre = prefixOf(env.pref64, buf, view.dstOff);
        const fwd = pre !== undefined;
        pre ??= prefixOf(env.pref64, buf, view.srcOff)!;
        const hostOff = fwd ? view.dstOff : view.srcOff;
        const clientOff = fwd ? view.srcOff : view.dstOff;
        sides[o + SIDE] = 6;
        sides[o + FWD] = fwd ? 1 : 0;
        // a CLAT's own IPv6 address embedding its 192.0.0.0/29 address in the last 32 bits
        sides[o + LABEL] = inClatRange(buf[clientOff + 12], buf[clientOff + 13], buf[clientOff + 14], buf[clientOff + 15]) ? L_CLAT : L_NAT64_V6;
        sides[o + CLIENT_PORT] = fwd ? view.srcPort : view.dstPort;
        if (view.proto === ICMPV6) {
          // the translator makes ICMP echo of ICMPv6 echo (RFC 7915); other ICMPv6 types are not paired
          if (view.dstPort !== ECHO_REQUEST_V6 && view.dstPort !== ECHO_REPLY_V6) return id;
          sides[o + PROTO] = ICMP;
        }
        sides[o + HOST_WORD] = embeddedIpv4Number(pre, buf, hostOff) | 0;
        sides[o + PORT_WORD] = hostPort(view, fwd);
      } else {
        if (view.proto === ICMP && view.dstPort !== ECHO_REQUEST && view.dstPort !== ECHO_REPLY) return id;
        const fwd = pending.has(v4At(buf, view.dstOff), hostPort(view, true));
        sides[o + SIDE] = 4;
        sides[o + FWD] = fwd ? 1 : 0;
        sides[o + CLIENT_PORT] = fwd ? view.srcPort : view.dstPort;
        sides[o + HOST_WORD] = v4At(buf, fwd ? view.dstOff : view.srcOff);
        sides[o + PORT_WORD] = hostPort(view, fwd);
      }
      const peer = match(id, ts);
      if (peer !== 0) { sides[o + PEER] = peer; sides[peer * SIDE_WORDS + PEER] = id; }
      add(id);
      return id;
    },
    packet() {
      return false;
    },
    close(id, rec: FlowRecord, env: TagEnv) {
      const o = id * SIDE_WORDS;
      pending.ended(id, rec.etime);
      recIds[id] = rec.rec_id;
      setFields(id, rec, env);
      sides[o + CLOSED] = 1;
      const peer = sides[o + PEER];
      // still pending: released when it leaves the table
      release(id);
      if (peer > 0) release(peer);
    },
  };

  /** Keeps the first packet's addresses as 32-bit words (one for IPv4, four for IPv6). */
  function keepAddresses(o: number, buf: Uint8Array, srcOff: number, dstOff: number, version: number): void {
    const n = version === 4 ? 1 : 4;
    for (let i = 0; i < n; i++) {
      sides[o + SRC + i] = v4At(buf, srcOff + 4 * i);
      sides[o + DST + i] = v4At(buf, dstOff + 4 * i);
    }
  }
}
