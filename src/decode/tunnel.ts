/**
 * Tunnels: IP in IP (4in4, 4in6, 6in4, 6in6), GRE (RFC 2784/2890 and PPTP's
 * enhanced GRE), Teredo (RFC 4380) and VXLAN (RFC 7348).
 *
 * We step inside only when the encapsulation header is complete and an inner
 * IP header of the announced version was captured whole. Otherwise the outer
 * packet is metered as it stands: a snap length that cuts the inner header,
 * ARP inside VXLAN or a GRE keepalive still count as traffic between the
 * tunnel endpoints instead of vanishing.
 */
import { readU16 } from './bytes.js';
import type { Cursor } from './cursor.js';
import { IPV4_MIN_HEADER_LEN } from './ipv4.js';
import { IPV6_HEADER_LEN } from './ipv6.js';
import { decodeEthernet, decodePpp, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './link.js';
import { IPPROTO_GRE, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_UDP, UDP_HEADER_LEN, UDP_LENGTH } from './transport.js';
import { type PacketView, TunnelType, Undecodable } from './view.js';

const GRE_FLAGS_VERSION = 0;
const GRE_PROTOCOL = 2;
const GRE_BASE_LEN = 4;
const GRE_CHECKSUM_PRESENT = 0x8000;
const GRE_ROUTING_PRESENT = 0x4000;
const GRE_KEY_PRESENT = 0x2000;
const GRE_SEQUENCE_PRESENT = 0x1000;
/** enhanced GRE (version 1) only */
const GRE_ACK_PRESENT = 0x0080;
const GRE_VERSION_MASK = 0x0007;
const GRE_OPTIONAL_FIELD_LEN = 4;
const GRE_PPTP_VERSION = 1;
const GRE_PROTOCOL_PPP = 0x880b;
const GRE_PROTOCOL_TEB = 0x6558;
/**
 * Cisco MetaData (TrustSec SGT). Inside GRE it is laid out as: next
 * EtherType (2), version (1), length (1), options (2), SGT (2).
 */
const GRE_PROTOCOL_CISCO_METADATA = 0x8909;
const CISCO_METADATA_TYPE = 0;
const CISCO_METADATA_LEN = 8;

const TEREDO_PORT = 3544;
/** 00 01, client id length, auth value length, client id, auth value, nonce (8), confirmation (1) */
const TEREDO_AUTH_TYPE = 1;
const TEREDO_AUTH_ID_LEN = 2;
const TEREDO_AUTH_VALUE_LEN = 3;
const TEREDO_AUTH_FIXED_LEN = 4 + 8 + 1;
/** 00 00, obfuscated port (2), obfuscated address (4) */
const TEREDO_ORIGIN_TYPE = 0;
const TEREDO_ORIGIN_LEN = 8;
const IPV6_PAYLOAD_LENGTH = 4;

const VXLAN_PORT = 4789;
const VXLAN_FLAGS = 0;
const VXLAN_FLAG_VNI_VALID = 0x08;
const VXLAN_HEADER_LEN = 8;

/**
 * Called after the transport layer, with `cur.off` still at the IP payload
 * (the UDP header for Teredo and VXLAN). When an inner packet is there,
 * records the outermost tunnel in the view (once), points the cursor at the
 * inner IP header and returns true.
 */
export function enterTunnel(buf: Buffer, cur: Cursor, view: PacketView): boolean {
  let type: TunnelType;
  switch (view.proto) {
    case IPPROTO_IPIP:
      if (!wholeIpHeaderAt(buf, cur.off, cur.end, 4, cur)) return false;
      type = view.ipVersion === 4 ? TunnelType.V4inV4 : TunnelType.V4inV6;
      break;
    case IPPROTO_IPV6:
      if (!wholeIpHeaderAt(buf, cur.off, cur.end, 6, cur)) return false;
      type = view.ipVersion === 4 ? TunnelType.V6inV4 : TunnelType.V6inV6;
      break;
    case IPPROTO_GRE:
      if (!decodeGre(buf, cur.off, cur.end, cur)) return false;
      type = TunnelType.Gre;
      break;
    case IPPROTO_UDP:
      if (view.dstPort === VXLAN_PORT && decodeVxlan(buf, cur.off, cur.end, cur)) {
        type = TunnelType.Vxlan;
      } else if ((view.srcPort === TEREDO_PORT || view.dstPort === TEREDO_PORT) && decodeTeredo(buf, cur.off, cur.end, cur)) {
        type = TunnelType.Teredo;
      } else {
        return false;
      }
      break;
    default:
      return false;
  }
  if (view.tunnelType === TunnelType.None) {
    view.tunnelType = type;
    view.tunnelIpVersion = view.ipVersion;
    view.tunnelSrcOff = view.srcOff;
    view.tunnelDstOff = view.dstOff;
    view.tunnelIpLen = view.ipLen;
  }
  return true;
}

function decodeGre(buf: Buffer, off: number, end: number, cur: Cursor): boolean {
  if (off + GRE_BASE_LEN > end) return false;
  const flags = readU16(buf, off + GRE_FLAGS_VERSION);
  const protocol = readU16(buf, off + GRE_PROTOCOL);
  // source routing (RFC 1701) is long obsolete; not worth walking its entries
  if ((flags & GRE_ROUTING_PRESENT) !== 0) return false;
  let p = off + GRE_BASE_LEN;
  if ((flags & GRE_VERSION_MASK) === 0) {
    if ((flags & GRE_CHECKSUM_PRESENT) !== 0) p += GRE_OPTIONAL_FIELD_LEN;
    if ((flags & GRE_KEY_PRESENT) !== 0) p += GRE_OPTIONAL_FIELD_LEN;
    if ((flags & GRE_SEQUENCE_PRESENT) !== 0) p += GRE_OPTIONAL_FIELD_LEN;
    return greEtherType(buf, p, end, protocol, cur);
  }
  if ((flags & GRE_VERSION_MASK) === GRE_PPTP_VERSION && protocol === GRE_PROTOCOL_PPP) {
    // the key field (payload length, call id) is always there in PPTP
    p += GRE_OPTIONAL_FIELD_LEN;
    if ((flags & GRE_SEQUENCE_PRESENT) !== 0) p += GRE_OPTIONAL_FIELD_LEN;
    if ((flags & GRE_ACK_PRESENT) !== 0) p += GRE_OPTIONAL_FIELD_LEN;
    // an acknowledgement alone carries no PPP frame; MPPE-encrypted frames are not IP
    if (p >= end || decodePpp(buf, p, end, cur) !== Undecodable.None) return false;
    return wholeIpHeaderAt(buf, cur.off, end, cur.version, cur);
  }
  return false;
}

function greEtherType(buf: Buffer, off: number, end: number, protocol: number, cur: Cursor): boolean {
  let type = protocol;
  let p = off;
  if (type === GRE_PROTOCOL_CISCO_METADATA) {
    if (p + CISCO_METADATA_LEN > end) return false;
    type = readU16(buf, p + CISCO_METADATA_TYPE);
    p += CISCO_METADATA_LEN;
  }
  if (type === ETHERTYPE_IPV4) return wholeIpHeaderAt(buf, p, end, 4, cur);
  if (type === ETHERTYPE_IPV6) return wholeIpHeaderAt(buf, p, end, 6, cur);
  if (type === GRE_PROTOCOL_TEB) {
    if (decodeEthernet(buf, p, end, cur) !== Undecodable.None) return false;
    return wholeIpHeaderAt(buf, cur.off, end, cur.version, cur);
  }
  // keepalives (protocol 0), CDP, MPLS, ERSPAN, ...
  return false;
}

/** `off` is the UDP header: Teredo's check needs the datagram length it declares. */
function decodeTeredo(buf: Buffer, off: number, end: number, cur: Cursor): boolean {
  if (off + UDP_HEADER_LEN > end) return false;
  const datagramEnd = off + readU16(buf, off + UDP_LENGTH);
  let p = off + UDP_HEADER_LEN;
  if (p + TEREDO_AUTH_VALUE_LEN < end && buf[p] === 0 && buf[p + 1] === TEREDO_AUTH_TYPE) {
    p += TEREDO_AUTH_FIXED_LEN + buf[p + TEREDO_AUTH_ID_LEN] + buf[p + TEREDO_AUTH_VALUE_LEN];
  }
  if (p + 1 < end && buf[p] === 0 && buf[p + 1] === TEREDO_ORIGIN_TYPE) p += TEREDO_ORIGIN_LEN;
  if (p + IPV6_HEADER_LEN > end) return false;
  // Port 3544 alone proves little: the IPv6 packet must fill the datagram exactly.
  if (p + IPV6_HEADER_LEN + readU16(buf, p + IPV6_PAYLOAD_LENGTH) !== datagramEnd) return false;
  return wholeIpHeaderAt(buf, p, end, 6, cur);
}

/** `off` is the UDP header. */
function decodeVxlan(buf: Buffer, off: number, end: number, cur: Cursor): boolean {
  const vxlan = off + UDP_HEADER_LEN;
  if (vxlan + VXLAN_HEADER_LEN > end || (buf[vxlan + VXLAN_FLAGS] & VXLAN_FLAG_VNI_VALID) === 0) return false;
  if (decodeEthernet(buf, vxlan + VXLAN_HEADER_LEN, end, cur) !== Undecodable.None) return false;
  return wholeIpHeaderAt(buf, cur.off, end, cur.version, cur);
}

/**
 * True when a whole IP header of `version` (4 or 6) starts at `off`; then
 * points the cursor at it. Options and extension headers may still be cut.
 */
function wholeIpHeaderAt(buf: Buffer, off: number, end: number, version: number, cur: Cursor): boolean {
  const headerLen = version === 4 ? IPV4_MIN_HEADER_LEN : IPV6_HEADER_LEN;
  if (off + headerLen > end || buf[off] >> 4 !== version) return false;
  cur.off = off;
  cur.version = version;
  return true;
}
