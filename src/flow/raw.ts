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
/** four 32-bit words each (IPv4: the first word) */
export const RAW_SRC = 16;
export const RAW_DST = 20;
/** 1 when the raw record carries the biflow counters */
export const RAW_BIFLOW = 24;
// Only biflow records use the words from here on, only tunneled ones those from RAW_TUN_IPVER:
// a message in the output ring carries just the words its record uses (rawUsedWords).
export const RAW_REV_PACKETS = 25;
export const RAW_REV_BYTES = 26;
export const RAW_REV_L2BYTES = 27;
export const RAW_REV_TCPFLAGS = 28;
export const RAW_TUN_IPVER = 29;
export const RAW_TUN_SRC = 30;
export const RAW_TUN_DST = 34;
export const RAW_WORDS = 38;

/**
 * How many of the raw record's words at `units[at]` it uses: the base fields, the biflow counters
 * when it carries them, the tunnel fields when it is tunneled (those come last).
 */
export function rawUsedWords(units: Float64Array, at: number): number {
  if (units[at + RAW_TUNNEL] !== 0) return RAW_WORDS;
  return units[at + RAW_BIFLOW] === 1 ? RAW_REV_TCPFLAGS + 1 : RAW_BIFLOW + 1;
}

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
  const keys = new AddrCacheKeys(ADDR_CACHE_MASK + 1);
  const cacheText: (string | undefined)[] = new Array(ADDR_CACHE_MASK + 1).fill(undefined);
  return (words, at, ver) => {
    const slot = keys.slotOf(words, at, ver);
    const cached = cacheText[slot];
    if (cached !== undefined && keys.holds()) return cached;
    const text = keys.text();
    keys.remember();
    cacheText[slot] = text;
    return text;
  };
}

/**
 * The keys of a direct-mapped cache of formatted addresses (4 words and the IP version each): which
 * slot an address goes to, whether the slot holds it, and its text when it does not. Used for address
 * text (createAddrTextCache) and address bytes (the output thread's raw writer). `slotOf` sets the
 * address the other methods speak of.
 */
export class AddrCacheKeys {
  private readonly words: Int32Array;
  private readonly scratch = Buffer.alloc(16);
  private readonly mask: number;
  private w0 = 0; private w1 = 0; private w2 = 0; private w3 = 0; private ver = 0; private at = 0;

  /** `slots`: a power of two */
  constructor(slots: number) {
    this.words = new Int32Array(slots * 5);
    this.mask = slots - 1;
  }

  slotOf(words: ArrayLike<number>, at: number, ver: number): number {
    const w0 = words[at] | 0, w1 = words[at + 1] | 0, w2 = words[at + 2] | 0, w3 = words[at + 3] | 0;
    let h = Math.imul(w0 ^ ver, 0x9e3779b1) ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f);
    h = (h ^ (h >>> 15)) & this.mask;
    this.w0 = w0; this.w1 = w1; this.w2 = w2; this.w3 = w3; this.ver = ver; this.at = h * 5;
    return h;
  }

  /** the slot holds this address (when the caller's slot is filled at all) */
  holds(): boolean {
    const c = this.at, k = this.words;
    return k[c] === this.ver && k[c + 1] === this.w0 && k[c + 2] === this.w1 && k[c + 3] === this.w2 && k[c + 4] === this.w3;
  }

  /** the slot now holds this address */
  remember(): void {
    const c = this.at, k = this.words;
    k[c] = this.ver; k[c + 1] = this.w0; k[c + 2] = this.w1; k[c + 3] = this.w2; k[c + 4] = this.w3;
  }

  text(): string {
    this.scratch.writeInt32BE(this.w0, 0);
    if (this.ver !== 4) {
      this.scratch.writeInt32BE(this.w1, 4);
      this.scratch.writeInt32BE(this.w2, 8);
      this.scratch.writeInt32BE(this.w3, 12);
    }
    return formatIp(this.scratch, 0, this.ver);
  }
}

export type AddrText = (words: ArrayLike<number>, at: number, ver: number) => string;

export interface RecordShape {
  /** the biflow counters (rev_packets, rev_bytes, rev_l2bytes, rev_tcpflags) */
  biflow: boolean;
  /** tag fields, present and undefined until a tagger sets them */
  tagFields?: readonly string[];
}

/**
 * How each base field of a record is read from a raw record at `raw[at]`: ONE table for the record
 * maker and the worker's raw line writer (src/report/rawwriter.ts), so both read the same units the
 * same way. The code may use `raw`, `at` and the locals of RAW_LOCALS (`ver`, `tt`, `stime`, `etime`).
 * `when`: the field is null unless this holds.
 */
export type RawFieldRead =
  /** a number: this expression */
  | { name: string; kind: 'number'; code: string; when?: string }
  /** an address: `words` units from `raw[at]` on, of IP version `ver` */
  | { name: string; kind: 'addr'; words: number; ver: string; when?: string }
  /** a name: `list[index]`; `list` is END_REASONS or TUNNEL_NAMES */
  | { name: string; kind: 'name'; list: 'END_REASONS' | 'TUNNEL_NAMES'; index: string; when?: string };

// `| 0`: small integers as such (a float64 read stored into a record would be a boxed number)
const int = (i: number): string => `raw[at + ${i}] | 0`;
const num = (i: number): string => `raw[at + ${i}]`;

/** Locals the RawFieldRead code reads; declare once per record before the reads. */
export const RAW_LOCALS = `const ver = ${int(RAW_IPVER)};
    const tt = ${int(RAW_TUNNEL)};
    const stime = ${num(RAW_STIME)}, etime = ${num(RAW_ETIME)};`;

/** The base fields (and, for a biflow shape, the reverse counters) in record order. */
export function rawFieldReads(biflow: boolean): RawFieldRead[] {
  const number = (name: string, code: string): RawFieldRead => ({ name, kind: 'number', code });
  return [
    number('rec_id', num(RAW_REC_ID)),
    number('stime', 'stime'),
    number('etime', 'etime'),
    number('duration', 'etime - stime'),
    number('ipver', 'ver'),
    number('proto', int(RAW_PROTO)),
    { name: 'srcip', kind: 'addr', words: RAW_SRC, ver: 'ver' },
    number('srcport', int(RAW_SRCPORT)),
    { name: 'dstip', kind: 'addr', words: RAW_DST, ver: 'ver' },
    number('dstport', int(RAW_DSTPORT)),
    number('tos', int(RAW_TOS)),
    number('tcpflags', int(RAW_TCPFLAGS)),
    number('packets', num(RAW_PACKETS)),
    number('bytes', num(RAW_BYTES)),
    number('l2bytes', num(RAW_L2BYTES)),
    number('input', int(RAW_INPUT)),
    number('vlan', int(RAW_VLAN)),
    { name: 'tunnel', kind: 'name', list: 'TUNNEL_NAMES', index: 'tt', when: 'tt !== 0' },
    { name: 'tun_srcip', kind: 'addr', words: RAW_TUN_SRC, ver: int(RAW_TUN_IPVER), when: 'tt !== 0' },
    { name: 'tun_dstip', kind: 'addr', words: RAW_TUN_DST, ver: int(RAW_TUN_IPVER), when: 'tt !== 0' },
    { name: 'endreason', kind: 'name', list: 'END_REASONS', index: int(RAW_ENDREASON) },
    ...(biflow ? [
      number('rev_packets', num(RAW_REV_PACKETS)),
      number('rev_bytes', num(RAW_REV_BYTES)),
      number('rev_l2bytes', num(RAW_REV_L2BYTES)),
      number('rev_tcpflags', int(RAW_REV_TCPFLAGS)),
    ] : []),
  ];
}

/** The record maker's JavaScript expression of a RawFieldRead's value. */
function readCode(r: RawFieldRead): string {
  const value = r.kind === 'number' ? r.code
    : r.kind === 'addr' ? `addrText(raw, at + ${r.words}, ${r.ver})`
      : `${r.list}[${r.index}]`;
  return r.when === undefined ? value : `${r.when} ? ${value} : null`;
}

/**
 * A function that makes the FlowRecord of the raw record at `raw[at]`, compiled for one record shape:
 * every property in one object literal (base fields, the tag slots, the biflow counters), so records
 * are made in one allocation, share one hidden class, and the writers' property reads stay monomorphic.
 */
export function createRecordMaker(addrText: AddrText, shape: RecordShape): (raw: Float64Array, at: number) => FlowRecord {
  const reads = rawFieldReads(shape.biflow);
  // tag slots come before the reverse counters (the records' property order, which the writers follow)
  const base = reads.filter((r) => !r.name.startsWith('rev_'));
  const rev = reads.filter((r) => r.name.startsWith('rev_'));
  const props = [
    ...base.map((r) => `${r.name}: ${readCode(r)}`),
    ...(shape.tagFields ?? []).map((name) => `${JSON.stringify(name)}: undefined`),
    ...rev.map((r) => `${r.name}: ${readCode(r)}`),
  ];
  const body = `return function makeRecord(raw, at) {
    ${RAW_LOCALS}
    return { ${props.join(',\n      ')} };
  };`;
  return new Function('addrText', 'END_REASONS', 'TUNNEL_NAMES', body)(addrText, END_REASONS, TUNNEL_NAMES);
}

/**
 * A function that writes the raw record at `raw[at]` into an existing record made by createRecordMaker
 * with the same shape, its tag slots back to undefined: for the one record the taggers of a RawRecordSink
 * meter set their fields on, again and again (a fresh record per tagged flow was most of that meter's
 * garbage).
 */
export function createRecordFiller(addrText: AddrText, shape: RecordShape): (rec: FlowRecord, raw: Float64Array, at: number) => void {
  const stores = [
    ...rawFieldReads(shape.biflow).map((r) => `rec.${r.name} = ${readCode(r)};`),
    ...(shape.tagFields ?? []).map((name) => `rec[${JSON.stringify(name)}] = undefined;`),
  ];
  const body = `return function fillRecord(rec, raw, at) {
    ${RAW_LOCALS}
    ${stores.join('\n    ')}
  };`;
  return new Function('addrText', 'END_REASONS', 'TUNNEL_NAMES', body)(addrText, END_REASONS, TUNNEL_NAMES);
}
