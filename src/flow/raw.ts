/**
 * The raw record: an ended flow as numbers in a fixed Float64Array layout,
 * before any text is made of it. The meter fills one per ended flow; a
 * FlowRecord object is built from it on the thread that needs one. `flows
 * -o ndjson|csv` copies raw records through a shared ring to a worker
 * thread that formats them (src/report/threaded.ts), so the thread that
 * reads and meters packets never formats an address or a number.
 */
import { formatIp } from './addr.js';
import { END_REASONS, type EndReason } from './fields.js';
import type { FlowRecord } from './record.js';
import { TUNNEL_NAMES } from '../decode/view.js';

export const RAW_REC_ID = 0;
export const RAW_STIME = 1;
export const RAW_ETIME = 2;
export const RAW_IPVER = 3;
export const RAW_PROTO = 4;
export const RAW_SRCPORT = 5;
export const RAW_DSTPORT = 6;
export const RAW_TOS = 7;
export const RAW_TCPFLAGS = 8;
export const RAW_PACKETS = 9;
export const RAW_BYTES = 10;
export const RAW_L2BYTES = 11;
export const RAW_INPUT = 12;
export const RAW_VLAN = 13;
/** index into TUNNEL_NAMES; 0: not tunneled */
export const RAW_TUNNEL = 14;
/** index into END_REASONS */
export const RAW_ENDREASON = 15;
export const RAW_REV_PACKETS = 16;
export const RAW_REV_BYTES = 17;
export const RAW_REV_L2BYTES = 18;
export const RAW_REV_TCPFLAGS = 19;
/** four 32-bit words each (IPv4: the first word) */
export const RAW_SRC = 20;
export const RAW_DST = 24;
export const RAW_TUN_IPVER = 28;
export const RAW_TUN_SRC = 29;
export const RAW_TUN_DST = 33;
/** 1 when the raw record carries the biflow counters */
export const RAW_BIFLOW = 37;
export const RAW_WORDS = 38;

export function newRawRecord(): Float64Array {
  return new Float64Array(RAW_WORDS);
}

export function endReasonIndex(reason: EndReason): number {
  return END_REASONS.indexOf(reason);
}

/** formatted-address cache size − 1 (a power of two) */
const ADDR_CACHE_MASK = 4095;

/**
 * Address text from 32-bit words. The same hosts recur across many flows, so a
 * small direct-mapped cache of formatted addresses saves most formatting.
 */
export function createAddrTextCache(): AddrText {
  const scratch = Buffer.alloc(16);
  const cacheWords = new Int32Array((ADDR_CACHE_MASK + 1) * 5);
  const cacheText: (string | undefined)[] = new Array(ADDR_CACHE_MASK + 1).fill(undefined);
  return (words, at, ver) => {
    const w0 = words[at] | 0, w1 = words[at + 1] | 0, w2 = words[at + 2] | 0, w3 = words[at + 3] | 0;
    let h = Math.imul(w0 ^ ver, 0x9e3779b1) ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f);
    h = (h ^ (h >>> 15)) & ADDR_CACHE_MASK;
    const c = h * 5;
    if (cacheText[h] !== undefined && cacheWords[c] === ver && cacheWords[c + 1] === w0
      && cacheWords[c + 2] === w1 && cacheWords[c + 3] === w2 && cacheWords[c + 4] === w3) {
      return cacheText[h]!;
    }
    scratch.writeInt32BE(w0, 0);
    if (ver !== 4) {
      scratch.writeInt32BE(w1, 4);
      scratch.writeInt32BE(w2, 8);
      scratch.writeInt32BE(w3, 12);
    }
    const text = formatIp(scratch, 0, ver);
    cacheWords[c] = ver; cacheWords[c + 1] = w0; cacheWords[c + 2] = w1; cacheWords[c + 3] = w2; cacheWords[c + 4] = w3;
    cacheText[h] = text;
    return text;
  };
}

export type AddrText = (words: ArrayLike<number>, at: number, ver: number) => string;

/**
 * A FlowRecord of the raw record at `raw[at]`; `tagSlots` (the meter's, for tagged flows) adds the tag
 * fields, then the biflow fields follow when the raw record has them.
 */
export function recordFromRaw(raw: Float64Array, at: number, addrText: AddrText, tagSlots?: (rec: FlowRecord) => void): FlowRecord {
  // `| 0`: small integers as such (a float64 read stored into a record would be a boxed number)
  const ver = raw[at + RAW_IPVER] | 0;
  const tt = raw[at + RAW_TUNNEL] | 0;
  const tver = raw[at + RAW_TUN_IPVER] | 0;
  const stime = raw[at + RAW_STIME], etime = raw[at + RAW_ETIME];
  const rec: FlowRecord = {
    rec_id: raw[at + RAW_REC_ID],
    stime,
    etime,
    duration: etime - stime,
    ipver: ver,
    proto: raw[at + RAW_PROTO] | 0,
    srcip: addrText(raw, at + RAW_SRC, ver),
    srcport: raw[at + RAW_SRCPORT] | 0,
    dstip: addrText(raw, at + RAW_DST, ver),
    dstport: raw[at + RAW_DSTPORT] | 0,
    tos: raw[at + RAW_TOS] | 0,
    tcpflags: raw[at + RAW_TCPFLAGS] | 0,
    packets: raw[at + RAW_PACKETS],
    bytes: raw[at + RAW_BYTES],
    l2bytes: raw[at + RAW_L2BYTES],
    input: raw[at + RAW_INPUT] | 0,
    vlan: raw[at + RAW_VLAN] | 0,
    tunnel: tt === 0 ? null : TUNNEL_NAMES[tt],
    tun_srcip: tt === 0 ? null : addrText(raw, at + RAW_TUN_SRC, tver),
    tun_dstip: tt === 0 ? null : addrText(raw, at + RAW_TUN_DST, tver),
    endreason: END_REASONS[raw[at + RAW_ENDREASON] | 0],
  };
  if (tagSlots !== undefined) tagSlots(rec);
  if (raw[at + RAW_BIFLOW] === 1) {
    rec.rev_packets = raw[at + RAW_REV_PACKETS];
    rec.rev_bytes = raw[at + RAW_REV_BYTES];
    rec.rev_l2bytes = raw[at + RAW_REV_L2BYTES];
    rec.rev_tcpflags = raw[at + RAW_REV_TCPFLAGS] | 0;
  }
  return rec;
}
