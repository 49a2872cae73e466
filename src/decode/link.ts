/**
 * Link layers: from the first captured byte to the start of the IP header.
 *
 * Each decoder leaves the IP header offset in `cur.off` and the IP version
 * the link layer announced in `cur.version` (0 when only the header's own
 * version nibble can tell), and returns Undecodable.None; or it returns why
 * the frame carries no IP packet we can read.
 */
import { readU16, readU32 } from './bytes.js';
import type { Cursor } from './cursor.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL,
  LINKTYPE_PPP, LINKTYPE_PPP_ETHER, LINKTYPE_PPP_HDLC, LINKTYPE_RAW, LINKTYPE_RAW_DLT12, LINKTYPE_RAW_DLT14,
} from '../capture/linktypes.js';
import { Undecodable } from './view.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
/** pre-802.1ad vendor QinQ tag */
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_PPPOE_SESSION = 0x8864;

const ETHERNET_TYPE = 12;
const ETHERNET_HEADER_LEN = 14;

const VLAN_TCI = 0;
const VLAN_TYPE = 2;
const VLAN_TAG_LEN = 4;
const VLAN_ID_MASK = 0x0fff;

/** version/type, code, session id, length; the PPP protocol follows */
const PPPOE_HEADER_LEN = 6;

const PPP_ADDRESS = 0xff;
const PPP_CONTROL = 0x03;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

const SLL_PROTOCOL = 14;
const SLL_HEADER_LEN = 16;
const SLL2_PROTOCOL = 0;
const SLL2_HEADER_LEN = 20;

const NULL_HEADER_LEN = 4;
const AF_INET = 2;
const AF_INET6_LINUX = 10;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

export function decodeLink(buf: Buffer, off: number, end: number, linkType: number, cur: Cursor): Undecodable {
  cur.vlan = 0;
  cur.vlanDepth = 0;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(buf, off, end, cur);
    case LINKTYPE_LINUX_SLL:
      return decodeSll(buf, off, end, cur);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(buf, off, end, cur);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_DLT12:
    case LINKTYPE_RAW_DLT14:
      return ipAt(off, 0, cur);
    case LINKTYPE_IPV4:
      return ipAt(off, 4, cur);
    case LINKTYPE_IPV6:
      return ipAt(off, 6, cur);
    case LINKTYPE_NULL:
      return decodeNull(buf, off, end, cur);
    case LINKTYPE_LOOP:
      return decodeLoop(buf, off, end, cur);
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC:
      return decodePpp(buf, off, end, cur);
    case LINKTYPE_PPP_ETHER:
      return decodePppoeSession(buf, off, end, cur);
    default:
      return Undecodable.LinkType;
  }
}

/** Ethernet II, also used for frames inside VXLAN and GRE transparent bridging. */
export function decodeEthernet(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  cur.vlan = 0;
  cur.vlanDepth = 0;
  if (off + ETHERNET_HEADER_LEN > end) return Undecodable.TruncatedLink;
  return decodeEthertype(buf, off + ETHERNET_HEADER_LEN, end, readU16(buf, off + ETHERNET_TYPE), cur);
}

/**
 * What follows an EtherType: any number of VLAN tags (the loop ends because
 * every tag consumes captured bytes), then IPv4, IPv6 or a PPPoE session.
 */
function decodeEthertype(buf: Buffer, off: number, end: number, etherType: number, cur: Cursor): Undecodable {
  let type = etherType;
  let p = off;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (p + VLAN_TAG_LEN > end) return Undecodable.TruncatedLink;
    if (cur.vlanDepth === 0) cur.vlan = readU16(buf, p + VLAN_TCI) & VLAN_ID_MASK;
    cur.vlanDepth++;
    type = readU16(buf, p + VLAN_TYPE);
    p += VLAN_TAG_LEN;
  }
  if (type === ETHERTYPE_IPV4) return ipAt(p, 4, cur);
  if (type === ETHERTYPE_IPV6) return ipAt(p, 6, cur);
  if (type === ETHERTYPE_PPPOE_SESSION) return decodePppoeSession(buf, p, end, cur);
  // ARP, LLC lengths (< 0x0600), PPPoE discovery, MPLS, ...
  return Undecodable.NotIp;
}

/** PPPoE session header, then the PPP protocol (inside Ethernet, or alone as LINKTYPE_PPP_ETHER). */
function decodePppoeSession(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  if (off + PPPOE_HEADER_LEN > end) return Undecodable.TruncatedLink;
  return decodePppProtocol(buf, off + PPPOE_HEADER_LEN, end, cur);
}

function decodeSll(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  if (off + SLL_HEADER_LEN > end) return Undecodable.TruncatedLink;
  return decodeEthertype(buf, off + SLL_HEADER_LEN, end, readU16(buf, off + SLL_PROTOCOL), cur);
}

function decodeSll2(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  if (off + SLL2_HEADER_LEN > end) return Undecodable.TruncatedLink;
  return decodeEthertype(buf, off + SLL2_HEADER_LEN, end, readU16(buf, off + SLL2_PROTOCOL), cur);
}

/** BSD loopback: a 4-byte address family in the writer's byte order. */
function decodeNull(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  if (off + NULL_HEADER_LEN > end) return Undecodable.TruncatedLink;
  // Every AF value fits in one byte, so whichever end of the word is non-zero holds it.
  const family = buf[off] !== 0 ? buf[off] : buf[off + 3];
  return familyToIp(family, off + NULL_HEADER_LEN, cur);
}

/** OpenBSD loopback: the same address family, always in network byte order. */
function decodeLoop(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  if (off + NULL_HEADER_LEN > end) return Undecodable.TruncatedLink;
  return familyToIp(readU32(buf, off), off + NULL_HEADER_LEN, cur);
}

function familyToIp(family: number, off: number, cur: Cursor): Undecodable {
  if (family === AF_INET) return ipAt(off, 4, cur);
  if (family === AF_INET6_LINUX || family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) {
    return ipAt(off, 6, cur);
  }
  return Undecodable.NotIp;
}

/** PPP with or without the HDLC address and control bytes (ff 03). */
export function decodePpp(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  let p = off;
  if (p + 2 <= end && buf[p] === PPP_ADDRESS && buf[p + 1] === PPP_CONTROL) p += 2;
  return decodePppProtocol(buf, p, end, cur);
}

/** The PPP protocol field: two bytes, or one when compressed (its low bit is then set). */
function decodePppProtocol(buf: Buffer, off: number, end: number, cur: Cursor): Undecodable {
  if (off >= end) return Undecodable.TruncatedLink;
  let protocol = buf[off];
  let p = off + 1;
  if ((protocol & 1) === 0) {
    if (p >= end) return Undecodable.TruncatedLink;
    protocol = (protocol << 8) | buf[p];
    p++;
  }
  if (protocol === PPP_IPV4) return ipAt(p, 4, cur);
  if (protocol === PPP_IPV6) return ipAt(p, 6, cur);
  // LCP, IPCP, CCP, compressed data, ...
  return Undecodable.NotIp;
}

function ipAt(off: number, version: number, cur: Cursor): Undecodable {
  cur.off = off;
  cur.version = version;
  return Undecodable.None;
}
