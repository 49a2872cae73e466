/** Test-only packet builder: headers as plain byte arrays, lengths filled in. */
import { parseIp } from '../../src/flow/addr.js';

export type Bytes = number[];

export function addr(text: string): Bytes {
  const bytes = parseIp(text);
  if (!bytes) throw new Error(`bad address ${text}`);
  return [...bytes];
}

export function u16(n: number): Bytes {
  return [(n >> 8) & 0xff, n & 0xff];
}

export function u32(n: number): Bytes {
  return [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

export const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
export const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

/** Ethernet II; `vlanTags` are [TPID, VLAN id] pairs, outermost first. */
export function ethernet(etherType: number, payload: Bytes, vlanTags: Array<[tpid: number, id: number]> = []): Bytes {
  const out = [...MAC_B, ...MAC_A];
  if (vlanTags.length === 0) return [...out, ...u16(etherType), ...payload];
  out.push(...u16(vlanTags[0][0]));
  for (let i = 0; i < vlanTags.length; i++) {
    // each tag's type field names what follows it
    const next = i + 1 < vlanTags.length ? vlanTags[i + 1][0] : etherType;
    out.push(...u16(vlanTags[i][1]), ...u16(next));
  }
  return [...out, ...payload];
}

export interface Ipv4Options {
  src?: string;
  dst?: string;
  proto: number;
  tos?: number;
  id?: number;
  /** the 16-bit flags + fragment offset word (0x2000 = MF) */
  fragment?: number;
  /** IP options, a multiple of 4 bytes */
  options?: Bytes;
  /** overrides the computed total length */
  totalLength?: number;
}

export function ipv4(o: Ipv4Options, payload: Bytes): Bytes {
  const options = o.options ?? [];
  const headerLen = 20 + options.length;
  const totalLength = o.totalLength ?? headerLen + payload.length;
  return [
    0x40 | (headerLen / 4),
    o.tos ?? 0,
    ...u16(totalLength),
    ...u16(o.id ?? 0x1234),
    ...u16(o.fragment ?? 0),
    64,
    o.proto,
    0,
    0,
    ...addr(o.src ?? '192.0.2.1'),
    ...addr(o.dst ?? '198.51.100.2'),
    ...options,
    ...payload,
  ];
}

export interface Ipv6Options {
  src?: string;
  dst?: string;
  nextHeader: number;
  trafficClass?: number;
  /** overrides the computed payload length */
  payloadLength?: number;
}

export function ipv6(o: Ipv6Options, payload: Bytes): Bytes {
  const tc = o.trafficClass ?? 0;
  return [
    0x60 | (tc >> 4),
    (tc & 0x0f) << 4,
    0,
    0,
    ...u16(o.payloadLength ?? payload.length),
    o.nextHeader,
    64,
    ...addr(o.src ?? '2001:db8::1'),
    ...addr(o.dst ?? '2001:db8::2'),
    ...payload,
  ];
}

export function udp(srcPort: number, dstPort: number, payload: Bytes): Bytes {
  return [...u16(srcPort), ...u16(dstPort), ...u16(8 + payload.length), 0, 0, ...payload];
}

export function tcp(srcPort: number, dstPort: number, flags: number, payload: Bytes, options: Bytes = []): Bytes {
  const headerLen = 20 + options.length;
  return [...u16(srcPort), ...u16(dstPort), ...u32(1000), ...u32(0), (headerLen / 4) << 4, flags, ...u16(65535), 0, 0, 0, 0, ...options, ...payload];
}

export function icmp(type: number, code: number, payload: Bytes = []): Bytes {
  return [type, code, 0, 0, 0, 1, 0, 1, ...payload];
}

export function bytes(n: number, value = 0xab): Bytes {
  return new Array<number>(n).fill(value);
}
