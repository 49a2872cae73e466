/** `--hosts CIDR`: which addresses are inside hosts. Matching works on raw address bytes (the hot path). */
import { parseIp } from '../flow/addr.js';

export interface Cidr {
  text: string;
  bytes: Uint8Array;
  bits: number;
}

/** Parses "192.0.2.0/24", "2001:db8::/32" or a bare address (a /32 or /128); undefined when it is none of these. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIp(addrText);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  let bits = max;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > max) return undefined;
    bits = Number(b);
  }
  return { text, bytes, bits };
}

export function cidrContains(c: Cidr, buf: Uint8Array, off: number, version: number): boolean {
  if ((version === 4 ? 4 : 16) !== c.bytes.length) return false;
  const whole = c.bits >> 3;
  for (let i = 0; i < whole; i++) if (buf[off + i] !== c.bytes[i]) return false;
  const rest = c.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (buf[off + whole] & mask) === (c.bytes[whole] & mask);
}

/**
 * Destinations whose traffic never crosses a NAT: multicast, limited broadcast,
 * link-local and unspecified addresses (IPv4 224/4, 255.255.255.255, 169.254/16,
 * 0/8; IPv6 ff00::/8, fe80::/10, ::).
 */
export function isLocalOnly(buf: Uint8Array, off: number, version: number): boolean {
  const a = buf[off];
  if (version === 4) {
    if (a >= 224 || a === 0) return true; // multicast, reserved 240/4, limited broadcast, "this network"
    return a === 169 && buf[off + 1] === 254;
  }
  if (a === 0xff) return true;
  if (a === 0xfe && (buf[off + 1] & 0xc0) === 0x80) return true;
  for (let i = 0; i < 16; i++) if (buf[off + i] !== 0) return false;
  return true;
}
