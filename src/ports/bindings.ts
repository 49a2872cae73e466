/**
 * The NAT binding table a NAT in front of the capture point would hold,
 * rebuilt packet by packet from decoded packets (PacketView).
 *
 * A binding is (inside host, protocol, inside port) — endpoint-independent
 * mapping (RFC 4787 REQ-1, RFC 5382 REQ-1): every session from that source
 * port shares one outside port. For ICMP echo the "port" is the echo
 * identifier (RFC 5508). A binding lives from its first packet until the NAT
 * would have expired it: the latest expiry of its sessions, each session
 * expiring `timeout` after its last packet (either direction refreshes):
 *
 *   TCP  established (handshake done, no FIN/RST seen)     tcp            (RFC 5382 REQ-5: ≥ 2 h 4 min)
 *        transitory (SYN only so far, or FIN/RST seen)      tcp-transitory (RFC 5382 REQ-5: ≥ 4 min)
 *   UDP                                                     udp            (RFC 4787 REQ-5: ≥ 2 min, 5 min recommended)
 *   ICMP echo                                               icmp           (RFC 5508: query session ≥ 60 s)
 *
 * A packet for a binding whose expiry has passed starts a new binding (the
 * old one is closed at its expiry): the same port reused later counts again.
 *
 * Which side is inside: with --hosts, the end whose address is in the given
 * prefixes (sessions with both or neither end inside are not NATed and are
 * ignored). Without, the side that opened the session: the TCP SYN sender
 * (the receiver of a SYN-ACK); for a TCP session already open when the
 * capture began, the end without a well-known port (< 1024) when exactly one
 * end has one, else the first packet's sender; for UDP the first packet's
 * sender; for ICMP the echo request's sender.
 *
 * Softwires (IPv4 in IPv6: DS-Lite, lw4o6, MAP-E), decoded on the inner
 * packet: the customer is the B4 — the tunnel end on the inside — as an
 * AFTR keys its NAT on (B4 IPv6 address, inner IPv4 address, port). The host
 * is named by the B4's IPv6 address; two B4s using the same inner address
 * (192.0.0.2, RFC 6333) stay apart. --hosts matches the inner address or the
 * B4 address.
 *
 * Not bindings: packets to or from multicast, broadcast, link-local or
 * unspecified addresses (they never cross a NAT), ICMP other than echo,
 * protocols other than TCP/UDP/ICMP, non-first fragments (the first fragment
 * carries the ports), and a TCP session whose first packet is a RST.
 */
import { formatIp } from '../flow/addr.js';
import { type PacketView, TunnelType } from '../decode/view.js';
import { type Cidr, cidrContains, isLocalOnly } from './cidr.js';
import { serviceOfPort } from './services.js';

export interface Timeouts {
  tcpMs: number;
  tcpTransitoryMs: number;
  udpMs: number;
  icmpMs: number;
}

/** RFC 5382 / RFC 4787 / RFC 5508 figures (UDP: the recommended 5 minutes, not the 2-minute floor). */
/** how often (in packet time) expired sessions and bindings are swept out of the tables */
const SWEEP_MS = 60_000;

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  tcpMs: 7440_000,
  tcpTransitoryMs: 240_000,
  udpMs: 300_000,
  icmpMs: 60_000,
};

/** One binding's life: [start, end) in epoch ms. `end` is the expiry (may lie after the capture's end). */
export interface BindingInterval {
  host: string;
  proto: number;
  port: number;
  /** dns, http, https, other: from the outside port of the session that created it */
  service: string;
  start: number;
  end: number;
  /** the creating session as "proto inside-ip inside-port outside-ip outside-port" (--by app looks its tag up) */
  session?: string;
}

export interface BindingTableOptions {
  timeouts: Timeouts;
  /** inside prefixes; empty: the opener of each session is the inside host */
  hosts: readonly Cidr[];
  /** keep `session` on each interval (costs formatting per binding) */
  keepSessions: boolean;
}

export interface BindingStats {
  /** packets that created or refreshed a binding */
  counted: number;
  /** decoded packets that are no binding (see the module comment) */
  ignored: number;
}

export interface BindingTable {
  packet(view: PacketView, buf: Buffer, tsMs: number): void;
  /** bindings closed so far (expired, or reused after expiry), in closing order */
  readonly closed: BindingInterval[];
  /** closed plus every open binding with its current expiry; does not change the table */
  snapshot(): BindingInterval[];
  /** close what expired by `nowMs` and forget expired sessions (bounded memory for live capture) */
  expire(nowMs: number): void;
  /** latest packet time seen (the clock never goes backwards) */
  readonly clock: number;
  readonly stats: BindingStats;
}

const enum TcpState {
  Opening = 0,
  Established = 1,
  Closing = 2,
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const WELL_KNOWN = 1024;

interface Binding {
  key: string;
  host: string;
  proto: number;
  port: number;
  service: string;
  start: number;
  expiry: number;
  session: string | undefined;
  /** TCP: its sessions (usually one); the binding expires with the last of them */
  sessions: Session[] | undefined;
}

interface Session {
  binding: Binding | undefined;
  tcpState: TcpState;
  expiry: number;
}

export function createBindingTable(options: BindingTableOptions): BindingTable {
  const { timeouts, hosts, keepSessions } = options;
  const sessions = new Map<string, Session>();
  const bindings = new Map<string, Binding>();
  const hostNames = new Map<string, string>();
  const closed: BindingInterval[] = [];
  const stats: BindingStats = { counted: 0, ignored: 0 };
  let clock = -Infinity;
  let nextSweep = -Infinity;

  function close(b: Binding): void {
    bindings.delete(b.key);
    closed.push(intervalOf(b));
  }

  function expire(nowMs: number): void {
    for (const [key, s] of sessions) if (s.expiry <= nowMs) sessions.delete(key);
    for (const b of bindings.values()) if (b.expiry <= nowMs) close(b);
  }

  function sessionTimeout(proto: number, state: TcpState): number {
    if (proto === TCP) return state === TcpState.Established ? timeouts.tcpMs : timeouts.tcpTransitoryMs;
    return proto === UDP ? timeouts.udpMs : timeouts.icmpMs;
  }

  function hostName(addrKey: string, buf: Buffer, off: number, version: number): string {
    let name = hostNames.get(addrKey);
    if (name === undefined) {
      name = formatIp(buf, off, version);
      hostNames.set(addrKey, name);
    }
    return name;
  }

  /** 0: the source is inside, 1: the destination, -1: not a NATed session */
  function insideSide(view: PacketView, buf: Buffer, icmpType: number): number {
    const v = view.ipVersion;
    if (hosts.length > 0) {
      let src = false;
      let dst = false;
      const softwire = view.tunnelType === TunnelType.V4inV6;
      const tv = view.tunnelIpVersion;
      for (const c of hosts) {
        if (!src && (cidrContains(c, buf, view.srcOff, v) || (softwire && cidrContains(c, buf, view.tunnelSrcOff, tv)))) src = true;
        if (!dst && (cidrContains(c, buf, view.dstOff, v) || (softwire && cidrContains(c, buf, view.tunnelDstOff, tv)))) dst = true;
      }
      return src === dst ? -1 : src ? 0 : 1;
    }
    const p = view.proto;
    if (p === TCP) {
      const f = view.tcpFlags;
      if (f & SYN) return f & ACK ? 1 : 0;
      const srcWk = view.srcPort < WELL_KNOWN;
      const dstWk = view.dstPort < WELL_KNOWN;
      return srcWk && !dstWk ? 1 : 0;
    }
    if (p === UDP) return 0;
    return icmpType === 0 || icmpType === 129 ? 1 : 0; // echo reply: the receiver asked
  }

  function packet(view: PacketView, buf: Buffer, tsMs: number): void {
    if (tsMs > clock) clock = tsMs;
    const now = clock;
    if (now >= nextSweep) {
      if (nextSweep !== -Infinity) expire(now); // bounded memory over long captures
      nextSweep = now + SWEEP_MS;
    }
    const proto = view.proto;
    let srcPort = view.srcPort;
    let dstPort = view.dstPort;
    let icmpType = -1;
    if (view.fragment && !view.fragFirst) {
      stats.ignored++;
      return;
    }
    if (proto === ICMP || proto === ICMPV6) {
      icmpType = view.dstPort >> 8;
      const echo = proto === ICMP ? icmpType === 8 || icmpType === 0 : icmpType === 128 || icmpType === 129;
      // the identifier is the 2 bytes 4 bytes before the payload (type, code, checksum, id, sequence)
      if (!echo || view.payloadOff - 4 < 0 || view.payloadOff > buf.length) {
        stats.ignored++;
        return;
      }
      srcPort = dstPort = buf.readUInt16BE(view.payloadOff - 4);
    } else if (proto !== TCP && proto !== UDP) {
      stats.ignored++;
      return;
    }
    const v = view.ipVersion;
    if (isLocalOnly(buf, view.srcOff, v) || isLocalOnly(buf, view.dstOff, v)) {
      stats.ignored++;
      return;
    }
    const alen = v === 4 ? 4 : 16;
    let srcAddr = buf.toString('latin1', view.srcOff, view.srcOff + alen);
    let dstAddr = buf.toString('latin1', view.dstOff, view.dstOff + alen);
    const softwire = view.tunnelType === TunnelType.V4inV6;
    if (softwire) {
      // the B4 is part of the inside address: an AFTR keeps (B4, inner address, port)
      const tlen = view.tunnelIpVersion === 4 ? 4 : 16;
      srcAddr = buf.toString('latin1', view.tunnelSrcOff, view.tunnelSrcOff + tlen) + srcAddr;
      dstAddr = buf.toString('latin1', view.tunnelDstOff, view.tunnelDstOff + tlen) + dstAddr;
    }
    const srcEnd = srcAddr + String.fromCharCode(srcPort);
    const dstEnd = dstAddr + String.fromCharCode(dstPort);
    const key = String.fromCharCode(proto) + (srcEnd < dstEnd ? srcEnd + dstEnd : dstEnd + srcEnd);

    let s = sessions.get(key);
    if (s !== undefined && s.expiry <= now) s = undefined;
    const flags = proto === TCP ? view.tcpFlags : 0;
    if (s === undefined) {
      s = { binding: undefined, tcpState: TcpState.Established, expiry: 0 };
      sessions.set(key, s);
      if (proto === TCP) s.tcpState = flags & SYN ? TcpState.Opening : flags & (FIN | RST) ? TcpState.Closing : TcpState.Established;
      const side = proto === TCP && flags & RST ? -1 : insideSide(view, buf, icmpType);
      if (side >= 0) {
        const inAddrKey = side === 0 ? srcAddr : dstAddr;
        const inPort = side === 0 ? srcPort : dstPort;
        const outPort = side === 0 ? dstPort : srcPort;
        const bkey = String.fromCharCode(proto) + inAddrKey + String.fromCharCode(inPort);
        let b = bindings.get(bkey);
        if (b !== undefined && b.expiry <= now) {
          close(b);
          b = undefined;
        }
        if (b === undefined) {
          const inOff = side === 0 ? view.srcOff : view.dstOff;
          const outOff = side === 0 ? view.dstOff : view.srcOff;
          const host = softwire
            ? hostName(inAddrKey, buf, side === 0 ? view.tunnelSrcOff : view.tunnelDstOff, view.tunnelIpVersion)
            : hostName(inAddrKey, buf, inOff, v);
          b = {
            key: bkey, host, proto, port: inPort, service: serviceOfPort(proto, outPort), start: now, expiry: now,
            // the inner addresses, as flow records name the session (a softwire's host is its B4)
            session: keepSessions ? `${proto} ${formatIp(buf, inOff, v)} ${inPort} ${formatIp(buf, outOff, v)} ${outPort}` : undefined,
            sessions: proto === TCP ? [] : undefined,
          };
          bindings.set(bkey, b);
        }
        s.binding = b;
        b.sessions?.push(s);
      }
    } else if (proto === TCP) {
      if (flags & (FIN | RST)) s.tcpState = TcpState.Closing;
      else if (s.tcpState === TcpState.Opening && !(flags & SYN)) s.tcpState = TcpState.Established;
    }
    s.expiry = now + sessionTimeout(proto, s.tcpState);
    const b = s.binding;
    if (b === undefined) {
      stats.ignored++;
      return;
    }
    stats.counted++;
    if (b.sessions === undefined) {
      b.expiry = s.expiry;
    } else {
      // a FIN shortens its session: the binding lives as long as its longest-living session
      let expiry = s.expiry;
      let live = 0;
      for (const other of b.sessions) {
        if (other.expiry <= now) continue;
        b.sessions[live++] = other;
        if (other.expiry > expiry) expiry = other.expiry;
      }
      b.sessions.length = live;
      b.expiry = expiry;
    }
  }

  return {
    packet,
    closed,
    snapshot() {
      const open = [...bindings.values()].map(intervalOf);
      return [...closed, ...open];
    },
    expire,
    get clock() {
      return clock;
    },
    stats,
  };
}

function intervalOf(b: Binding): BindingInterval {
  const i: BindingInterval = { host: b.host, proto: b.proto, port: b.port, service: b.service, start: b.start, end: b.expiry };
  if (b.session !== undefined) i.session = b.session;
  return i;
}
