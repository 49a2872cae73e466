/**
 * IPv6 header (RFC 8200) and its extension-header chain. Leaves `view.proto`
 * at the upper-layer protocol, `cur.off` at its header, and `cur.end` clipped
 * to the IPv6 length.
 */
import { readU16, readU32 } from './bytes.js';
import type { Cursor } from './cursor.js';
import { type PacketView, Undecodable } from './view.js';

const VERSION_CLASS = 0;
const CLASS_LABEL = 1;
const PAYLOAD_LENGTH = 4;
const NEXT_HEADER = 6;
const SRC = 8;
const DST = 24;
export const IPV6_HEADER_LEN = 40;

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTHENTICATION = 51;
const NO_NEXT_HEADER = 59;
const DESTINATION_OPTIONS = 60;
const MOBILITY = 135;

// generic extension header: next header, length in 8-byte units not counting the first 8
const EXT_NEXT_HEADER = 0;
const EXT_LENGTH = 1;
const EXT_MIN_LEN = 2;

// fragment header
const FRAG_OFFSET_FLAGS = 2;
const FRAG_IDENTIFICATION = 4;
const FRAG_HEADER_LEN = 8;
const FRAG_OFFSET_MASK = 0xfff8;
const FRAG_MORE = 0x0001;

/** More than any sane packet carries; bounds the walk over hostile chains. */
const MAX_EXTENSION_HEADERS = 10;

/** The caller has checked the version nibble. */
export function decodeIpv6(buf: Buffer, cur: Cursor, view: PacketView): Undecodable {
  const off = cur.off;
  if (off + IPV6_HEADER_LEN > cur.end) return Undecodable.TruncatedIp;
  const payloadLen = readU16(buf, off + PAYLOAD_LENGTH);
  const nextHeader = buf[off + NEXT_HEADER];

  view.ipVersion = 6;
  view.srcOff = off + SRC;
  view.dstOff = off + DST;
  view.proto = nextHeader;
  view.tos = ((buf[off + VERSION_CLASS] & 0x0f) << 4) | (buf[off + CLASS_LABEL] >> 4);
  view.fragment = false;
  view.fragFirst = false;
  view.fragId = 0;

  if (payloadLen === 0 && nextHeader !== NO_NEXT_HEADER) {
    // Jumbogram, or a Linux BIG TCP / GSO packet: the length is what was captured.
    view.ipLen = cur.end - off;
  } else {
    view.ipLen = IPV6_HEADER_LEN + payloadLen;
    if (off + view.ipLen < cur.end) cur.end = off + view.ipLen;
  }
  cur.off = off + IPV6_HEADER_LEN;
  return followExtensionHeaders(buf, cur, view);
}

/**
 * Walks hop-by-hop, routing, fragment, AH, destination options and mobility
 * headers. ESP (50) and no-next-header (59) end the walk like any
 * upper-layer protocol. After a non-first fragment header nothing more is in
 * this packet.
 */
function followExtensionHeaders(buf: Buffer, cur: Cursor, view: PacketView): Undecodable {
  for (let i = 0; i < MAX_EXTENSION_HEADERS; i++) {
    const p = cur.off;
    let headerLen: number;
    switch (view.proto) {
      case HOP_BY_HOP:
      case ROUTING:
      case DESTINATION_OPTIONS:
      case MOBILITY:
        if (p + EXT_MIN_LEN > cur.end) return Undecodable.TruncatedIp;
        headerLen = (buf[p + EXT_LENGTH] + 1) * 8;
        break;
      case AUTHENTICATION:
        if (p + EXT_MIN_LEN > cur.end) return Undecodable.TruncatedIp;
        // AH counts 4-byte units, not counting the first two
        headerLen = (buf[p + EXT_LENGTH] + 2) * 4;
        break;
      case FRAGMENT:
        if (p + FRAG_HEADER_LEN > cur.end) return Undecodable.TruncatedIp;
        readFragmentHeader(buf, p, view);
        headerLen = FRAG_HEADER_LEN;
        break;
      default:
        return Undecodable.None;
    }
    view.proto = buf[p + EXT_NEXT_HEADER];
    cur.off = p + headerLen;
    if (view.fragment && !view.fragFirst) return Undecodable.None;
  }
  // Still inside the chain: meter it with the extension header as the protocol.
  return Undecodable.None;
}

/** An atomic fragment (offset 0, no more fragments; RFC 6946) is a whole packet, not a fragment. */
function readFragmentHeader(buf: Buffer, p: number, view: PacketView): void {
  const offsetFlags = readU16(buf, p + FRAG_OFFSET_FLAGS);
  const fragmentOffset = offsetFlags & FRAG_OFFSET_MASK;
  const fragment = (offsetFlags & FRAG_MORE) !== 0 || fragmentOffset !== 0;
  view.fragment = fragment;
  view.fragFirst = fragment && fragmentOffset === 0;
  view.fragId = fragment ? readU32(buf, p + FRAG_IDENTIFICATION) : 0;
}
