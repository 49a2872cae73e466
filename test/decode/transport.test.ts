import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../src/decode/decoder.js';
import { newPacketView, TunnelType } from '../../src/decode/view.js';
import { bytes, icmp, ipv4, ipv6, tcp, u16, udp } from './build.js';
import { decodeBytes } from './snapshot.js';

const RAW = 101;
const tcp4 = (segment: number[]) => ipv4({ proto: 6 }, segment);

describe('TCP', () => {
  it('reads ports, the flags byte and skips options by the data offset', () => {
    const options = [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]; // MSS, NOP, NOP, SACK ok, NOP, WS
    expect(decodeBytes(tcp4(tcp(60827, 25, 0xc2, bytes(5), options)), RAW)).toMatchObject({
      reason: 'none',
      proto: 6,
      srcPort: 60827,
      dstPort: 25,
      tcpFlags: 0xc2,
      payloadOff: 20 + 32,
      payloadLen: 5,
    });
  });

  it('meters a header cut after the ports, with flags 0 until byte 13 is captured', () => {
    const segment = tcp4(tcp(80, 59856, 0x12, bytes(10)));
    expect(decodeBytes(segment, RAW, { capLen: 24 })).toMatchObject({ reason: 'none', srcPort: 80, dstPort: 59856, tcpFlags: 0, payloadOff: 24, payloadLen: 0 });
    expect(decodeBytes(segment, RAW, { capLen: 33 })).toMatchObject({ reason: 'none', tcpFlags: 0, payloadLen: 0 });
    expect(decodeBytes(segment, RAW, { capLen: 34 })).toMatchObject({ reason: 'none', tcpFlags: 0x12, payloadOff: 34, payloadLen: 0 });
  });

  it('clips the payload to a header whose options were cut', () => {
    const segment = tcp4(tcp(1, 2, 0x02, [], bytes(20, 1)));
    expect(decodeBytes(segment, RAW, { capLen: 48 })).toMatchObject({ reason: 'none', tcpFlags: 0x02, payloadOff: 48, payloadLen: 0 });
  });

  it('needs the 4 port bytes', () => {
    expect(decodeBytes(tcp4(tcp(1, 2, 0x02, [])), RAW, { capLen: 23 }).reason).toBe('truncated transport header');
  });

  it('treats a data offset below 5 words as 5', () => {
    const segment = tcp(1, 2, 0x10, bytes(4));
    segment[12] = 0x20;
    expect(decodeBytes(tcp4(segment), RAW)).toMatchObject({ reason: 'none', payloadOff: 40, payloadLen: 4 });
  });
});

describe('UDP', () => {
  it('reads ports and the payload after the 8-byte header', () => {
    expect(decodeBytes(ipv4({ proto: 17 }, udp(53, 33000, bytes(12))), RAW)).toMatchObject({ srcPort: 53, dstPort: 33000, payloadOff: 28, payloadLen: 12 });
  });

  it('needs the 4 port bytes', () => {
    expect(decodeBytes(ipv4({ proto: 17 }, udp(53, 1, [])), RAW, { capLen: 23 }).reason).toBe('truncated transport header');
    expect(decodeBytes(ipv4({ proto: 17 }, udp(53, 1, [])), RAW, { capLen: 24 })).toMatchObject({ reason: 'none', srcPort: 53, dstPort: 1, payloadOff: 24, payloadLen: 0 });
  });

  it('ends the payload where the datagram ends when the IP packet is longer', () => {
    const datagram = [...udp(12345, 1024, bytes(28)), ...bytes(8, 0)];
    expect(decodeBytes(ipv4({ proto: 17 }, datagram), RAW)).toMatchObject({ ipLen: 64, payloadOff: 28, payloadLen: 28 });
  });
});

describe('SCTP', () => {
  it('reads ports; the chunks after the 12-byte common header are payload', () => {
    const sctp = [...u16(2905), ...u16(2944), 0, 0, 0, 1, 0, 0, 0, 0, ...bytes(16)];
    expect(decodeBytes(ipv6({ nextHeader: 132 }, sctp), RAW)).toMatchObject({ reason: 'none', proto: 132, srcPort: 2905, dstPort: 2944, payloadOff: 52, payloadLen: 16 });
    expect(decodeBytes(ipv6({ nextHeader: 132 }, sctp), RAW, { capLen: 43 }).reason).toBe('truncated transport header');
  });
});

describe('ICMP and ICMPv6', () => {
  it('put type * 256 + code in the destination port (NetFlow v5)', () => {
    expect(decodeBytes(ipv4({ proto: 1 }, icmp(8, 0, bytes(56))), RAW)).toMatchObject({ proto: 1, srcPort: 0, dstPort: 2048, payloadOff: 28, payloadLen: 56 });
    expect(decodeBytes(ipv4({ proto: 1 }, icmp(3, 3, bytes(28))), RAW)).toMatchObject({ srcPort: 0, dstPort: 771 });
    expect(decodeBytes(ipv6({ nextHeader: 58 }, icmp(2, 0, bytes(40))), RAW)).toMatchObject({ proto: 58, srcPort: 0, dstPort: 512 });
    expect(decodeBytes(ipv6({ nextHeader: 58 }, icmp(128, 0, [])), RAW)).toMatchObject({ dstPort: 32768 });
  });

  it('need the type and code bytes', () => {
    expect(decodeBytes(ipv4({ proto: 1 }, icmp(8, 0)), RAW, { capLen: 21 }).reason).toBe('truncated transport header');
    expect(decodeBytes(ipv4({ proto: 1 }, icmp(8, 0)), RAW, { capLen: 22 })).toMatchObject({ reason: 'none', dstPort: 2048, payloadOff: 22, payloadLen: 0 });
  });
});

describe('other protocols', () => {
  it('have no ports; everything after the IP header is payload', () => {
    expect(decodeBytes(ipv4({ proto: 103 }, bytes(18)), RAW)).toMatchObject({ reason: 'none', proto: 103, srcPort: 0, dstPort: 0, payloadOff: 20, payloadLen: 18 });
  });
});

describe('the reused view', () => {
  it('forgets everything about the previous packet', () => {
    const decode = createDecoder();
    const view = newPacketView();
    const synInTunnel = Buffer.from(ipv6({ nextHeader: 4 }, tcp4(tcp(1, 2, 0x02, bytes(3)))));
    decode(synInTunnel, 0, synInTunnel.length, RAW, view);
    expect(view.tunnelType).toBe(TunnelType.V4inV6);
    expect(view.tcpFlags).toBe(2);
    const fragment = Buffer.from(ipv4({ proto: 17, fragment: 100 }, bytes(8)));
    decode(fragment, 0, fragment.length, RAW, view);
    const fresh = newPacketView();
    createDecoder()(fragment, 0, fragment.length, RAW, fresh);
    expect(view).toEqual(fresh);
    expect(view).toMatchObject({ tunnelType: TunnelType.None, tcpFlags: 0, srcPort: 0, fragment: true });
  });
});
