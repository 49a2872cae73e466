/**
 * Transport headers: ports (ICMP type and code in dstPort), TCP flags, and
 * where the payload starts. Reads from `cur.off` up to `cur.end` and leaves
 * the cursor where it is, so a tunnel can look at the same header next.
 */
import { readU16 } from './bytes.js';
import type { Cursor } from './cursor.js';
import { type PacketView, Undecodable } from './view.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;

// TCP, UDP and SCTP all start with the two ports
const SRC_PORT = 0;
const DST_PORT = 2;
const PORTS_LEN = 4;

const TCP_DATA_OFFSET = 12;
const TCP_FLAGS = 13;
const TCP_MIN_HEADER_LEN = 20;
export const UDP_LENGTH = 4;
export const UDP_HEADER_LEN = 8;
const SCTP_COMMON_HEADER_LEN = 12;

const ICMP_TYPE = 0;
const ICMP_CODE = 1;
/** type, code, checksum and the 4 bytes whose meaning depends on the type */
const ICMP_HEADER_LEN = 8;

export function decodeTransport(buf: Buffer, cur: Cursor, view: PacketView): Undecodable {
  const off = cur.off;
  const end = cur.end;
  view.srcPort = 0;
  view.dstPort = 0;
  view.tcpFlags = 0;
  if (view.fragment && !view.fragFirst) {
    // the transport header is in the first fragment; this data is no payload a tagger can read
    view.payloadOff = off < end ? off : end;
    view.payloadLen = 0;
    return Undecodable.None;
  }
  switch (view.proto) {
    case IPPROTO_TCP:
      return decodeTcp(buf, off, end, view);
    case IPPROTO_UDP:
      return decodeUdp(buf, off, end, view);
    case IPPROTO_SCTP:
      return decodePorts(buf, off, end, SCTP_COMMON_HEADER_LEN, view);
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      return decodeIcmp(buf, off, end, view);
    default:
      setPayload(view, off, 0, end);
      return Undecodable.None;
  }
}

function decodeTcp(buf: Buffer, off: number, end: number, view: PacketView): Undecodable {
  if (off + PORTS_LEN > end) return Undecodable.TruncatedL4;
  view.srcPort = readU16(buf, off + SRC_PORT);
  view.dstPort = readU16(buf, off + DST_PORT);
  // a snap length that cuts the header still leaves a meterable packet
  if (off + TCP_FLAGS < end) view.tcpFlags = buf[off + TCP_FLAGS];
  let headerLen = TCP_MIN_HEADER_LEN;
  if (off + TCP_DATA_OFFSET < end) {
    const dataOffset = (buf[off + TCP_DATA_OFFSET] >> 4) * 4;
    if (dataOffset > headerLen) headerLen = dataOffset;
  }
  setPayload(view, off, headerLen, end);
  return Undecodable.None;
}

function decodeUdp(buf: Buffer, off: number, end: number, view: PacketView): Undecodable {
  if (off + PORTS_LEN > end) return Undecodable.TruncatedL4;
  view.srcPort = readU16(buf, off + SRC_PORT);
  view.dstPort = readU16(buf, off + DST_PORT);
  // bytes after a datagram shorter than its IP packet are not payload
  let datagramEnd = end;
  if (off + UDP_HEADER_LEN <= end) {
    const udpLen = readU16(buf, off + UDP_LENGTH);
    if (udpLen >= UDP_HEADER_LEN && off + udpLen < end) datagramEnd = off + udpLen;
  }
  setPayload(view, off, UDP_HEADER_LEN, datagramEnd);
  return Undecodable.None;
}

function decodePorts(buf: Buffer, off: number, end: number, headerLen: number, view: PacketView): Undecodable {
  if (off + PORTS_LEN > end) return Undecodable.TruncatedL4;
  view.srcPort = readU16(buf, off + SRC_PORT);
  view.dstPort = readU16(buf, off + DST_PORT);
  setPayload(view, off, headerLen, end);
  return Undecodable.None;
}

/** NetFlow v5 convention: source port 0, destination port type * 256 + code. */
function decodeIcmp(buf: Buffer, off: number, end: number, view: PacketView): Undecodable {
  if (off + ICMP_CODE >= end) return Undecodable.TruncatedL4;
  view.dstPort = buf[off + ICMP_TYPE] * 256 + buf[off + ICMP_CODE];
  setPayload(view, off, ICMP_HEADER_LEN, end);
  return Undecodable.None;
}

/** Payload after a header of `headerLen` bytes at `off`, clipped to the packet's end. */
function setPayload(view: PacketView, off: number, headerLen: number, end: number): void {
  let payloadOff = off + headerLen;
  if (payloadOff > end) payloadOff = end;
  view.payloadOff = payloadOff;
  view.payloadLen = end - payloadOff;
}
