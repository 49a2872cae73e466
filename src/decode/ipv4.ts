/**
 * IPv4 header (RFC 791): addresses, ToS, total length, fragments, options
 * skipped by the header length. Leaves `cur.off` at the transport header and
 * clips `cur.end` to the total length so Ethernet padding is not payload.
 */
import { readU16 } from './bytes.js';
import type { Cursor } from './cursor.js';
import { type PacketView, Undecodable } from './view.js';

const VERSION_IHL = 0;
const TOS = 1;
const TOTAL_LENGTH = 2;
const IDENTIFICATION = 4;
const FLAGS_FRAGMENT_OFFSET = 6;
const PROTOCOL = 9;
const SRC = 12;
const DST = 16;

export const IPV4_MIN_HEADER_LEN = 20;
const MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/** The caller has checked the version nibble. */
export function decodeIpv4(buf: Buffer, cur: Cursor, view: PacketView): Undecodable {
  const off = cur.off;
  if (off + IPV4_MIN_HEADER_LEN > cur.end) return Undecodable.TruncatedIp;
  const headerLen = (buf[off + VERSION_IHL] & 0x0f) * 4;
  const totalLen = readU16(buf, off + TOTAL_LENGTH);
  // A total length beyond the captured bytes is only the snap length at work.
  if (headerLen < IPV4_MIN_HEADER_LEN || totalLen < headerLen) return Undecodable.BadIp;
  if (off + headerLen > cur.end) return Undecodable.TruncatedIp;

  view.ipVersion = 4;
  view.srcOff = off + SRC;
  view.dstOff = off + DST;
  view.proto = buf[off + PROTOCOL];
  view.tos = buf[off + TOS];
  view.ipLen = totalLen;

  const fragmentField = readU16(buf, off + FLAGS_FRAGMENT_OFFSET);
  const fragmentOffset = fragmentField & FRAGMENT_OFFSET_MASK;
  const fragment = (fragmentField & MORE_FRAGMENTS) !== 0 || fragmentOffset !== 0;
  view.fragment = fragment;
  view.fragFirst = fragment && fragmentOffset === 0;
  view.fragId = fragment ? readU16(buf, off + IDENTIFICATION) : 0;

  cur.off = off + headerLen;
  if (off + totalLen < cur.end) cur.end = off + totalLen;
  return Undecodable.None;
}
