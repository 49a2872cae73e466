/**
 * NAT64 prefixes (RFC 6052) and the `nat64` tagger: a flow with an address
 * inside a NAT64 prefix talks to an IPv4 host through a translator; the IPv4
 * address embedded in that IPv6 address is extracted.
 */
import { parseIp } from '../flow/addr.js';
import type { FieldDef } from '../flow/fields.js';
import type { FlowRecord } from '../flow/record.js';
import type { PacketView } from '../decode/view.js';
import type { Tagger, TagEnv } from './inspector.js';

export interface Prefix64 {
  /** the prefix's first `length / 8` bytes matter */
  bytes: Uint8Array;
  /** 32, 40, 48, 56, 64 or 96 (RFC 6052 section 2.2) */
  length: number;
  text: string;
  /** the prefix as the first three 32-bit words of an address (signed), and which of their bits it fixes */
  words: Int32Array;
  masks: Int32Array;
}

export const WELL_KNOWN_PREFIX = '64:ff9b::/96';
const LENGTHS = [32, 40, 48, 56, 64, 96];
/** RFC 6052 2.2: where the four IPv4 bytes sit for each prefix length (byte 8, bits 64..71, is skipped) */
const EMBED: Record<number, readonly number[]> = {
  32: [4, 5, 6, 7],
  40: [5, 6, 7, 9],
  48: [6, 7, 9, 10],
  56: [7, 9, 10, 11],
  64: [9, 10, 11, 12],
  96: [12, 13, 14, 15],
};

/** "64:ff9b::/96", "2001:db8:100::/40"; throws Error with a reason otherwise. */
export function parsePrefix64(text: string): Prefix64 {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`${text}: expected an IPv6 prefix such as 64:ff9b::/96`);
  const bytes = parseIp(text.slice(0, slash));
  const length = Number(text.slice(slash + 1));
  if (!bytes || bytes.length !== 16) throw new Error(`${text}: ${text.slice(0, slash)} is not an IPv6 address`);
  if (!LENGTHS.includes(length)) throw new Error(`${text}: a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052)`);
  const words = new Int32Array(3), masks = new Int32Array(3);
  for (let k = 0; k < 3; k++) {
    const bits = Math.max(0, Math.min(32, length - 32 * k));
    masks[k] = bits === 0 ? 0 : -1 << (32 - bits);
    words[k] = ((bytes[4 * k] << 24) | (bytes[4 * k + 1] << 16) | (bytes[4 * k + 2] << 8) | bytes[4 * k + 3]) & masks[k];
  }
  return { bytes, length, text, words, masks };
}

/**
 * The prefix that holds the IPv6 address kept as four 32-bit words at `words[at]` (a raw record's
 * units), or undefined.
 */
export function prefixOfWords(prefixes: readonly Prefix64[], words: Float64Array, at: number): Prefix64 | undefined {
  const w0 = words[at] | 0, w1 = words[at + 1] | 0, w2 = words[at + 2] | 0;
  for (let p = 0; p < prefixes.length; p++) {
    const { words: pw, masks: m } = prefixes[p];
    if ((w0 & m[0]) === pw[0] && (w1 & m[1]) === pw[1] && (w2 & m[2]) === pw[2]) return prefixes[p];
  }
  return undefined;
}

/** The IPv4 address embedded under `prefix` in the address kept as words at `words[at]`, as a signed 32-bit number. */
export function embeddedIpv4OfWords(prefix: Prefix64, words: Float64Array, at: number): number {
  const e = EMBED[prefix.length];
  let v4 = 0;
  for (let i = 0; i < 4; i++) {
    const j = e[i];
    v4 = (v4 << 8) | (((words[at + (j >>> 2)] | 0) >>> (24 - 8 * (j & 3))) & 255);
  }
  return v4;
}

/** The prefix that holds the IPv6 address at `buf[off]`, or undefined. */
export function prefixOf(prefixes: readonly Prefix64[], buf: Uint8Array, off: number): Prefix64 | undefined {
  for (let p = 0; p < prefixes.length; p++) {
    const pre = prefixes[p];
    const n = pre.length >>> 3;
    let i = 0;
    while (i < n && buf[off + i] === pre.bytes[i]) i++;
    if (i === n) return pre;
  }
  return undefined;
}

/** The IPv4 address embedded in the IPv6 address at `buf[off]` under `prefix`, as text. */
export function embeddedIpv4(prefix: Prefix64, buf: Uint8Array, off: number): string {
  const at = EMBED[prefix.length];
  return `${buf[off + at[0]]}.${buf[off + at[1]]}.${buf[off + at[2]]}.${buf[off + at[3]]}`;
}

/** The same as an unsigned 32-bit number (no text on the per-flow path). */
export function embeddedIpv4Number(prefix: Prefix64, buf: Uint8Array, off: number): number {
  const at = EMBED[prefix.length];
  return ((buf[off + at[0]] << 24) | (buf[off + at[1]] << 16) | (buf[off + at[2]] << 8) | buf[off + at[3]]) >>> 0;
}

/** The same for an address in text (SDP, DNS answers). */
export function embeddedIpv4Text(prefixes: readonly Prefix64[], text: string): string | undefined {
  if (!text.includes(':')) return undefined;
  const bytes = parseIp(text);
  if (!bytes || bytes.length !== 16) return undefined;
  const pre = prefixOf(prefixes, bytes, 0);
  return pre ? embeddedIpv4(pre, bytes, 0) : undefined;
}


export const NAT64_FIELDS: readonly FieldDef[] = [
  { name: 'nat64', aliases: [], type: 'bool', group: 'tag', description: 'an address of the flow lies in a NAT64 prefix (64:ff9b::/96 or --pref64)' },
  { name: 'nat64_ipv4', aliases: [], type: 'ip', group: 'tag', description: 'the IPv4 address embedded in the NAT64 address (RFC 6052)' },
];

/**
 * The embedded IPv4 address as a signed 32-bit number: the per-flow state is a
 * plain number (no object per flow), formatted once the record is written.
 */
type Nat64State = number;

/** text of recent addresses: most NAT64 flows go to a few popular servers */
const TEXT_CACHE_SIZE = 4096;
const textKeys = new Int32Array(TEXT_CACHE_SIZE);
const textValues: (string | undefined)[] = new Array<string | undefined>(TEXT_CACHE_SIZE).fill(undefined);

/** "a.b.c.d" of a signed 32-bit IPv4 address, through a direct-mapped cache */
export function ipv4Text(v4: number): string {
  const at = (Math.imul(v4, 0x9e3779b1) >>> 20) & (TEXT_CACHE_SIZE - 1);
  const cached = textValues[at];
  if (cached !== undefined && textKeys[at] === v4) return cached;
  const text = `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
  textKeys[at] = v4;
  textValues[at] = text;
  return text;
}

export const nat64Tagger: Tagger<Nat64State> = {
  name: 'nat64',
  annotates: true,
  fields: NAT64_FIELDS,
  claim(view: PacketView, buf: Buffer, _ts: number, env: TagEnv): number {
    if (view.ipVersion !== 6) return 0;
    return prefixOf(env.pref64, buf, view.dstOff) !== undefined || prefixOf(env.pref64, buf, view.srcOff) !== undefined ? 1 : 0;
  },
  open(view, buf, _ts, env) {
    let pre = prefixOf(env.pref64, buf, view.dstOff);
    const off = pre ? view.dstOff : view.srcOff;
    pre ??= prefixOf(env.pref64, buf, view.srcOff)!;
    return embeddedIpv4Number(pre, buf, off) | 0;
  },
  packet() {
    return false;
  },
  close(state, rec) {
    setNat64Fields(rec, state);
  },
};

/** The nat64 fields of a flow toward or from the IPv4 address `v4` (signed 32-bit) behind a NAT64 prefix. */
export function setNat64Fields(rec: FlowRecord, v4: number): void {
  rec.nat64 = true;
  rec.nat64_ipv4 = ipv4Text(v4);
}
