/**
 * IP address text: IPv4 dotted quad, IPv6 as RFC 5952 recommends (lower
 * case, no leading zeros, the longest run of two or more zero groups
 * compressed to "::", the first such run on a tie, IPv4-mapped addresses
 * with a dotted tail). Not for the hot path: the meter formats at export.
 */

const IPV4_LEN = 4;
const IPV6_LEN = 16;
const IPV6_GROUPS = 8;
/** ::ffff:0:0/96 */
const MAPPED_PREFIX_GROUPS = 5;

/** The `version` (4 or 6) address stored at `off` in `buf`. */
export function formatIp(buf: Uint8Array, off: number, version: number): string {
  return version === 4 ? formatIpv4(buf, off) : formatIpv6(buf, off);
}

function formatIpv4(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

function formatIpv6(buf: Uint8Array, off: number): string {
  // the longest run of zero groups; `>` keeps the first run on a tie
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i < IPV6_GROUPS; i++) {
    const zero = buf[off + 2 * i] === 0 && buf[off + 2 * i + 1] === 0;
    if (zero && runStart < 0) runStart = i;
    if ((!zero || i === IPV6_GROUPS - 1) && runStart >= 0) {
      const len = (zero ? i + 1 : i) - runStart;
      if (len > bestLen) {
        bestStart = runStart;
        bestLen = len;
      }
      runStart = -1;
    }
  }
  if (bestStart === 0 && bestLen === MAPPED_PREFIX_GROUPS && group(buf, off, MAPPED_PREFIX_GROUPS) === 0xffff) {
    return `::ffff:${formatIpv4(buf, off + 12)}`;
  }
  // RFC 5952 4.2.2: a single zero group is never shortened
  if (bestLen < 2) bestStart = -1;
  let text = '';
  for (let i = 0; i < IPV6_GROUPS; i++) {
    if (i === bestStart) {
      text += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    text += group(buf, off, i).toString(16);
    if (i < IPV6_GROUPS - 1) text += ':';
  }
  return text;
}

function group(buf: Uint8Array, off: number, i: number): number {
  return (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
}

/**
 * The bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address in text, or
 * undefined when the text is not one. Accepts every RFC 4291 form (any case,
 * "::", a dotted IPv4 tail); rejects zone ids, prefixes and IPv4 octets with
 * leading zeros (which some parsers read as octal).
 */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const out = new Uint8Array(IPV4_LEN);
  return parseIpv4Into(text, out, 0) ? out : undefined;
}

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4Into(text: string, out: Uint8Array, off: number): boolean {
  const parts = text.split('.');
  if (parts.length !== IPV4_LEN) return false;
  for (let i = 0; i < IPV4_LEN; i++) {
    if (!DECIMAL_OCTET.test(parts[i])) return false;
    const value = Number(parts[i]);
    if (value > 255) return false;
    out[off + i] = value;
  }
  return true;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const compressed = halves.length === 2;

  const out = new Uint8Array(IPV6_LEN);
  // a dotted IPv4 tail fills the last two groups
  const last = compressed ? tail : head;
  let dottedGroups = 0;
  if (last.length > 0 && last[last.length - 1].includes('.')) {
    if (!parseIpv4Into(last[last.length - 1], out, IPV6_LEN - IPV4_LEN)) return undefined;
    last.pop();
    dottedGroups = 2;
  }

  const groupCount = head.length + tail.length + dottedGroups;
  // "::" stands for at least one group
  if (compressed ? groupCount > IPV6_GROUPS - 1 : groupCount !== IPV6_GROUPS) return undefined;

  if (!writeGroups(head, out, 0)) return undefined;
  const tailStart = (IPV6_GROUPS - dottedGroups - tail.length) * 2;
  if (!writeGroups(tail, out, tailStart)) return undefined;
  return out;
}

function writeGroups(groups: string[], out: Uint8Array, off: number): boolean {
  for (let i = 0; i < groups.length; i++) {
    if (!HEX_GROUP.test(groups[i])) return false;
    const value = parseInt(groups[i], 16);
    out[off + 2 * i] = value >> 8;
    out[off + 2 * i + 1] = value & 0xff;
  }
  return true;
}
