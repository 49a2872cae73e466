import { describe, expect, it } from 'vitest';
import { bytes, ethernet, ipv4, ipv6, u16, udp } from './build.js';
import { decodeBytes } from './snapshot.js';

const ETHERNET = 1;
const udp4 = ipv4({ proto: 17, src: '192.0.2.1', dst: '198.51.100.2' }, udp(5060, 5061, bytes(10)));
const udp6 = ipv6({ nextHeader: 17, src: '2001:db8::1', dst: '2001:db8::2' }, udp(5353, 5353, bytes(4)));
const MAC = [0x02, 0, 0, 0, 0, 0x0a];

describe('Ethernet', () => {
  it('reads IPv4 in an untagged frame', () => {
    expect(decodeBytes(ethernet(0x0800, udp4), ETHERNET)).toEqual({
      reason: 'none',
      ipVersion: 4,
      src: '192.0.2.1',
      dst: '198.51.100.2',
      proto: 17,
      srcPort: 5060,
      dstPort: 5061,
      tos: 0,
      tcpFlags: 0,
      ipLen: 38,
      vlan: 0,
      vlanDepth: 0,
      tunnel: '',
      tunnelIpVersion: 0,
      tunnelSrc: '',
      tunnelDst: '',
      tunnelIpLen: 0,
      fragment: false,
      fragFirst: false,
      fragId: 0,
      payloadOff: 42,
      payloadLen: 10,
    });
  });

  it('reads IPv6', () => {
    expect(decodeBytes(ethernet(0x86dd, udp6), ETHERNET)).toMatchObject({
      reason: 'none',
      ipVersion: 6,
      src: '2001:db8::1',
      dst: '2001:db8::2',
      proto: 17,
      srcPort: 5353,
      ipLen: 52,
      payloadOff: 62,
      payloadLen: 4,
    });
  });

  it('keeps the VLAN id of an 802.1Q tag without its priority bits', () => {
    // TCI 0xa064: priority 5, VLAN 100
    expect(decodeBytes(ethernet(0x0800, udp4, [[0x8100, 0xa064]]), ETHERNET)).toMatchObject({
      reason: 'none',
      vlan: 100,
      vlanDepth: 1,
      srcPort: 5060,
      payloadOff: 46,
    });
  });

  it('keeps the outermost id of 802.1ad + 802.1Q and counts both tags', () => {
    expect(decodeBytes(ethernet(0x86dd, udp6, [[0x88a8, 200], [0x8100, 2001]]), ETHERNET)).toMatchObject({
      reason: 'none',
      vlan: 200,
      vlanDepth: 2,
      src: '2001:db8::1',
    });
  });

  it('follows any depth of stacked tags, 0x9100 included', () => {
    const tags: Array<[number, number]> = [[0x9100, 7], [0x88a8, 8], [0x8100, 9], [0x8100, 10], [0x8100, 11]];
    expect(decodeBytes(ethernet(0x0800, udp4, tags), ETHERNET)).toMatchObject({
      reason: 'none',
      vlan: 7,
      vlanDepth: 5,
      dstPort: 5061,
      payloadOff: 14 + 5 * 4 + 28,
    });
  });

  it('records the VLAN even when the frame is not IP', () => {
    expect(decodeBytes(ethernet(0x0806, bytes(28), [[0x8100, 300]]), ETHERNET)).toMatchObject({
      reason: 'not IP',
      vlan: 300,
      vlanDepth: 1,
    });
  });

  it('calls ARP, 802.3/LLC, PPPoE discovery and MPLS not IP', () => {
    expect(decodeBytes(ethernet(0x0806, bytes(28)), ETHERNET).reason).toBe('not IP');
    // an 802.3 length field followed by an STP LLC header
    expect(decodeBytes(ethernet(0x0026, [0x42, 0x42, 0x03, ...bytes(35)]), ETHERNET).reason).toBe('not IP');
    expect(decodeBytes(ethernet(0x8863, bytes(20)), ETHERNET).reason).toBe('not IP');
    expect(decodeBytes(ethernet(0x8847, bytes(40)), ETHERNET).reason).toBe('not IP');
  });

  it('reports a frame shorter than its header or a cut VLAN tag as a truncated link layer', () => {
    expect(decodeBytes(ethernet(0x0800, udp4).slice(0, 13), ETHERNET).reason).toBe('truncated link-layer header');
    expect(decodeBytes(ethernet(0x0800, [], [[0x8100, 5]]).slice(0, 16), ETHERNET).reason).toBe('truncated link-layer header');
  });

  it('decodes only the captured length, not the whole buffer', () => {
    expect(decodeBytes(ethernet(0x0800, udp4), ETHERNET, { capLen: 10 }).reason).toBe('truncated link-layer header');
  });

  it('calls an IPv4 EtherType over an IPv6 header malformed', () => {
    expect(decodeBytes(ethernet(0x0800, udp6), ETHERNET).reason).toBe('malformed IP header');
  });
});

describe('PPPoE session inside Ethernet', () => {
  const pppoe = (pppProtocol: number, payload: number[]) => [0x11, 0x00, ...u16(0x2a), ...u16(2 + payload.length), ...u16(pppProtocol), ...payload];

  it('reads PPP IPv4 (0x0021) and IPv6 (0x0057)', () => {
    expect(decodeBytes(ethernet(0x8864, pppoe(0x0021, udp4)), ETHERNET)).toMatchObject({
      reason: 'none',
      ipVersion: 4,
      src: '192.0.2.1',
      srcPort: 5060,
      payloadOff: 14 + 8 + 28,
    });
    expect(decodeBytes(ethernet(0x8864, pppoe(0x0057, udp6), [[0x8100, 939], [0x8100, 744]]), ETHERNET)).toMatchObject({
      reason: 'none',
      ipVersion: 6,
      vlan: 939,
      vlanDepth: 2,
      dst: '2001:db8::2',
    });
  });

  it('reads a bare PPPoE session frame (LINKTYPE_PPP_ETHER 51)', () => {
    expect(decodeBytes(pppoe(0x0021, udp4), 51)).toMatchObject({ reason: 'none', ipVersion: 4, src: '192.0.2.1', srcPort: 5060, payloadOff: 8 + 28 });
  });

  it('calls LCP not IP and a cut PPPoE header truncated', () => {
    expect(decodeBytes(ethernet(0x8864, pppoe(0xc021, bytes(10))), ETHERNET).reason).toBe('not IP');
    expect(decodeBytes(ethernet(0x8864, pppoe(0x0021, udp4)).slice(0, 14 + 5), ETHERNET).reason).toBe('truncated link-layer header');
    expect(decodeBytes(ethernet(0x8864, pppoe(0x0021, udp4)).slice(0, 14 + 7), ETHERNET).reason).toBe('truncated link-layer header');
  });
});

describe('Linux cooked capture', () => {
  it('v1 (113): protocol at bytes 14-15 of a 16-byte header', () => {
    const sll = (protocol: number) => [0, 0, 0, 1, 0, 6, ...MAC, 0, 0, ...u16(protocol)];
    expect(decodeBytes([...sll(0x0800), ...udp4], 113)).toMatchObject({ reason: 'none', ipVersion: 4, srcPort: 5060, payloadOff: 16 + 28 });
    expect(decodeBytes([...sll(0x86dd), ...udp6], 113)).toMatchObject({ reason: 'none', ipVersion: 6, srcPort: 5353 });
    expect(decodeBytes([...sll(0x8100), ...u16(55), ...u16(0x0800), ...udp4], 113)).toMatchObject({ reason: 'none', vlan: 55, vlanDepth: 1 });
    expect(decodeBytes([...sll(0x0806), ...bytes(28)], 113).reason).toBe('not IP');
    // 0x0004: 802.2 LLC frames
    expect(decodeBytes([...sll(0x0004), ...bytes(28)], 113).reason).toBe('not IP');
    expect(decodeBytes(sll(0x0800).slice(0, 15), 113).reason).toBe('truncated link-layer header');
  });

  it('v2 (276): protocol at bytes 0-1 of a 20-byte header', () => {
    const sll2 = (protocol: number) => [...u16(protocol), 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, ...MAC, 0, 0];
    expect(decodeBytes([...sll2(0x86dd), ...udp6], 276)).toMatchObject({ reason: 'none', ipVersion: 6, dstPort: 5353, payloadOff: 20 + 48 });
    expect(decodeBytes([...sll2(0x0800), ...udp4], 276)).toMatchObject({ reason: 'none', ipVersion: 4 });
    expect(decodeBytes([...sll2(0x0806), ...bytes(28)], 276).reason).toBe('not IP');
    expect(decodeBytes(sll2(0x0800).slice(0, 19), 276).reason).toBe('truncated link-layer header');
  });
});

describe('raw IP', () => {
  it('101 and its aliases 12 and 14 take the version from the first nibble', () => {
    for (const linkType of [101, 12, 14]) {
      expect(decodeBytes(udp4, linkType)).toMatchObject({ reason: 'none', ipVersion: 4, srcPort: 5060, payloadOff: 28 });
      expect(decodeBytes(udp6, linkType)).toMatchObject({ reason: 'none', ipVersion: 6, srcPort: 5353, payloadOff: 48 });
    }
  });

  it('228 is IPv4 only and 229 IPv6 only', () => {
    expect(decodeBytes(udp4, 228)).toMatchObject({ reason: 'none', ipVersion: 4 });
    expect(decodeBytes(udp6, 229)).toMatchObject({ reason: 'none', ipVersion: 6 });
    expect(decodeBytes(udp6, 228).reason).toBe('malformed IP header');
    expect(decodeBytes(udp4, 229).reason).toBe('malformed IP header');
  });

  it('an empty packet is a truncated IP header, version 5 a malformed one', () => {
    expect(decodeBytes([], 101).reason).toBe('truncated IP header');
    expect(decodeBytes([0x55, ...udp4.slice(1)], 101).reason).toBe('malformed IP header');
  });
});

describe('BSD loopback', () => {
  it('NULL (0) reads the address family in either byte order', () => {
    expect(decodeBytes([2, 0, 0, 0, ...udp4], 0)).toMatchObject({ reason: 'none', ipVersion: 4, payloadOff: 4 + 28 });
    expect(decodeBytes([0, 0, 0, 2, ...udp4], 0)).toMatchObject({ reason: 'none', ipVersion: 4 });
    for (const family of [10, 24, 28, 30]) {
      expect(decodeBytes([family, 0, 0, 0, ...udp6], 0)).toMatchObject({ reason: 'none', ipVersion: 6 });
      expect(decodeBytes([0, 0, 0, family, ...udp6], 0)).toMatchObject({ reason: 'none', ipVersion: 6 });
    }
  });

  it('NULL: other families are not IP; fewer than 4 bytes is a truncated link layer', () => {
    expect(decodeBytes([7, 0, 0, 0, ...udp4], 0).reason).toBe('not IP');
    // Cisco HDLC framing (0f 00 08 00) is no address family
    expect(decodeBytes([0x0f, 0x00, 0x08, 0x00, ...udp4], 0).reason).toBe('not IP');
    expect(decodeBytes([2, 0, 0], 0).reason).toBe('truncated link-layer header');
  });

  it('LOOP (108) is always network byte order', () => {
    expect(decodeBytes([0, 0, 0, 2, ...udp4], 108)).toMatchObject({ reason: 'none', ipVersion: 4 });
    expect(decodeBytes([0, 0, 0, 24, ...udp6], 108)).toMatchObject({ reason: 'none', ipVersion: 6 });
    expect(decodeBytes([2, 0, 0, 0, ...udp4], 108).reason).toBe('not IP');
  });
});

describe('PPP', () => {
  it('9 with and without the ff 03 address and control bytes', () => {
    expect(decodeBytes([0xff, 0x03, 0x00, 0x21, ...udp4], 9)).toMatchObject({ reason: 'none', ipVersion: 4, payloadOff: 4 + 28 });
    expect(decodeBytes([0x00, 0x21, ...udp4], 9)).toMatchObject({ reason: 'none', ipVersion: 4, payloadOff: 2 + 28 });
    expect(decodeBytes([0xff, 0x03, 0x00, 0x57, ...udp6], 9)).toMatchObject({ reason: 'none', ipVersion: 6 });
  });

  it('9 with a compressed one-byte protocol field', () => {
    expect(decodeBytes([0x21, ...udp4], 9)).toMatchObject({ reason: 'none', ipVersion: 4, payloadOff: 1 + 28 });
  });

  it('50 (PPP in HDLC-like framing)', () => {
    expect(decodeBytes([0xff, 0x03, 0x00, 0x21, ...udp4], 50)).toMatchObject({ reason: 'none', srcPort: 5060 });
  });

  it('LCP is not IP; a missing protocol is a truncated link layer', () => {
    expect(decodeBytes([0xff, 0x03, 0xc0, 0x21, ...bytes(10)], 9).reason).toBe('not IP');
    expect(decodeBytes([0xff, 0x03], 9).reason).toBe('truncated link-layer header');
    expect(decodeBytes([0xff, 0x03, 0x00], 9).reason).toBe('truncated link-layer header');
  });
});

describe('unknown link types', () => {
  it('are reported as such', () => {
    for (const linkType of [105, 127, 147, 65535]) expect(decodeBytes(udp4, linkType).reason).toBe('unsupported link type');
  });
});
