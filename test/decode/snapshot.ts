/** Test-only: a decoded packet as a plain object with readable names and addresses. */
import { formatIp } from '../../src/flow/addr.js';
import { createDecoder, type DecodeOptions } from '../../src/decode/decoder.js';
import { newPacketView, NOT_DECODED_REASONS, type PacketView, TUNNEL_NAMES } from '../../src/decode/view.js';

export interface Snapshot {
  reason: string;
  ipVersion: number;
  src: string;
  dst: string;
  proto: number;
  srcPort: number;
  dstPort: number;
  tos: number;
  tcpFlags: number;
  ipLen: number;
  vlan: number;
  vlanDepth: number;
  tunnel: string;
  tunnelIpVersion: number;
  tunnelSrc: string;
  tunnelDst: string;
  tunnelIpLen: number;
  fragment: boolean;
  fragFirst: boolean;
  fragId: number;
  payloadOff: number;
  payloadLen: number;
}

export function snapshot(buf: Buffer, view: PacketView): Snapshot {
  const ip = (off: number, version: number) => (version === 4 || version === 6 ? formatIp(buf, off, version) : '');
  return {
    reason: NOT_DECODED_REASONS[view.reason],
    ipVersion: view.ipVersion,
    src: ip(view.srcOff, view.ipVersion),
    dst: ip(view.dstOff, view.ipVersion),
    proto: view.proto,
    srcPort: view.srcPort,
    dstPort: view.dstPort,
    tos: view.tos,
    tcpFlags: view.tcpFlags,
    ipLen: view.ipLen,
    vlan: view.vlan,
    vlanDepth: view.vlanDepth,
    tunnel: TUNNEL_NAMES[view.tunnelType],
    tunnelIpVersion: view.tunnelIpVersion,
    tunnelSrc: ip(view.tunnelSrcOff, view.tunnelIpVersion),
    tunnelDst: ip(view.tunnelDstOff, view.tunnelIpVersion),
    tunnelIpLen: view.tunnelIpLen,
    fragment: view.fragment,
    fragFirst: view.fragFirst,
    fragId: view.fragId,
    payloadOff: view.payloadOff,
    payloadLen: view.payloadLen,
  };
}

/** Decodes hand-built bytes (captured whole unless `capLen` says otherwise). */
export function decodeBytes(bytes: number[], linkType: number, opts: Partial<DecodeOptions & { capLen: number }> = {}): Snapshot {
  const buf = Buffer.from(bytes);
  const view = newPacketView();
  createDecoder({ tunnels: opts.tunnels })(buf, 0, opts.capLen ?? buf.length, linkType, view);
  return snapshot(buf, view);
}
