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
 * nfql/ imports nothing from decode/, so this file has its own small parser.
 */

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

/** IPv6 text (any RFC 4291 form, case-insensitive, `::`, dotted IPv4 tail) to 8 16-bit groups, or undefined. */
export function parseIpv6(text: string): Uint16Array | undefined {
  if (text.indexOf(':') < 0 || text.indexOf('%') >= 0) return undefined;
  const double = text.indexOf('::');
  if (double >= 0 && text.indexOf('::', double + 1) >= 0) return undefined;
  const head = double >= 0 ? text.slice(0, double) : text;
  const tail = double >= 0 ? text.slice(double + 2) : '';
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const out = new Uint16Array(8);
  const groups: number[] = [];
  const all = [...headGroups, ...tailGroups];
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    if (i === all.length - 1 && g.includes('.')) {
      const v4 = parseIpv4(g);
      if (v4 < 0) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
  }
  const tailCount = groups.length - headGroups.length;
  if (double < 0) {
    if (groups.length !== 8) return undefined;
  } else if (groups.length > 7) {
    return undefined;
  }
  for (let i = 0; i < headGroups.length; i++) out[i] = groups[i];
  for (let i = 0; i < tailCount; i++) out[8 - tailCount + i] = groups[headGroups.length + i];
  return out;
}

/** RFC 5952 text of 8 groups (as the meter writes it: IPv4-mapped addresses keep a dotted tail). */
function formatIpv6(g: Uint16Array): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => Array.from(g.subarray(from, to), (x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** The canonical text of an address (the meter's form), or undefined when `text` is no address. */
export function canonicalIp(text: string): string | undefined {
  const v4 = parseIpv4(text);
  if (v4 >= 0) return text;
  const v6 = parseIpv6(text);
  return v6 ? formatIpv6(v6) : undefined;
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
