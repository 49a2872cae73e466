/**
 * Media endpoints announced in SDP (c=/m= lines), shared by the SIP tagger
 * (which fills it) and the RTP tagger (which looks new UDP flows up in it).
 *
 * The per-port counter makes the lookup free for nearly every UDP flow: only
 * when a flow's port was announced are addresses formatted and compared.
 */
import { formatIp } from '../flow/addr.js';
import type { PacketView } from '../decode/view.js';
import { embeddedIpv4, type Prefix64, prefixOf } from './nat64.js';

export interface Announcement {
  callId: string;
  /** when the SDP was seen */
  tsMs: number;
  /** RTP clock rate per payload type from a=rtpmap (static types are known without it) */
  clockRates: ReadonlyMap<number, number>;
}

export interface MediaMatch {
  kind: 'rtp' | 'rtcp';
  call: Announcement;
  /** which side of the packet was announced: 0 the destination, 1 the source */
  side: number;
}

export interface MediaRegistry {
  announce(address: string, port: number, call: Announcement): void;
  /** the announcement a new UDP flow's first packet matches (RTP on the port, RTCP on port + 1) */
  match(view: PacketView, buf: Buffer, prefixes: readonly Prefix64[]): MediaMatch | undefined;
  /** endpoints announced so far */
  readonly size: number;
}

/** Announcements older than this are forgotten once the table is large. */
const FORGET_AFTER_MS = 6 * 3600_000;
const PRUNE_AT = 100_000;

export function createMediaRegistry(): MediaRegistry {
  const byEndpoint = new Map<string, Announcement>();
  /** announcements per port; RTCP's port + 1 is counted too */
  const ports = new Uint32Array(65536);

  function lookupAddress(addr: string, port: number): MediaMatch | undefined {
    const rtp = byEndpoint.get(`${addr}|${port}`);
    if (rtp) return { kind: 'rtp', call: rtp, side: 0 };
    const rtcp = port > 0 ? byEndpoint.get(`${addr}|${port - 1}`) : undefined;
    if (rtcp) return { kind: 'rtcp', call: rtcp, side: 0 };
    return undefined;
  }

  /** The address at `off` (and, when it is a NAT64 address, the IPv4 address inside it). */
  function lookupSide(view: PacketView, buf: Buffer, off: number, port: number, prefixes: readonly Prefix64[]): MediaMatch | undefined {
    if (ports[port] === 0) return undefined;
    const m = lookupAddress(formatIp(buf, off, view.ipVersion), port);
    if (m || view.ipVersion !== 6) return m;
    const pre = prefixOf(prefixes, buf, off);
    return pre ? lookupAddress(embeddedIpv4(pre, buf, off), port) : undefined;
  }

  function prune(): void {
    let newest = 0;
    for (const a of byEndpoint.values()) if (a.tsMs > newest) newest = a.tsMs;
    for (const [k, a] of byEndpoint) {
      if (newest - a.tsMs > FORGET_AFTER_MS) {
        byEndpoint.delete(k);
        const port = Number(k.slice(k.lastIndexOf('|') + 1));
        ports[port]--;
        if (port < 65535) ports[port + 1]--;
      }
    }
  }

  return {
    announce(address, port, call) {
      const key = `${address}|${port}`;
      if (!byEndpoint.has(key)) {
        ports[port]++;
        if (port < 65535) ports[port + 1]++;
        if (byEndpoint.size >= PRUNE_AT) prune();
      }
      byEndpoint.set(key, call);
    },
    match(view, buf, prefixes) {
      const dst = lookupSide(view, buf, view.dstOff, view.dstPort, prefixes);
      if (dst) return dst;
      const src = lookupSide(view, buf, view.srcOff, view.srcPort, prefixes);
      return src ? { ...src, side: 1 } : undefined;
    },
    get size() {
      return byEndpoint.size;
    },
  };
}
