/**
 * The decoder fills one reused PacketView per packet (no allocation on the
 * hot path). Addresses are not copied: they are offsets into the packet
 * buffer handed to `decodePacket`, valid only while that packet is processed.
 */

/** Why a packet could not become part of a flow. Index into NOT_DECODED_REASONS. */
export const enum Undecodable {
  None = 0,
  /** link type we do not read */
  LinkType = 1,
  /** link layer carries something that is not IP (ARP, STP, LLC, ...) */
  NotIp = 2,
  /** IP header cut short by the snap length or the file */
  TruncatedIp = 3,
  /** IP header fields make no sense (version, header length, total length) */
  BadIp = 4,
  /** transport header cut short (ports or ICMP type not present) */
  TruncatedL4 = 5,
  /** link-layer header cut short */
  TruncatedLink = 6,
  /** non-first fragment whose first fragment was never seen (counted, not metered) */
  OrphanFragment = 7,
}

export const NOT_DECODED_REASONS: readonly string[] = [
  'none',
  'unsupported link type',
  'not IP',
  'truncated IP header',
  'malformed IP header',
  'truncated transport header',
  'truncated link-layer header',
  'fragment without its first fragment',
];

/** Tunnel encapsulations the decoder looks through. 0 = not tunneled. */
export const enum TunnelType {
  None = 0,
  /** IPv4 in IPv6 (next header 4): DS-Lite, lw4o6, MAP-E */
  V4inV6 = 1,
  /** IPv6 in IPv4 (protocol 41): 6in4, 6to4 */
  V6inV4 = 2,
  /** IPv4 in IPv4 (protocol 4) */
  V4inV4 = 3,
  /** IPv6 in IPv6 (next header 41) */
  V6inV6 = 4,
  Gre = 5,
  Teredo = 6,
  Vxlan = 7,
}

export const TUNNEL_NAMES: readonly string[] = ['', '4in6', '6in4', '4in4', '6in6', 'gre', 'teredo', 'vxlan'];

export interface PacketView {
  /** Undecodable.None when the packet can be metered */
  reason: Undecodable;
  /** 4 or 6 (of the inner packet when tunneled and keyed on the inner header) */
  ipVersion: number;
  /** offsets of the source/destination address in the packet buffer (4 or 16 bytes each) */
  srcOff: number;
  dstOff: number;
  proto: number;
  srcPort: number;
  /** for ICMP/ICMPv6: type * 256 + code */
  dstPort: number;
  tos: number;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80) */
  tcpFlags: number;
  /** IP length: IPv4 total length / IPv6 40 + payload length, of the packet the flow is keyed on */
  ipLen: number;
  /** outermost VLAN id (802.1Q / 802.1ad), 0 when untagged */
  vlan: number;
  /** number of VLAN tags seen */
  vlanDepth: number;

  /** tunnel: type, outer IP version and outer address offsets (valid when tunnelType != None) */
  tunnelType: TunnelType;
  tunnelIpVersion: number;
  tunnelSrcOff: number;
  tunnelDstOff: number;
  /** IP length of the outer packet */
  tunnelIpLen: number;

  /**
   * Fragments. `fragment` is true for any fragment (first or not).
   * `fragFirst` true for offset 0. For non-first fragments the ports are
   * unknown (0) and the meter must attribute the packet to the flow of the
   * first fragment with the same (src, dst, proto, fragId).
   */
  fragment: boolean;
  fragFirst: boolean;
  fragId: number;

  /** transport payload (after the TCP/UDP header), clipped to what was captured */
  payloadOff: number;
  payloadLen: number;
}

export function newPacketView(): PacketView {
  return {
    reason: Undecodable.None,
    ipVersion: 0,
    srcOff: 0,
    dstOff: 0,
    proto: 0,
    srcPort: 0,
    dstPort: 0,
    tos: 0,
    tcpFlags: 0,
    ipLen: 0,
    vlan: 0,
    vlanDepth: 0,
    tunnelType: TunnelType.None,
    tunnelIpVersion: 0,
    tunnelSrcOff: 0,
    tunnelDstOff: 0,
    tunnelIpLen: 0,
    fragment: false,
    fragFirst: false,
    fragId: 0,
    payloadOff: 0,
    payloadLen: 0,
  };
}

/** Back to the state newPacketView returns; the decoder calls it before every packet. */
export function resetView(view: PacketView): void {
  view.reason = Undecodable.None;
  view.ipVersion = 0;
  view.srcOff = 0;
  view.dstOff = 0;
  view.proto = 0;
  view.srcPort = 0;
  view.dstPort = 0;
  view.tos = 0;
  view.tcpFlags = 0;
  view.ipLen = 0;
  view.vlan = 0;
  view.vlanDepth = 0;
  view.tunnelType = TunnelType.None;
  view.tunnelIpVersion = 0;
  view.tunnelSrcOff = 0;
  view.tunnelDstOff = 0;
  view.tunnelIpLen = 0;
  view.fragment = false;
  view.fragFirst = false;
  view.fragId = 0;
  view.payloadOff = 0;
  view.payloadLen = 0;
}
