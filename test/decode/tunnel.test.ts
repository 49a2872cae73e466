import { describe, expect, it } from 'vitest';
import { bytes, ethernet, icmp, ipv4, ipv6, tcp, u16, u32, udp } from './build.js';
import { decodeBytes } from './snapshot.js';

const ETHERNET = 1;
const RAW = 101;

const B4 = '2001:db8:b4::1';
const AFTR = '2001:db8:af::1';
const inner4 = ipv4({ proto: 6, src: '192.168.1.10', dst: '203.0.113.5', tos: 0x10 }, tcp(40000, 443, 0x02, bytes(4)));
const inner6 = ipv6({ nextHeader: 17, src: '2001:db8:1::10', dst: '2001:db8:2::20' }, udp(5000, 6000, bytes(6)));

function gre(flags: number, protocol: number, fields: number[], payload: number[]): number[] {
  return [...u16(flags), ...u16(protocol), ...fields, ...payload];
}

describe('IP in IP', () => {
  it('4in6 (DS-Lite, lw4o6): the inner IPv4 packet, the outer IPv6 addresses', () => {
    const packet = ethernet(0x86dd, ipv6({ nextHeader: 4, src: B4, dst: AFTR }, inner4));
    expect(decodeBytes(packet, ETHERNET)).toEqual({
      reason: 'none',
      ipVersion: 4,
      src: '192.168.1.10',
      dst: '203.0.113.5',
      proto: 6,
      srcPort: 40000,
      dstPort: 443,
      tos: 0x10,
      tcpFlags: 0x02,
      ipLen: 44,
      vlan: 0,
      vlanDepth: 0,
      tunnel: '4in6',
      tunnelIpVersion: 6,
      tunnelSrc: B4,
      tunnelDst: AFTR,
      tunnelIpLen: 84,
      fragment: false,
      fragFirst: false,
      fragId: 0,
      payloadOff: 14 + 40 + 40,
      payloadLen: 4,
    });
  });

  it('6in4 (protocol 41)', () => {
    const packet = ipv4({ proto: 41, src: '198.51.100.1', dst: '198.51.100.2' }, inner6);
    expect(decodeBytes(packet, RAW)).toMatchObject({
      ipVersion: 6,
      src: '2001:db8:1::10',
      srcPort: 5000,
      ipLen: 54,
      tunnel: '6in4',
      tunnelIpVersion: 4,
      tunnelSrc: '198.51.100.1',
      tunnelDst: '198.51.100.2',
      tunnelIpLen: 74,
    });
  });

  it('4in4 (protocol 4) and 6in6 (next header 41)', () => {
    expect(decodeBytes(ipv4({ proto: 4, src: '10.0.0.1', dst: '10.0.0.2' }, inner4), RAW)).toMatchObject({
      src: '192.168.1.10',
      dstPort: 443,
      tunnel: '4in4',
      tunnelSrc: '10.0.0.1',
    });
    expect(decodeBytes(ipv6({ nextHeader: 41, src: 'feed::1', dst: 'feed::2' }, inner6), RAW)).toMatchObject({
      src: '2001:db8:1::10',
      dstPort: 6000,
      tunnel: '6in6',
      tunnelSrc: 'feed::1',
      tunnelDst: 'feed::2',
    });
  });

  it("with tunnels: 'outer' the outer header is the packet", () => {
    const packet = ethernet(0x86dd, ipv6({ nextHeader: 4, src: B4, dst: AFTR }, inner4));
    expect(decodeBytes(packet, ETHERNET, { tunnels: 'outer' })).toMatchObject({
      reason: 'none',
      ipVersion: 6,
      src: B4,
      dst: AFTR,
      proto: 4,
      srcPort: 0,
      dstPort: 0,
      ipLen: 84,
      tunnel: '',
      tunnelIpVersion: 0,
      payloadOff: 54,
      payloadLen: 44,
    });
  });

  it('meters the outer packet when the inner IP header was not captured whole', () => {
    const packet = ipv6({ nextHeader: 4, src: B4, dst: AFTR }, inner4);
    expect(decodeBytes(packet, RAW, { capLen: 40 + 19 })).toMatchObject({ reason: 'none', ipVersion: 6, src: B4, proto: 4, tunnel: '' });
  });

  it('meters the outer packet when the inner version is not the announced one', () => {
    expect(decodeBytes(ipv6({ nextHeader: 4, src: B4, dst: AFTR }, inner6), RAW)).toMatchObject({ reason: 'none', ipVersion: 6, src: B4, proto: 4, tunnel: '' });
  });

  it('does not look inside a fragmented outer packet, first fragment included', () => {
    const first = ipv4({ proto: 41, id: 9, fragment: 0x2000, src: '198.51.100.1' }, inner6);
    expect(decodeBytes(first, RAW)).toMatchObject({ reason: 'none', ipVersion: 4, proto: 41, fragment: true, fragFirst: true, fragId: 9, tunnel: '' });
  });

  it('reports a fragment of the inner packet with the tunnel', () => {
    const innerFragment = ipv4({ proto: 17, id: 0x4242, fragment: 0x2000 | 100, src: '192.168.1.10' }, bytes(40));
    expect(decodeBytes(ipv6({ nextHeader: 4, src: B4, dst: AFTR }, innerFragment), RAW)).toMatchObject({
      reason: 'none',
      src: '192.168.1.10',
      fragment: true,
      fragFirst: false,
      fragId: 0x4242,
      srcPort: 0,
      tunnel: '4in6',
      tunnelSrc: B4,
    });
  });

  it('reports what is wrong with the inner packet once inside', () => {
    const shortTcp = ipv4({ proto: 6, src: '192.168.1.10' }, [0x9c]);
    expect(decodeBytes(ipv6({ nextHeader: 4, src: B4, dst: AFTR }, shortTcp), RAW)).toMatchObject({ reason: 'truncated transport header', tunnel: '4in6', tunnelSrc: B4 });
  });

  it('keeps the outermost tunnel and goes on to the innermost packet', () => {
    const packet = ipv4({ proto: 41, src: '198.51.100.1', dst: '198.51.100.2' }, ipv6({ nextHeader: 4, src: B4, dst: AFTR }, inner4));
    expect(decodeBytes(packet, RAW)).toMatchObject({
      ipVersion: 4,
      src: '192.168.1.10',
      dstPort: 443,
      tunnel: '6in4',
      tunnelIpVersion: 4,
      tunnelSrc: '198.51.100.1',
      tunnelIpLen: 20 + 40 + 44,
    });
  });

  it('stops after 4 levels of nesting', () => {
    let packet = inner4;
    for (let level = 6; level >= 1; level--) packet = ipv4({ proto: 4, src: `10.0.0.${level}` }, packet);
    expect(decodeBytes(packet, RAW)).toMatchObject({ reason: 'none', src: '10.0.0.5', proto: 4, srcPort: 0, tunnel: '4in4', tunnelSrc: '10.0.0.1' });
  });
});

describe('GRE', () => {
  const outer = (payload: number[]) => ethernet(0x0800, ipv4({ proto: 47, src: '172.27.1.66', dst: '66.59.109.137' }, payload), [[0x8100, 7]]);

  it('version 0 with IPv4 inside', () => {
    expect(decodeBytes(outer(gre(0x0000, 0x0800, [], inner4)), ETHERNET)).toMatchObject({
      reason: 'none',
      src: '192.168.1.10',
      srcPort: 40000,
      tunnel: 'gre',
      tunnelIpVersion: 4,
      tunnelSrc: '172.27.1.66',
      tunnelDst: '66.59.109.137',
      tunnelIpLen: 20 + 4 + 44,
      vlan: 7,
    });
  });

  it('skips the checksum, key and sequence number fields', () => {
    const fields = [...u32(0), ...u32(0x28), ...u32(1)];
    expect(decodeBytes(outer(gre(0xb000, 0x86dd, fields, inner6)), ETHERNET)).toMatchObject({ reason: 'none', ipVersion: 6, dstPort: 6000, tunnel: 'gre' });
    expect(decodeBytes(outer(gre(0x2000, 0x0800, u32(0x28), inner4)), ETHERNET)).toMatchObject({ reason: 'none', srcPort: 40000, tunnel: 'gre' });
  });

  it('reads Ethernet bridged over GRE (0x6558) without touching the outer VLAN', () => {
    const bridged = ethernet(0x0800, inner4, [[0x8100, 42]]);
    expect(decodeBytes(outer(gre(0x0000, 0x6558, [], bridged)), ETHERNET)).toMatchObject({ reason: 'none', src: '192.168.1.10', tunnel: 'gre', vlan: 7, vlanDepth: 1 });
    const untaggedOuter = ipv4({ proto: 47, src: '172.27.1.66' }, gre(0x0000, 0x6558, [], bridged));
    expect(decodeBytes(untaggedOuter, RAW)).toMatchObject({ reason: 'none', src: '192.168.1.10', tunnel: 'gre', vlan: 0, vlanDepth: 0 });
  });

  it('reads the Cisco MetaData (SGT) header GRE may carry', () => {
    const metadata = [...u16(0x0800), 1, 1, 0, 1, 0, 0];
    expect(decodeBytes(outer(gre(0x2000, 0x8909, u32(0x28), [...metadata, ...inner4])), ETHERNET)).toMatchObject({ reason: 'none', src: '192.168.1.10', tunnel: 'gre' });
  });

  it('meters keepalives, CDP, source-routed and unknown versions as the outer GRE packet', () => {
    const keepalive = gre(0x0000, 0x0000, [], []);
    expect(decodeBytes(outer(keepalive), ETHERNET)).toMatchObject({ reason: 'none', src: '172.27.1.66', proto: 47, tunnel: '', payloadLen: 4 });
    expect(decodeBytes(outer(gre(0x2000, 0x2000, u32(0x28), bytes(30))), ETHERNET)).toMatchObject({ proto: 47, tunnel: '' });
    expect(decodeBytes(outer(gre(0x4000, 0x0800, u32(0), inner4)), ETHERNET)).toMatchObject({ proto: 47, tunnel: '' });
    expect(decodeBytes(outer(gre(0x0002, 0x0800, [], inner4)), ETHERNET)).toMatchObject({ proto: 47, tunnel: '' });
  });

  it('meters the outer packet when bridged Ethernet carries no IP', () => {
    const stp = ethernet(0x0026, [0x42, 0x42, 0x03, ...bytes(35)]);
    expect(decodeBytes(outer(gre(0x0000, 0x6558, [], stp)), ETHERNET)).toMatchObject({ reason: 'none', proto: 47, tunnel: '' });
  });

  describe('version 1 (PPTP enhanced GRE)', () => {
    // key present (payload length, call id), sequence, acknowledgement, version 1
    const pptp = (ppp: number[], flags = 0x3081) => gre(flags, 0x880b, [...u16(ppp.length), ...u16(0x4000), ...u32(5), ...u32(4)], ppp);

    it('reads IP in PPP, with or without address/control and protocol compression', () => {
      expect(decodeBytes(outer(pptp([0xff, 0x03, 0x00, 0x21, ...inner4])), ETHERNET)).toMatchObject({ reason: 'none', src: '192.168.1.10', dstPort: 443, tunnel: 'gre' });
      expect(decodeBytes(outer(pptp([0x21, ...inner4])), ETHERNET)).toMatchObject({ reason: 'none', src: '192.168.1.10', tunnel: 'gre' });
    });

    it('meters acknowledgements and encrypted (MPPE) frames as the outer packet', () => {
      const ackOnly = gre(0x2081, 0x880b, [...u16(0), ...u16(0x4000), ...u32(4)], []);
      expect(decodeBytes(outer(ackOnly), ETHERNET)).toMatchObject({ reason: 'none', proto: 47, tunnel: '' });
      expect(decodeBytes(outer(pptp([0xfd, ...bytes(40)])), ETHERNET)).toMatchObject({ reason: 'none', proto: 47, tunnel: '' });
    });
  });
});

describe('Teredo', () => {
  const teredoServer = '194.136.28.76';
  const client = '10.112.16.67';
  const bubble = ipv6({ nextHeader: 59, src: 'fe80::8000:f227:3d77:e3b3', dst: '2001:0:c288:1c4c:20f3:359b:46f9:3f46' }, []);
  const echo = ipv6({ nextHeader: 58, src: '2001:0:c288:1c4c:20f3:359b:46f9:3f46', dst: '2002:c288:1c4c::c288:1c4d' }, icmp(128, 0, bytes(4)));
  const auth = [0x00, 0x01, 0, 0, ...bytes(8, 0x11), 0];
  const origin = [0x00, 0x00, ...u16(0xaaaa), ...u32(0x3d77e3b3)];
  const teredo = (srcPort: number, dstPort: number, payload: number[]) => ipv4({ proto: 17, src: client, dst: teredoServer }, udp(srcPort, dstPort, payload));

  it('reads IPv6 in UDP port 3544, either direction', () => {
    expect(decodeBytes(teredo(51812, 3544, echo), RAW)).toMatchObject({
      reason: 'none',
      ipVersion: 6,
      src: '2001:0:c288:1c4c:20f3:359b:46f9:3f46',
      dst: '2002:c288:1c4c::c288:1c4d',
      proto: 58,
      dstPort: 32768,
      ipLen: 52,
      tunnel: 'teredo',
      tunnelSrc: client,
      tunnelDst: teredoServer,
      tunnelIpLen: 80,
    });
    expect(decodeBytes(teredo(3544, 51812, echo), RAW)).toMatchObject({ reason: 'none', tunnel: 'teredo', proto: 58 });
  });

  it('skips the authentication and origin indicators', () => {
    expect(decodeBytes(teredo(3544, 51812, [...origin, ...bubble]), RAW)).toMatchObject({ reason: 'none', proto: 59, ipLen: 40, tunnel: 'teredo' });
    expect(decodeBytes(teredo(52513, 3544, [...auth, ...echo]), RAW)).toMatchObject({ reason: 'none', proto: 58, tunnel: 'teredo' });
    expect(decodeBytes(teredo(3544, 52513, [...auth, ...origin, ...echo]), RAW)).toMatchObject({ reason: 'none', proto: 58, tunnel: 'teredo' });
  });

  it('is plain UDP when the inner IPv6 packet does not fill the datagram exactly', () => {
    expect(decodeBytes(teredo(51812, 3544, [...echo, 0]), RAW)).toMatchObject({ reason: 'none', ipVersion: 4, proto: 17, srcPort: 51812, dstPort: 3544, tunnel: '' });
    expect(decodeBytes(teredo(51812, 3544, echo.slice(0, 50)), RAW)).toMatchObject({ proto: 17, tunnel: '' });
  });

  it('is plain UDP when the payload is not IPv6', () => {
    const dns = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...bytes(40)];
    expect(decodeBytes(teredo(3544, 53, dns), RAW)).toMatchObject({ reason: 'none', proto: 17, srcPort: 3544, dstPort: 53, payloadLen: 52, tunnel: '' });
  });
});

describe('VXLAN', () => {
  const vxlan = (flags: number, frame: number[]) => [flags, 0, 0, 0, ...u32(0x7b << 8), ...frame];
  const outer = (payload: number[]) => ethernet(0x0800, ipv4({ proto: 17, src: '192.168.56.11', dst: '192.168.56.12' }, udp(48134, 4789, payload)), [[0x8100, 12]]);
  const innerFrame = ethernet(0x0800, ipv4({ proto: 1, src: '10.0.0.1', dst: '10.0.0.2' }, icmp(8, 0, bytes(56))), [[0x8100, 99]]);

  it('reads the Ethernet frame after the 8-byte header; inner VLAN tags leave the outer VLAN alone', () => {
    expect(decodeBytes(outer(vxlan(0x08, innerFrame)), ETHERNET)).toMatchObject({
      reason: 'none',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 1,
      dstPort: 2048,
      ipLen: 84,
      vlan: 12,
      vlanDepth: 1,
      tunnel: 'vxlan',
      tunnelSrc: '192.168.56.11',
      tunnelDst: '192.168.56.12',
      tunnelIpLen: 20 + 8 + 8 + 18 + 84,
    });
  });

  it('is plain UDP without the I flag, or when the frame is not IP (ARP)', () => {
    expect(decodeBytes(outer(vxlan(0x00, innerFrame)), ETHERNET)).toMatchObject({ reason: 'none', proto: 17, dstPort: 4789, tunnel: '' });
    expect(decodeBytes(outer(vxlan(0x08, ethernet(0x0806, bytes(28)))), ETHERNET)).toMatchObject({ reason: 'none', proto: 17, srcPort: 48134, dstPort: 4789, tunnel: '' });
  });

  it('only on destination port 4789', () => {
    const reply = ethernet(0x0800, ipv4({ proto: 17 }, udp(4789, 40000, vxlan(0x08, innerFrame))));
    expect(decodeBytes(reply, ETHERNET)).toMatchObject({ proto: 17, srcPort: 4789, tunnel: '' });
  });
});
