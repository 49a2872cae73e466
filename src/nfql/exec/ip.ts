/**
 * IP addresses as the executor sees them: text in records (the meter writes
 * RFC 5952 text, flow files are canonicalized when read), parsed only where
 * a prefix test needs the bits.
 *
 * Equality never parses: constants are turned into the same canonical text
 * once per query, so `dstip = 224.0.0.251` is a string comparison per record.
 * Prefix tests (`srcip in 64:ff9b::/96`) parse the record's address: IPv4
 * with a small loop over the characters (cheaper than any cache), IPv6
 * through a bounded cache keyed by the text (addresses repeat a lot).
 *
 * Address text is parsed and printed by src/flow/addr.ts, the meter's own
 * module, so a constant and a record spell an address the same way.
 */
import { formatIp, parseIp } from '../../flow/addr.js';

/** IPv4 text to an unsigned 32-bit number, or -1 when the text is no IPv4 address. */
export function parseIpv4(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // no leading zeros (some parsers read them as octal)
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** IPv6 text (any RFC 4291 form) to 8 16-bit groups, or undefined. */
export function parseIpv6(text: string): Uint16Array | undefined {
  const bytes = text.includes(':') ? parseIp(text) : undefined;
  if (bytes === undefined) return undefined;
  const groups = new Uint16Array(8);
  for (let i = 0; i < 8; i++) groups[i] = (bytes[2 * i] << 8) | bytes[2 * i + 1];
  return groups;
}

/** The canonical text of an address (the meter's form: src/flow/addr.ts), or undefined when `text` is no address. */
export function canonicalIp(text: string): string | undefined {
  const bytes = parseIp(text);
  return bytes === undefined ? undefined : formatIp(bytes, 0, bytes.length === 4 ? 4 : 6);
}

/** A prefix such as `10.0.0.0/8` or `64:ff9b::/96`, ready for membership tests. */
export type Cidr =
  | { version: 4; network: number; mask: number; text: string }
  | { version: 6; groups: Uint16Array; bits: number; text: string };

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const bits = Number(lenText);
  const v4 = parseIpv4(addr);
  if (v4 >= 0) {
    if (bits > 32) return undefined;
    // bits = 0: mask 0 (a shift by 32 would be a shift by 0 in JavaScript)
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { version: 4, network: (v4 & mask) >>> 0, mask, text };
  }
  const v6 = parseIpv6(addr);
  if (!v6 || bits > 128) return undefined;
  const groups = new Uint16Array(8);
  for (let i = 0; i < 8; i++) groups[i] = v6[i] & groupMask(bits, i);
  return { version: 6, groups, bits, text };
}

function groupMask(bits: number, group: number): number {
  const inGroup = Math.max(0, Math.min(16, bits - group * 16));
  return inGroup === 0 ? 0 : (0xffff << (16 - inGroup)) & 0xffff;
}

const V6_CACHE_LIMIT = 65_536;
let v6Cache = new Map<string, Uint16Array | null>();

/** Parsed IPv6 groups of a record's address text, cached (records repeat addresses). */
function cachedIpv6(text: string): Uint16Array | null {
  let g = v6Cache.get(text);
  if (g === undefined) {
    g = parseIpv6(text) ?? null;
    if (v6Cache.size >= V6_CACHE_LIMIT) v6Cache = new Map();
    v6Cache.set(text, g);
  }
  return g;
}

/** Is the address text `value` inside `cidr`? Anything that is not an address of the prefix's version is outside. */
export function cidrContains(cidr: Cidr, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (cidr.version === 4) {
    const a = parseIpv4(value);
    return a >= 0 && ((a & cidr.mask) >>> 0) === cidr.network;
  }
  const g = cachedIpv6(value);
  if (g === null) return false;
  const full = cidr.bits >> 4;
  for (let i = 0; i < full; i++) if (g[i] !== cidr.groups[i]) return false;
  if (full < 8 && (cidr.bits & 15) !== 0) return (g[full] & groupMask(cidr.bits, full)) === cidr.groups[full];
  return true;
}
