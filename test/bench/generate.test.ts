/**
 * The benchmark's capture generator: reproducible, a valid pcap that other
 * tools can read, and the traffic mix it promises. The file is read back here
 * with a few lines of parsing, not with flowsig's own readers, so that a bug
 * there cannot hide one here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../scripts/bench/generate.js';

const dir = mkdtempSync(join(tmpdir(), 'flowsig-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function generate(packets: number, seed: number) {
  const path = join(dir, `seed${seed}-${packets}.pcap`);
  const result = generateCapture({ packets, seed, path });
  return { result, data: readFileSync(path) };
}

const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
const SNAPLEN = 128;

interface Packet {
  /** nanoseconds since 1970 */
  time: bigint;
  capLen: number;
  wireLen: number;
  vlan: number;
  ipVersion: number;
  /** the IP total length the header claims */
  ipLength: number;
  protocol: number;
  tos: number;
  nat64: boolean;
  /** addresses and ports, the same both ways */
  conversation: string;
  tcpFlags: number;
}

/** Parse every record and its headers; throws on anything malformed. */
function readCapture(data: Buffer): Packet[] {
  expect(data.readUInt32LE(0)).toBe(PCAP_MAGIC_NANOSECONDS);
  expect([data.readUInt16LE(4), data.readUInt16LE(6)]).toEqual([2, 4]);
  expect(data.readUInt32LE(16)).toBe(SNAPLEN);
  expect(data.readUInt32LE(20)).toBe(1); // Ethernet
  const packets: Packet[] = [];
  let off = 24;
  while (off < data.length) {
    if (off + 16 > data.length) throw new Error(`record header cut at ${off}`);
    const seconds = data.readUInt32LE(off);
    const nanoseconds = data.readUInt32LE(off + 4);
    const capLen = data.readUInt32LE(off + 8);
    const wireLen = data.readUInt32LE(off + 12);
    if (nanoseconds >= 1e9) throw new Error(`nanoseconds ${nanoseconds} at ${off}`);
    if (capLen !== Math.min(wireLen, SNAPLEN)) throw new Error(`captured ${capLen} of ${wireLen} at ${off}`);
    const frame = data.subarray(off + 16, off + 16 + capLen);
    if (frame.length !== capLen) throw new Error(`record cut at ${off}`);
    packets.push(parseFrame(frame, BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds), wireLen));
    off += 16 + capLen;
  }
  return packets;
}

function parseFrame(frame: Buffer, time: bigint, wireLen: number): Packet {
  let p = 12;
  let etherType = frame.readUInt16BE(p);
  let vlan = 0;
  if (etherType === 0x8100) {
    vlan = frame.readUInt16BE(p + 2) & 0xfff;
    etherType = frame.readUInt16BE(p + 4);
    p += 4;
  }
  p += 2;
  const linkLength = p;
  let ipLength: number, protocol: number, tos: number, source: string, destination: string, nat64 = false;
  if (etherType === 0x86dd) {
    expect(frame[p] >> 4).toBe(6);
    ipLength = 40 + frame.readUInt16BE(p + 4);
    protocol = frame[p + 6];
    tos = (frame.readUInt32BE(p) >>> 20) & 0xff;
    source = frame.subarray(p + 8, p + 24).toString('hex');
    destination = frame.subarray(p + 24, p + 40).toString('hex');
    nat64 = [source, destination].some((a) => a.startsWith('0064ff9b0000000000000000'));
    p += 40;
  } else {
    expect(etherType).toBe(0x0800);
    expect(frame[p]).toBe(0x45);
    ipLength = frame.readUInt16BE(p + 2);
    protocol = frame[p + 9];
    tos = frame[p + 1];
    source = frame.subarray(p + 12, p + 16).toString('hex');
    destination = frame.subarray(p + 16, p + 20).toString('hex');
    p += 20;
  }
  // what tcpdump, softflowd and nfpcapd rely on: the IP length accounts for the whole frame
  if (linkLength + ipLength !== wireLen) throw new Error(`IP length ${ipLength} in a ${wireLen}-byte frame`);
  const ports = protocol === 6 || protocol === 17 ? [frame.readUInt16BE(p), frame.readUInt16BE(p + 2)] : [0, 0];
  const ends = [`${source}.${ports[0]}`, `${destination}.${ports[1]}`].sort();
  return {
    time,
    capLen: frame.length,
    wireLen,
    vlan,
    ipVersion: etherType === 0x86dd ? 6 : 4,
    ipLength,
    protocol,
    tos,
    nat64,
    conversation: `${protocol} ${ends.join(' ')}`,
    tcpFlags: protocol === 6 ? frame[p + 13] : 0,
  };
}

const share = (packets: Packet[], test: (p: Packet) => boolean) => packets.filter(test).length / packets.length;

describe('benchmark capture generator', () => {
  it('gives the same bytes for the same seed and other bytes for another', () => {
    const a = generate(5000, 7).data;
    const b = generate(5000, 7).data;
    const c = generate(5000, 8).data;
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('writes a valid nanosecond Ethernet pcap, frames cut at 128 bytes, timestamps never going back', () => {
    const { result, data } = generate(20_000, 1);
    const packets = readCapture(data);
    expect(packets).toHaveLength(20_000);
    expect(result.packets).toBe(20_000);
    expect(result.bytes).toBe(data.length);
    for (let i = 1; i < packets.length; i++) if (packets[i].time < packets[i - 1].time) throw new Error(`packet ${i} goes back in time`);
    // about ten minutes of traffic
    const spanSeconds = Number(packets[packets.length - 1].time - packets[0].time) / 1e9;
    expect(spanSeconds).toBeGreaterThan(480);
    expect(spanSeconds).toBeLessThan(720);
    // snaplen 128 really cuts: full-size frames are kept whole on the wire, not in the file
    expect(packets.some((p) => p.wireLen >= 1514 && p.capLen === SNAPLEN)).toBe(true);
  });

  // Tolerances: the IPv6, NAT64 and VLAN shares are kept on target per packet by the generator, so
  // they are tight (± 3–5 points). The protocol mix is planned exactly, but the conversations cut
  // off at either end of the capture are mostly long ones (calls, big downloads), so it wanders by
  // a few points between seeds (seeds 1–10 all fall inside ± 5).
  it.each([1, 2, 3])('has the promised traffic mix (seed %i, 20k packets)', (seed) => {
    const packets = readCapture(generate(20_000, seed).data);
    const ipv6 = packets.filter((p) => p.ipVersion === 6);
    expect(Math.abs(ipv6.length / packets.length - 0.7)).toBeLessThan(0.03); // ~70 % IPv6, the rest IPv4
    expect(Math.abs(share(ipv6, (p) => p.nat64) - 0.45)).toBeLessThan(0.05); // a good part of it to 64:ff9b::/96
    expect(Math.abs(share(packets, (p) => p.vlan !== 0) - 0.25)).toBeLessThan(0.03); // 802.1Q-tagged
    expect(Math.abs(share(packets, (p) => p.protocol === 6) - 0.75)).toBeLessThan(0.05); // TCP 75 %
    expect(Math.abs(share(packets, (p) => p.protocol === 17) - 0.22)).toBeLessThan(0.05); // UDP 22 %
    const icmp = share(packets, (p) => p.protocol === 1 || p.protocol === 58); // ICMP 3 %
    expect(icmp).toBeGreaterThan(0.02);
    expect(icmp).toBeLessThan(0.04);
  });

  it('has realistic sizes and heavy-tailed, interleaved conversations', () => {
    const packets = readCapture(generate(20_000, 1).data);
    const tcp = packets.filter((p) => p.protocol === 6);
    const syns = tcp.filter((p) => p.tcpFlags & 0x02);
    expect(syns.length).toBeGreaterThan(100);
    expect(syns.every((p) => p.ipLength === (p.ipVersion === 4 ? 60 : 80))).toBe(true);
    expect(share(tcp, (p) => p.ipLength <= 80)).toBeGreaterThan(0.4); // handshakes, ACKs, FINs
    const data = tcp.filter((p) => p.ipLength > 80);
    expect(data.length / tcp.length).toBeGreaterThan(0.25);
    expect(share(data, (p) => p.ipLength === 1500)).toBeGreaterThan(0.6); // data: mostly full size
    expect(tcp.some((p) => p.tcpFlags & 0x01)).toBe(true); // FINs
    const voice = packets.filter((p) => p.tos === 0xb8); // RTP, marked EF
    expect(voice.length).toBeGreaterThan(0);
    expect(voice.every((p) => p.ipLength === (p.ipVersion === 4 ? 200 : 220))).toBe(true);

    const sizes = new Map<string, number>();
    for (const p of packets) sizes.set(p.conversation, (sizes.get(p.conversation) ?? 0) + 1);
    const counts = [...sizes.values()].sort((a, b) => a - b);
    expect(counts[counts.length >> 1]).toBeLessThanOrEqual(12); // most conversations: a few packets
    expect(counts[counts.length - 1]).toBeGreaterThan(200); // a few: hundreds (10^4–10^5 in the 10M capture)
    // interleaved: conversations overlap (about 3 start a second here; in the 10M capture, 1,000 and
    // thousands are under way at once)
    const span = new Map<string, [bigint, bigint]>();
    for (const p of packets) span.set(p.conversation, [span.get(p.conversation)?.[0] ?? p.time, p.time]);
    const middle = (packets[0].time + packets[packets.length - 1].time) / 2n;
    const underWay = [...span.values()].filter(([first, last]) => first <= middle && middle <= last).length;
    expect(underWay).toBeGreaterThan(8);
  });
});
