import { describe, expect, it } from 'vitest';
import { bytes, ethernet, ipv4, ipv6, tcp, u16, u32, udp } from './build.js';
import { decodeBytes } from './snapshot.js';

const ETHERNET = 1;
const RAW = 101;

describe('IPv4', () => {
  it('reads ToS, total length and addresses', () => {
    const packet = ipv4({ proto: 17, tos: 0xb8, src: '10.1.2.3', dst: '10.4.5.6' }, udp(1, 2, bytes(3)));
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', tos: 0xb8, ipLen: 31, src: '10.1.2.3', dst: '10.4.5.6', proto: 17 });
  });

  it('skips options by the header length', () => {
    // IHL 6: NOP NOP NOP EOL
    const packet = ipv4({ proto: 17, options: [1, 1, 1, 0] }, udp(1234, 53, bytes(5)));
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', srcPort: 1234, dstPort: 53, ipLen: 37, payloadOff: 32, payloadLen: 5 });
  });

  it('calls a header length below 5 words malformed', () => {
    const packet = ipv4({ proto: 17 }, udp(1, 2, []));
    packet[0] = 0x44;
    expect(decodeBytes(packet, RAW).reason).toBe('malformed IP header');
  });

  it('calls a total length shorter than the header malformed', () => {
    expect(decodeBytes(ipv4({ proto: 17, totalLength: 19 }, udp(1, 2, [])), RAW).reason).toBe('malformed IP header');
    expect(decodeBytes(ipv4({ proto: 17, options: [1, 1, 1, 0], totalLength: 20 }, udp(1, 2, [])), RAW).reason).toBe('malformed IP header');
  });

  it('accepts a total length beyond the captured bytes (snap length) and clips the payload', () => {
    const packet = ipv4({ proto: 17, totalLength: 1500 }, udp(1, 2, bytes(100)));
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', ipLen: 1500, payloadOff: 28, payloadLen: 100 });
  });

  it('does not count Ethernet padding as payload', () => {
    const frame = [...ethernet(0x0800, ipv4({ proto: 17 }, udp(1, 2, [0x41, 0x42]))), ...bytes(30, 0)];
    expect(frame.length).toBe(74);
    expect(decodeBytes(frame, ETHERNET)).toMatchObject({ reason: 'none', ipLen: 30, payloadOff: 42, payloadLen: 2 });
  });

  it('reports a header cut by the capture as truncated', () => {
    const packet = ipv4({ proto: 17 }, udp(1, 2, []));
    expect(decodeBytes(packet.slice(0, 19), RAW).reason).toBe('truncated IP header');
    // 60-byte header (IHL 15), 40 bytes captured
    const long = ipv4({ proto: 17, options: bytes(40, 1) }, udp(1, 2, []));
    expect(decodeBytes(long.slice(0, 40), RAW).reason).toBe('truncated IP header');
  });

  it('marks the first fragment and still reads its ports', () => {
    const packet = ipv4({ proto: 17, id: 0x1ea0, fragment: 0x2000 }, udp(789, 2049, bytes(50)));
    expect(decodeBytes(packet, RAW)).toMatchObject({
      reason: 'none',
      fragment: true,
      fragFirst: true,
      fragId: 0x1ea0,
      srcPort: 789,
      dstPort: 2049,
      payloadOff: 28,
      payloadLen: 50,
    });
  });

  it('leaves the ports of later fragments at 0 and parses no payload', () => {
    // offset 185 * 8 bytes, more fragments follow
    const middle = ipv4({ proto: 17, id: 0x1ea0, fragment: 0x2000 | 185 }, bytes(1480, 0x35));
    expect(decodeBytes(middle, RAW)).toMatchObject({
      reason: 'none',
      proto: 17,
      fragment: true,
      fragFirst: false,
      fragId: 0x1ea0,
      srcPort: 0,
      dstPort: 0,
      ipLen: 1500,
      payloadOff: 20,
      payloadLen: 0,
    });
    const last = ipv4({ proto: 17, id: 0x1ea0, fragment: 925 }, bytes(920, 0x35));
    expect(decodeBytes(last, RAW)).toMatchObject({ fragment: true, fragFirst: false, fragId: 0x1ea0, srcPort: 0, ipLen: 940 });
  });

  it('does not call a don\'t-fragment packet a fragment', () => {
    const packet = ipv4({ proto: 6, id: 77, fragment: 0x4000 }, tcp(1, 2, 0x10, []));
    expect(decodeBytes(packet, RAW)).toMatchObject({ fragment: false, fragFirst: false, fragId: 0, srcPort: 1 });
  });
});

describe('IPv6', () => {
  it('reads the traffic class as ToS and 40 + payload length as the IP length', () => {
    const packet = ipv6({ nextHeader: 17, trafficClass: 0xb8 }, udp(1, 2, bytes(7)));
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', tos: 0xb8, ipLen: 55, payloadOff: 48, payloadLen: 7 });
  });

  it('reports fewer than 40 bytes as a truncated header', () => {
    expect(decodeBytes(ipv6({ nextHeader: 59 }, []).slice(0, 39), RAW).reason).toBe('truncated IP header');
  });

  it('walks hop-by-hop, destination options and routing headers', () => {
    const hopByHop = [60, 0, 1, 4, 0, 0, 0, 0]; // next: destination options, 8 bytes (PadN)
    const destination = [43, 1, ...bytes(14, 0)]; // next: routing, 16 bytes
    const routing = [17, 0, 0, 0, 0, 0, 0, 0]; // next: UDP, 8 bytes
    const packet = ipv6({ nextHeader: 0 }, [...hopByHop, ...destination, ...routing, ...udp(546, 547, bytes(6))]);
    expect(decodeBytes(packet, RAW)).toMatchObject({
      reason: 'none',
      proto: 17,
      srcPort: 546,
      dstPort: 547,
      ipLen: 40 + 32 + 14,
      payloadOff: 40 + 32 + 8,
      payloadLen: 6,
    });
  });

  it('sizes AH in 4-byte units plus 2', () => {
    // payload length field 4: (4 + 2) * 4 = 24 bytes
    const ah = [6, 4, 0, 0, ...u32(0x100), ...u32(1), ...bytes(12, 0)];
    const packet = ipv6({ nextHeader: 51 }, [...ah, ...tcp(443, 50000, 0x18, bytes(9))]);
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', proto: 6, srcPort: 443, tcpFlags: 0x18, payloadOff: 40 + 24 + 20, payloadLen: 9 });
  });

  it('walks a mobility header to no-next-header', () => {
    const mobility = [59, 1, 5, 0, ...bytes(12, 0)];
    expect(decodeBytes(ipv6({ nextHeader: 135 }, mobility), RAW)).toMatchObject({ reason: 'none', proto: 59, srcPort: 0, dstPort: 0, ipLen: 56 });
  });

  it('reads a first fragment: 32-bit id, ports', () => {
    const fragment = [17, 0, ...u16(0x0001), ...u32(0xdeadbeef)];
    const packet = ipv6({ nextHeader: 44 }, [...fragment, ...udp(53, 46433, bytes(20))]);
    expect(decodeBytes(packet, RAW)).toMatchObject({
      reason: 'none',
      proto: 17,
      fragment: true,
      fragFirst: true,
      fragId: 0xdeadbeef,
      srcPort: 53,
      dstPort: 46433,
      payloadOff: 56,
    });
  });

  it('reads a later fragment: the upper protocol, no ports, no payload', () => {
    // offset 181 * 8 = 1448, last fragment
    const fragment = [17, 0, ...u16(181 << 3), ...u32(0x28403c0b)];
    const packet = ipv6({ nextHeader: 44 }, [...fragment, ...bytes(61)]);
    expect(decodeBytes(packet, RAW)).toMatchObject({
      reason: 'none',
      proto: 17,
      fragment: true,
      fragFirst: false,
      fragId: 0x28403c0b,
      srcPort: 0,
      dstPort: 0,
      payloadOff: 48,
      payloadLen: 0,
    });
  });

  it('treats an atomic fragment (offset 0, no more fragments) as a whole packet', () => {
    const fragment = [6, 0, 0, 0, ...u32(99)];
    const packet = ipv6({ nextHeader: 44 }, [...fragment, ...tcp(1, 2, 0x02, [])]);
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', fragment: false, fragFirst: false, fragId: 0, srcPort: 1, tcpFlags: 2 });
  });

  it('stops at ESP: protocol 50, no ports, the rest is payload', () => {
    const packet = ipv6({ nextHeader: 50 }, [...u32(0x1001), ...u32(1), ...bytes(32)]);
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', proto: 50, srcPort: 0, dstPort: 0, payloadOff: 40, payloadLen: 40 });
  });

  it('gives no-next-header with payload length 0 the length 40, padding or not', () => {
    expect(decodeBytes([...ipv6({ nextHeader: 59 }, []), ...bytes(6, 0)], RAW)).toMatchObject({ reason: 'none', proto: 59, ipLen: 40, payloadLen: 0 });
  });

  it('takes the captured length for a jumbogram (payload length 0 with hop-by-hop)', () => {
    const jumbo = [17, 0, 0xc2, 4, ...u32(70000)];
    const packet = ipv6({ nextHeader: 0, payloadLength: 0 }, [...jumbo, ...udp(9, 9, bytes(100))]);
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', proto: 17, ipLen: 156, srcPort: 9, payloadLen: 100 });
  });

  it('reports an extension header cut by the capture as a truncated IP header', () => {
    const packet = ipv6({ nextHeader: 0 }, [17, 0, 1, 4, 0, 0, 0, 0, ...udp(1, 2, [])]);
    expect(decodeBytes(packet.slice(0, 41), RAW).reason).toBe('truncated IP header');
    const fragment = ipv6({ nextHeader: 44 }, [17, 0, 0, 1, 0, 0, 0, 5, ...udp(1, 2, [])]);
    expect(decodeBytes(fragment.slice(0, 47), RAW).reason).toBe('truncated IP header');
  });

  it('bounds the walk over a long chain and meters the packet with the header it stopped at', () => {
    const chain: number[] = [];
    for (let i = 0; i < 12; i++) chain.push(i < 11 ? 60 : 17, 0, 1, 4, 0, 0, 0, 0);
    const packet = ipv6({ nextHeader: 60 }, [...chain, ...udp(1, 2, [])]);
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', proto: 60, srcPort: 0, payloadOff: 40 + 10 * 8 });
  });
});
