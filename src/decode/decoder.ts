/**
 * From link-layer bytes to a filled PacketView: link → IP → transport, then
 * inward through tunnels. One decoder per pipeline; it allocates nothing per
 * packet.
 */
import { newCursor, type Cursor } from './cursor.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeLink } from './link.js';
import { decodeTransport } from './transport.js';
import { enterTunnel } from './tunnel.js';
import { type PacketView, resetView, Undecodable } from './view.js';

export interface DecodeOptions {
  /**
   * 'inner' (default): a tunneled packet is keyed on its innermost packet and
   * the outermost IP header goes to the tunnel fields. 'outer': tunnels are not
   * opened; the outer header is the packet.
   */
  tunnels: 'inner' | 'outer';
}

/**
 * Resets `view` and fills it from one packet: `capLen` captured bytes at
 * `off` in `buf`, framed by `linkType` (a LINKTYPE_* value). Offsets in the
 * view point into `buf`.
 */
export type Decoder = (buf: Buffer, off: number, capLen: number, linkType: number, view: PacketView) => void;

/** Tunnels inside tunnels are followed this many levels deep. */
export const MAX_TUNNEL_DEPTH = 4;

export function createDecoder(opts: Partial<DecodeOptions> = {}): Decoder {
  const tunnels = opts.tunnels ?? 'inner';
  if (tunnels !== 'inner' && tunnels !== 'outer') {
    throw new TypeError(`tunnels must be 'inner' or 'outer', not ${JSON.stringify(tunnels)}`);
  }
  const maxTunnelDepth = tunnels === 'inner' ? MAX_TUNNEL_DEPTH : 0;
  const cur = newCursor();

  return function decode(buf: Buffer, off: number, capLen: number, linkType: number, view: PacketView): void {
    resetView(view);
    cur.end = off + capLen < buf.length ? off + capLen : buf.length;
    let reason = decodeLink(buf, off, cur.end, linkType, cur);
    view.vlan = cur.vlan;
    view.vlanDepth = cur.vlanDepth;
    if (reason === Undecodable.None) reason = decodeNetwork(buf, cur, view, maxTunnelDepth);
    view.reason = reason;
  };
}

function decodeNetwork(buf: Buffer, cur: Cursor, view: PacketView, maxTunnelDepth: number): Undecodable {
  for (let depth = 0; ; depth++) {
    let reason = decodeIp(buf, cur, view);
    if (reason !== Undecodable.None) return reason;
    reason = decodeTransport(buf, cur, view);
    if (reason !== Undecodable.None) return reason;
    // A fragment's inner packet is incomplete: the outer packet is what we meter.
    if (depth === maxTunnelDepth || view.fragment || !enterTunnel(buf, cur, view)) return Undecodable.None;
  }
}

function decodeIp(buf: Buffer, cur: Cursor, view: PacketView): Undecodable {
  if (cur.off >= cur.end) return Undecodable.TruncatedIp;
  const version = buf[cur.off] >> 4;
  if (cur.version !== 0 && version !== cur.version) return Undecodable.BadIp;
  if (version === 4) return decodeIpv4(buf, cur, view);
  if (version === 6) return decodeIpv6(buf, cur, view);
  return Undecodable.BadIp;
}
