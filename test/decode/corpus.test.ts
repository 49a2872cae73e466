/**
 * The decoder against the shared corpus. Expected values come from tshark
 * 4.x (with -o ip.defragment:FALSE -o ipv6.defragment:FALSE) and the
 * tcpdump outputs next to the captures, copied here as literals.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDecoder, type DecodeOptions } from '../../src/decode/decoder.js';
import { newPacketView, NOT_DECODED_REASONS } from '../../src/decode/view.js';
import { corpusPath, HAVE_CORPUS, manifest } from '../corpus.js';
import { isClassicPcap, readClassicPcap } from './pcap-records.js';
import { type Snapshot, snapshot } from './snapshot.js';

/** Decodes each record in place in the file's buffer; payloadOff is then made relative to the record. */
function decodeFile(rel: string, opts: Partial<DecodeOptions> = {}): Snapshot[] {
  const pcap = readClassicPcap(readFileSync(corpusPath(rel)));
  const decode = createDecoder(opts);
  const view = newPacketView();
  return pcap.records.map((r) => {
    decode(r.data, r.off, r.capLen, pcap.linkType, view);
    return { ...snapshot(r.data, view), payloadOff: view.payloadOff - r.off };
  });
}

/** packet number (1-based, as tshark counts) */
function packet(rel: string, n: number, opts: Partial<DecodeOptions> = {}): Snapshot {
  return decodeFile(rel, opts)[n - 1];
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe.skipIf(!HAVE_CORPUS)('corpus: tunnels', () => {
  it('ndpi-ipv4-in-ipv6-tls: the inner IPv4 TCP connection inside 4in6', () => {
    const packets = decodeFile('tunnels/ndpi-ipv4-in-ipv6-tls.pcap');
    expect(packets[0]).toEqual({
      reason: 'none',
      ipVersion: 4,
      src: '192.168.0.1',
      dst: '10.10.10.1',
      proto: 6,
      srcPort: 64455,
      dstPort: 443,
      tos: 0,
      tcpFlags: 0x02,
      ipLen: 52,
      vlan: 0,
      vlanDepth: 0,
      tunnel: '4in6',
      tunnelIpVersion: 6,
      tunnelSrc: '22e0:1685:eda7:38cc:58bd:f3f1:aa3f:22d8',
      tunnelDst: '344a:ba94:152a:ac34::2a',
      tunnelIpLen: 92,
      fragment: false,
      fragFirst: false,
      fragId: 0,
      payloadOff: 14 + 40 + 20 + 32,
      payloadLen: 0,
    });
    expect(packets[1]).toMatchObject({ src: '10.10.10.1', srcPort: 443, dstPort: 64455, tcpFlags: 0x12, tunnelSrc: '344a:ba94:152a:ac34::2a' });
    expect(packets[3]).toMatchObject({ tcpFlags: 0x10, ipLen: 1412, tunnelIpLen: 1452, payloadOff: 14 + 40 + 20 + 20, payloadLen: 1372 });
  });

  it("ndpi-ipv4-in-ipv6-tls with tunnels: 'outer': the IPv6 packets, protocol 4", () => {
    expect(packet('tunnels/ndpi-ipv4-in-ipv6-tls.pcap', 1, { tunnels: 'outer' })).toMatchObject({
      reason: 'none',
      ipVersion: 6,
      src: '22e0:1685:eda7:38cc:58bd:f3f1:aa3f:22d8',
      dst: '344a:ba94:152a:ac34::2a',
      proto: 4,
      srcPort: 0,
      dstPort: 0,
      ipLen: 92,
      tunnel: '',
    });
  });

  it('ndpi-6in4-proto41: IPv6 inside IPv4', () => {
    const packets = decodeFile('tunnels/ndpi-6in4-proto41.pcap');
    expect(countBy(packets, (p) => p.tunnel)).toEqual({ '6in4': 127 });
    expect(packets[0]).toMatchObject({
      ipVersion: 6,
      src: '2001:470:1f17:13f:3e97:eff:fe73:4dec',
      dst: '2604:a880:1:20::224:b001',
      proto: 58,
      dstPort: 128 * 256,
      ipLen: 104,
      tunnelIpVersion: 4,
      tunnelSrc: '174.3.73.24',
      tunnelDst: '184.105.255.26',
      tunnelIpLen: 124,
    });
    // destination unreachable (1), port unreachable (3), quoting a TCP segment we do not follow
    expect(packets[2]).toMatchObject({ src: '2001:470:1f16:13f::2', proto: 58, srcPort: 0, dstPort: 259, ipLen: 166 });
  });

  it('ndpi-ipv4-in-ipv4: 4in4 under two VLAN tags', () => {
    const packets = decodeFile('tunnels/ndpi-ipv4-in-ipv4.pcap');
    for (const p of packets) {
      expect(p).toMatchObject({
        reason: 'none',
        src: '10.10.100.25',
        dst: '10.10.101.2',
        proto: 17,
        srcPort: 62367,
        dstPort: 17000,
        ipLen: 128,
        vlan: 1624,
        vlanDepth: 2,
        tunnel: '4in4',
        tunnelSrc: '69.67.35.146',
        tunnelDst: '41.202.46.110',
        tunnelIpLen: 148,
      });
    }
  });

  it('ndpi-ipv6-in-ipv6: 6in6', () => {
    expect(decodeFile('tunnels/ndpi-ipv6-in-ipv6.pcap').map((p) => [p.tunnel, p.tunnelSrc, p.tunnelDst, p.src, p.dst, p.srcPort, p.dstPort, p.ipLen, p.tunnelIpLen])).toEqual([
      ['6in6', '2001:4f8:4:7:2e0:81ff:fe52:ffff', '2001:4f8:4:7:2e0:81ff:fe52:9a6b', 'dead::beef', 'cafe::babe', 30000, 13000, 52, 92],
      ['6in6', 'feed::beef', 'feed::cafe', 'dead::beef', 'cafe::babe', 30000, 13000, 52, 92],
    ]);
  });

  it('ndpi-teredo: every packet, with and without authentication and origin indicators', () => {
    const packets = decodeFile('tunnels/ndpi-teredo.pcap');
    expect(countBy(packets, (p) => `${p.tunnel} ${p.proto}`)).toEqual({ 'teredo 58': 22, 'teredo 59': 2 });
    // router solicitation behind an authentication indicator
    expect(packets[0]).toMatchObject({
      src: 'fe80::ffff:ffff:fffe',
      dst: 'ff02::2',
      dstPort: 133 * 256,
      ipLen: 48,
      tunnelSrc: '10.112.16.106',
      tunnelDst: '194.136.28.76',
      tunnelIpLen: 89,
    });
    // router advertisement behind authentication and origin indicators
    expect(packets[1]).toMatchObject({ src: 'fe80::8000:f227:3d77:e3b3', dstPort: 134 * 256, ipLen: 88, tunnelIpLen: 137 });
    expect(packets[8]).toMatchObject({ src: '2001:0:c288:1c4c:20f3:359b:46f9:3f46', dst: '2002:c288:1c4c::c288:1c4d', dstPort: 128 * 256 });
    // a bubble: no next header, behind an origin indicator
    expect(packets[14]).toMatchObject({ proto: 59, ipLen: 40, dst: '2001:0:c288:1c4c:20f3:359b:46f9:3f46', tunnelIpLen: 76 });
  });

  it('zeek-gre-sample: GRE version 0 carrying ICMP, NTP and SSH', () => {
    const packets = decodeFile('tunnels/zeek-gre-sample.pcap');
    expect(countBy(packets, (p) => `${p.tunnel} ${p.proto}`)).toEqual({ 'gre 1': 10, 'gre 17': 8, 'gre 6': 22 });
    expect(packets[0]).toMatchObject({
      src: '66.59.111.190',
      dst: '172.28.2.3',
      proto: 1,
      dstPort: 2048,
      ipLen: 84,
      tunnelSrc: '172.27.1.66',
      tunnelDst: '66.59.109.137',
      tunnelIpLen: 108,
    });
    expect(packets[8]).toMatchObject({ src: '66.59.111.190', dst: '18.26.4.105', srcPort: 123, dstPort: 123, tos: 0x10 });
    expect(packets[10]).toMatchObject({ srcPort: 40264, dstPort: 22, tcpFlags: 0xc2, ipLen: 60 });
    expect(packets[15]).toMatchObject({ tcpFlags: 0x18, tos: 0x02, ipLen: 76, payloadLen: 24 });
  });

  it('tcpdump-various-gre: no bridged Ethernet after all, but Cisco MetaData, keepalives and CDP in GRE', () => {
    // The manifest mentions transparent Ethernet bridging; the file holds none (tcpdump prints
    // gre-proto-0x8909, keep-alive and CDP). The STP, CDP, DTP and loopback frames sit beside GRE.
    const packets = decodeFile('tunnels/tcpdump-various-gre.pcap');
    expect(countBy(packets, (p) => `${p.reason} ${p.tunnel} ${p.proto}`)).toEqual({
      'not IP  0': 70,
      'none gre 1': 10,
      'none gre 103': 2,
      // a keepalive: an IPv4 packet holding the GRE reply, itself inside GRE + metadata
      'none gre 47': 8,
      // the keepalive replies and CDP
      'none  47': 10,
    });
    expect(packets[24]).toMatchObject({
      src: '172.17.1.54',
      dst: '172.17.1.55',
      proto: 1,
      dstPort: 2048,
      ipLen: 100,
      vlan: 1213,
      vlanDepth: 1,
      tunnel: 'gre',
      tunnelSrc: '10.172.64.6',
      tunnelDst: '10.172.64.7',
      tunnelIpLen: 136,
    });
    expect(packets[66]).toMatchObject({ src: '172.17.1.54', dst: '224.0.0.13', proto: 103, tos: 0xc0, tunnel: 'gre' });
    expect(packets[10]).toMatchObject({ src: '10.172.64.6', dst: '10.172.64.7', proto: 47, ipLen: 28, tunnel: 'gre', tunnelSrc: '10.172.64.7', tunnelIpLen: 64 });
    expect(packets[11]).toMatchObject({ src: '10.172.64.6', dst: '10.172.64.7', proto: 47, ipLen: 28, tunnel: '' });
    expect(packets[48]).toMatchObject({ reason: 'none', proto: 47, ipLen: 381, tunnel: '' });
    expect(packets[0]).toMatchObject({ reason: 'not IP', vlanDepth: 0 });
    expect(packets[1]).toMatchObject({ reason: 'not IP', vlan: 1213, vlanDepth: 1 });
  });

  it('zeek-vxlan: inner ICMP; ARP inside VXLAN stays the outer UDP packet', () => {
    const packets = decodeFile('tunnels/zeek-vxlan.pcap');
    expect(packets[0]).toMatchObject({ reason: 'none', src: '192.168.56.11', dst: '192.168.56.12', proto: 17, srcPort: 39924, dstPort: 4789, ipLen: 78, tunnel: '' });
    expect(packets[2]).toMatchObject({
      reason: 'none',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 1,
      dstPort: 2048,
      ipLen: 84,
      tunnel: 'vxlan',
      tunnelSrc: '192.168.56.11',
      tunnelDst: '192.168.56.12',
      tunnelIpLen: 134,
    });
    expect(packets[3]).toMatchObject({ src: '10.0.0.2', dstPort: 0, tunnel: 'vxlan' });
    expect(countBy(packets, (p) => p.tunnel)).toEqual({ '': 2, vxlan: 8 });
  });

  it('snabb-lwaftr-softwire-4in6-64pkts: 64 softwire packets of one TCP flow', () => {
    const packets = decodeFile('tunnels/snabb-lwaftr-softwire-4in6-64pkts.pcap');
    expect(packets).toHaveLength(64);
    for (const p of packets) {
      expect(p).toMatchObject({
        reason: 'none',
        src: '178.79.150.233',
        dst: '178.79.150.15',
        proto: 6,
        srcPort: 4660,
        dstPort: 80,
        tcpFlags: 0x10,
        ipLen: 52,
        tunnel: '4in6',
        tunnelSrc: '127:11:12:13:14:15:16:128',
        tunnelDst: '8:9:a:b:c:d:e:f',
        tunnelIpLen: 92,
      });
    }
  });

  it('snabb-lwaftr-mixed-native-and-4in6: native and softwire packets alternate', () => {
    const packets = decodeFile('tunnels/snabb-lwaftr-mixed-native-and-4in6.pcap');
    packets.forEach((p, i) => {
      if (i % 2 === 0) expect(p).toMatchObject({ src: '8.8.8.8', srcPort: 12345, dstPort: 1024, tunnel: '' });
      else expect(p).toMatchObject({ src: '178.79.150.1', srcPort: 1024, dstPort: 12345, tunnel: '4in6', tunnelSrc: '127:10:20:30:40:50:60:128', tunnelDst: '8:9:a:b:c:d:e:f' });
    });
    // the UDP length is 8 bytes shorter than the IP packet's payload: the rest is not payload
    expect([packets[0], packets[10], packets[16]].map((p) => [p.ipLen, p.payloadLen])).toEqual([
      [64, 28],
      [594, 558],
      [1500, 1464],
    ]);
  });

  it('sngrep-sip-in-ipip-tunnel: the same TCP connection seen tunneled and native', () => {
    const packets = decodeFile('sip-rtp/sngrep-sip-in-ipip-tunnel.pcap');
    expect(packets.map((p) => `${p.tunnel}|${p.tunnelSrc}|${p.src}:${p.srcPort} > ${p.dst}:${p.dstPort}`)).toEqual([
      `||10.15.197.103:${packets[0].srcPort} > 10.15.193.31:${packets[0].dstPort}`,
      `4in4|10.15.196.229|10.15.193.31:${packets[0].dstPort} > 10.15.197.103:${packets[0].srcPort}`,
      `4in4|10.15.196.229|10.15.193.31:${packets[0].dstPort} > 10.15.197.103:${packets[0].srcPort}`,
      `||10.15.197.103:${packets[0].srcPort} > 10.15.193.31:${packets[0].dstPort}`,
    ]);
  });
});

describe.skipIf(!HAVE_CORPUS)('corpus: link types', () => {
  it('tcpdump-8021ad-qinq: 802.1ad vlan 200 over 802.1Q vlan 2001, ARP inside', () => {
    expect(decodeFile('linktypes/tcpdump-8021ad-qinq.pcap').map((p) => [p.reason, p.vlan, p.vlanDepth])).toEqual([
      ['not IP', 200, 2],
      ['not IP', 200, 2],
    ]);
  });

  it('zeek-vlan-qinqinq: three stacked tags, outermost 30', () => {
    const packets = decodeFile('linktypes/zeek-vlan-qinqinq.pcap');
    expect(countBy(packets, (p) => `${p.reason} ${p.vlan} ${p.vlanDepth}`)).toEqual({ 'none 30 3': 14 });
    expect(packets[0]).toMatchObject({ src: '141.142.228.5', dst: '192.150.187.43', srcPort: 59856, dstPort: 80, tcpFlags: 0x02, ipLen: 64 });
  });

  it('zeek-linux-sll2: ICMP, ICMPv6 and ARP', () => {
    expect(decodeFile('linktypes/zeek-linux-sll2.pcap').map((p) => [p.reason, p.src, p.dst, p.dstPort, p.ipLen])).toEqual([
      ['none', '192.0.2.1', '192.0.2.1', 2048, 84],
      ['none', '192.0.2.1', '192.0.2.1', 0, 84],
      ['none', 'fe80::8c36:6ff:fe44:acaf', 'fe80::8c36:6ff:fe44:acaf', 32768, 104],
      ['none', 'fe80::8c36:6ff:fe44:acaf', 'fe80::8c36:6ff:fe44:acaf', 33024, 104],
      ['not IP', '', '', 0, 0],
      ['not IP', '', '', 0, 0],
    ]);
  });

  it('tcpdump-tcp-handshake-nanosecond: Linux cooked v1', () => {
    expect(decodeFile('linktypes/tcpdump-tcp-handshake-nanosecond.pcap').map((p) => [p.src, p.srcPort, p.dst, p.dstPort, p.tcpFlags, p.ipLen])).toEqual([
      ['131.155.215.69', 46656, '137.116.81.94', 80, 0x02, 60],
      ['137.116.81.94', 80, '131.155.215.69', 46656, 0x12, 60],
      ['131.155.215.69', 46656, '137.116.81.94', 80, 0x10, 52],
    ]);
  });

  it('pcapplusplus-null-loopback-v4-v6: both families; the third packet is Cisco HDLC framing, not an AF', () => {
    // Its 4-byte header is 0f 00 08 00. Wireshark guesses an EtherType from it; we do not.
    expect(decodeFile('linktypes/pcapplusplus-null-loopback-v4-v6.pcap').map((p) => [p.reason, p.ipVersion, p.src, p.dst, p.proto, p.srcPort, p.dstPort, p.ipLen])).toEqual([
      ['none', 6, '::1', '::1', 6, 49888, 81, 475],
      ['none', 4, '172.16.1.117', '172.16.1.255', 17, 55369, 8612, 44],
      ['not IP', 0, '', '', 0, 0, 0, 0],
    ]);
  });

  it('raw IP: LINKTYPE_RAW (101), LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229)', () => {
    const dns4 = { reason: 'none', ipVersion: 4, src: '192.168.1.100', dst: '9.9.9.9', proto: 17, srcPort: 12345, dstPort: 53, ipLen: 57 };
    expect(packet('linktypes/tcpdump-linktype-raw-ipv4.pcap', 1)).toMatchObject(dns4);
    expect(packet('linktypes/tcpdump-linktype-ipv4.pcap', 1)).toMatchObject(dns4);
    expect(packet('linktypes/tcpdump-linktype-ipv6.pcap', 1)).toMatchObject({ reason: 'none', ipVersion: 6, src: '2001:db8::1', dst: '2620:fe::9', srcPort: 12345, dstPort: 53, ipLen: 77 });
  });

  it('pcapplusplus-raw-ip-mixed-v4-v6: 50 IPv4 and 50 IPv6 packets', () => {
    const packets = decodeFile('linktypes/pcapplusplus-raw-ip-mixed-v4-v6.pcap');
    expect(countBy(packets, (p) => `${p.reason} v${p.ipVersion}`)).toEqual({ 'none v4': 50, 'none v6': 50 });
    expect(packets[0]).toMatchObject({ src: '2001:618:400::5199:cc70', dst: '2001:618:1:8000::5', srcPort: 35995, dstPort: 80, tcpFlags: 0x02, ipLen: 80 });
  });

  it('tcpdump-ppp-ip-udp-dns: a damaged PPP_HDLC frame (ff 5f ...) is not IP', () => {
    // tcpdump prints "unknown PPP protocol (0x7e08)" and Wireshark "ppp:data" for it.
    expect(packet('linktypes/tcpdump-ppp-ip-udp-dns.pcap', 1).reason).toBe('not IP');
  });

  it('big-endian pcaps decode like any other', () => {
    expect(decodeFile('linktypes/arkime-big-endian-pcap.pcap').map((p) => [p.src, p.dst, p.dstPort, p.ipLen])).toEqual([
      ['192.168.177.160', '10.64.11.49', 2048, 84],
      ['192.168.177.160', '10.64.11.49', 2048, 84],
    ]);
    expect(packet('linktypes/pcapplusplus-big-endian-nanosecond.pcap', 2)).toMatchObject({ src: '127.0.0.1', srcPort: 8000, dstPort: 43030, tcpFlags: 0x12, ipLen: 60 });
  });
});

describe.skipIf(!HAVE_CORPUS)('corpus: IP and transport', () => {
  it('pcapplusplus-http-fin-then-rst-vlan-pppoe: two VLAN tags, PPPoE, the whole connection', () => {
    const packets = decodeFile('l3l4/pcapplusplus-http-fin-then-rst-vlan-pppoe.pcap');
    expect(packets[0]).toMatchObject({ reason: 'none', vlan: 939, vlanDepth: 2, src: '10.3.65.35', dst: '185.8.212.46', srcPort: 5068, dstPort: 80, ipLen: 52 });
    expect(packets.map((p) => p.tcpFlags)).toEqual([0x02, 0x12, 0x10, 0x18, 0x10, 0x18, 0x11, 0x10, 0x10, 0x14]);
    expect(packets[3]).toMatchObject({ ipLen: 1076, payloadLen: 1036 });
  });

  it('pcapplusplus-ipv4-fragments: first fragments keep their ports, later ones do not', () => {
    const packets = decodeFile('l3l4/pcapplusplus-ipv4-fragments.pcap');
    expect(countBy(packets, (p) => (p.fragment ? (p.fragFirst ? 'first' : 'later') : 'whole'))).toEqual({ first: 9, later: 41, whole: 3 });
    expect(packets[0]).toMatchObject({ fragment: true, fragFirst: true, fragId: 0x1ea0, srcPort: 789, dstPort: 2049, ipLen: 1500 });
    expect(packets[1]).toMatchObject({ fragment: true, fragFirst: false, fragId: 0x1ea0, srcPort: 0, dstPort: 0, proto: 17, payloadLen: 0 });
    expect(packets[5]).toMatchObject({ fragment: true, fragFirst: false, fragId: 0x1ea0, ipLen: 940 });
    expect(packets[6]).toMatchObject({ fragFirst: true, fragId: 0x1ea1 });
  });

  it('pcapplusplus-ipv6-fragments: 32-bit identification from the fragment header', () => {
    const packets = decodeFile('l3l4/pcapplusplus-ipv6-fragments.pcap');
    expect(countBy(packets, (p) => (p.fragment ? (p.fragFirst ? 'first' : 'later') : 'whole'))).toEqual({ first: 4, later: 32 });
    expect(packets[0]).toMatchObject({ src: 'fe80::21f:f3ff:fecd:f617', dst: 'ff02::fb', proto: 17, fragFirst: true, fragId: 0x002c5323, srcPort: 5353, dstPort: 5353, ipLen: 168 });
    expect(packets[6]).toMatchObject({ fragFirst: false, fragId: 0x002c5323, srcPort: 0, proto: 17, ipLen: 69 });
    expect(packets[7]).toMatchObject({ fragFirst: true, fragId: 0x98d687d1 });
    expect(packets[20]).toMatchObject({ fragFirst: true, fragId: 0x02df87d0, srcPort: 60245, dstPort: 3702 });
  });

  it('ndpi-dns-fragmented-ipv4: fragments of both versions among whole packets', () => {
    const packets = decodeFile('dns/ndpi-dns-fragmented-ipv4.pcap');
    expect(countBy(packets, (p) => `v${p.ipVersion} ${p.fragment ? (p.fragFirst ? 'first' : 'later') : 'whole'}`)).toEqual({
      'v4 first': 4,
      'v4 later': 4,
      'v4 whole': 14,
      'v6 first': 3,
      'v6 later': 3,
      'v6 whole': 38,
    });
    expect(packets[4]).toMatchObject({ fragFirst: true, fragId: 0x28403c0b, srcPort: 53, dstPort: 46433 });
    expect(packets[5]).toMatchObject({ fragFirst: false, fragId: 0x28403c0b, srcPort: 0 });
  });

  it('zeek-icmp-destunreach-udp: type 3 code 3', () => {
    expect(packet('l3l4/zeek-icmp-destunreach-udp.pcap', 1)).toMatchObject({ reason: 'none', src: '192.168.1.102', dst: '192.168.1.1', proto: 1, srcPort: 0, dstPort: 3 * 256 + 3, ipLen: 176 });
  });

  it('zeek-icmp6-packet-too-big: type 2 code 0', () => {
    expect(packet('l3l4/zeek-icmp6-packet-too-big.pcap', 1)).toMatchObject({ reason: 'none', src: 'fe80::dead', dst: 'fe80::beef', proto: 58, srcPort: 0, dstPort: 2 * 256, ipLen: 100 });
  });
});

describe.skipIf(!HAVE_CORPUS)('corpus: malformed', () => {
  it('zeek-ipv4-header-truncated and zeek-ipv6-header-truncated', () => {
    expect(packet('malformed/zeek-ipv4-header-truncated.pcap', 1).reason).toBe('truncated IP header');
    expect(packet('malformed/zeek-ipv6-header-truncated.pcap', 1).reason).toBe('truncated IP header');
  });

  it('zeek-tcp-snaplen68: every packet metered, flags kept, no payload captured', () => {
    const packets = decodeFile('malformed/zeek-tcp-snaplen68.pcap');
    expect(packets.map((p) => p.tcpFlags)).toEqual([
      0xc2, 0x12, 0x10, 0x18, 0x10, 0x18, 0x10, 0x18, 0x18, 0x10, 0x18, 0x18, 0x10, 0x18, 0x18, 0x10, 0x18, 0x10, 0x18, 0x10, 0x18, 0x11, 0x11, 0x10,
    ]);
    expect(countBy(packets, (p) => `${p.reason} ${p.payloadLen}`)).toEqual({ 'none 0': 24 });
    // the SYN's 40-byte TCP header is cut at 68 bytes; the length is still the one on the wire
    expect(packets[0]).toMatchObject({ src: '201.186.157.67', dst: '128.3.26.249', srcPort: 60827, dstPort: 25, ipLen: 60, payloadOff: 68 });
    expect(packets[3]).toMatchObject({ ipLen: 124, payloadOff: 54 });
  });
});

/**
 * Packets per Undecodable reason for every corpus file in classic pcap format
 * (the pcapng ones need the real reader). Every "none" packet matched
 * tshark's innermost 5-tuple; every "not IP" one is a frame tshark shows
 * without IP (ARP, STP, CDP, DTP, loopback, the two damaged frames above).
 */
const REASONS: Record<string, Record<string, number>> = {
  'apps/ndpi-bittorrent.pcap': { none: 299 },
  'apps/ndpi-skype-2015-session.pcap': { none: 2294, 'not IP': 215 },
  'apps/ndpi-skype-conference-call.pcap': { none: 200 },
  'dns/ndpi-dns-fragmented-ipv4.pcap': { none: 66 },
  'dns/tcpdump-dns-tcp.pcap': { none: 11 },
  'dns/tcpdump-dns-udp.pcap': { none: 2 },
  'dns/zeek-dns-edns-ecs-many-aaaa.pcap': { none: 89 },
  'dns/zeek-dns-over-fragmented-ipv6.pcap': { none: 8 },
  'l3l4/pcapplusplus-http-fin-then-rst-vlan-pppoe.pcap': { none: 10 },
  'l3l4/pcapplusplus-ipv4-fragments.pcap': { none: 53 },
  'l3l4/pcapplusplus-ipv6-fragments.pcap': { none: 36 },
  'l3l4/zeek-icmp-destunreach-udp.pcap': { none: 1 },
  'l3l4/zeek-icmp6-packet-too-big.pcap': { none: 1 },
  'l3l4/zeek-tcp-full-lifecycle-snaplen96.pcap': { none: 12 },
  'linktypes/arkime-big-endian-pcap.pcap': { none: 2 },
  'linktypes/pcapplusplus-big-endian-nanosecond.pcap': { none: 10 },
  'linktypes/pcapplusplus-null-loopback-v4-v6.pcap': { none: 2, 'not IP': 1 },
  'linktypes/pcapplusplus-raw-ip-mixed-v4-v6.pcap': { none: 100 },
  'linktypes/tcpdump-8021ad-qinq.pcap': { 'not IP': 2 },
  'linktypes/tcpdump-linktype-ipv4.pcap': { none: 1 },
  'linktypes/tcpdump-linktype-ipv6.pcap': { none: 1 },
  'linktypes/tcpdump-linktype-raw-ipv4.pcap': { none: 1 },
  'linktypes/tcpdump-ppp-ip-udp-dns.pcap': { 'not IP': 1 },
  'linktypes/tcpdump-tcp-handshake-nanosecond.pcap': { none: 3 },
  'linktypes/zeek-linux-sll2.pcap': { none: 4, 'not IP': 2 },
  'linktypes/zeek-vlan-qinqinq.pcap': { none: 14 },
  'long/arkime-tcp-long-idle-session.pcap': { none: 5 },
  'long/ipfixprobe-mixed-14min.pcap': { none: 157, 'not IP': 48 },
  'long/ipfixprobe-ssdp-24min-v4-v6.pcap': { none: 103 },
  // its first record holds 4 bytes of an Ethernet header
  'long/ndpi-gnutella-10min-many-flows.pcap': { none: 3882, 'not IP': 22, 'truncated link-layer header': 1 },
  'long/zeek-dns-ticks-9h.pcap': { none: 10 },
  'malformed/ndpi-dns-responses-cut-by-snaplen.pcap': { none: 93 },
  'malformed/ndpi-malformed-dns.pcap': { none: 6 },
  'malformed/zeek-ipv4-header-truncated.pcap': { 'truncated IP header': 1 },
  'malformed/zeek-ipv6-header-truncated.pcap': { 'truncated IP header': 1 },
  'malformed/zeek-tcp-snaplen68.pcap': { none: 24 },
  'mdns/ipfixprobe-dnssd-mdns.pcap': { none: 17 },
  'mdns/nfstream-mdns-ipv4-ipv6-sll.pcap': { none: 292 },
  'mdns/pcapplusplus-dns-mdns-llmnr-mix.pcap': { none: 464 },
  'mdns/zeek-mdns-ipv4-ipv6-ipp.pcap': { none: 24 },
  // named .pcapng, written as classic pcap
  'nat64/jool-464xlat-clat-ipv4-to-64ff9b.pcapng': { none: 4 },
  'nat64/jool-464xlat-plat-nat64-both-sides.pcapng': { none: 4 },
  'nat64/ndpi-tumblr-ipv6-only-client-via-nat64-64ff9b.pcap': { none: 755 },
  'sip-rtp/ndpi-rtcp-multiple-in-datagram-sll.pcap': { none: 5 },
  'sip-rtp/ndpi-sip-register-invite-errors-rtp.pcap': { none: 112 },
  'sip-rtp/ndpi-sip-t38-fax-call-rtp.pcap': { none: 1552 },
  'sip-rtp/pcapplusplus-sip-requests-pppoe.pcap': { none: 4 },
  'sip-rtp/pcapplusplus-sip-responses-mixed.pcap': { none: 7 },
  'sip-rtp/sipp-rtp-g711a-no-signalling.pcap': { none: 236 },
  'sip-rtp/sngrep-sip-in-ipip-tunnel.pcap': { none: 4 },
  'sip-rtp/sngrep-sip-ipv6-fragmented-call.pcap': { none: 34 },
  'sip-rtp/suricata-sip-over-tcp-register.pcap': { none: 11 },
  'sip-rtp/suricata-sip-register-invite-sdp.pcap': { none: 10 },
  'tunnels/ndpi-6in4-proto41.pcap': { none: 127 },
  'tunnels/ndpi-ipv4-in-ipv4.pcap': { none: 5 },
  'tunnels/ndpi-ipv4-in-ipv6-tls.pcap': { none: 4 },
  'tunnels/ndpi-ipv6-in-ipv6.pcap': { none: 2 },
  'tunnels/ndpi-teredo.pcap': { none: 24 },
  'tunnels/snabb-lwaftr-mixed-native-and-4in6.pcap': { none: 18 },
  'tunnels/snabb-lwaftr-softwire-4in6-64pkts.pcap': { none: 64 },
  'tunnels/tcpdump-various-gre.pcap': { none: 30, 'not IP': 70 },
  'tunnels/zeek-6in4-ping6.pcap': { none: 10 },
  'tunnels/zeek-gre-sample.pcap': { none: 40 },
  'tunnels/zeek-vxlan.pcap': { none: 10 },
};

/** Classic pcap files the test reader rejects or finds empty, as Wireshark does. */
const NO_RECORDS = ['malformed/libpcap-linktype-reserved-bits-set.pcap', 'malformed/libpcap-pcap-invalid-version.pcap', 'malformed/ndpi-fuzz-cut-short-mid-packet.pcap'];

describe.skipIf(!HAVE_CORPUS)('corpus: packets per reason, every classic pcap file', () => {
  const classic = manifest().filter((row) => isClassicPcap(readFileSync(corpusPath(row.path))));

  it('covers every classic pcap file in the manifest', () => {
    expect(classic.map((row) => row.path).sort()).toEqual([...Object.keys(REASONS), ...NO_RECORDS].sort());
  });

  for (const [path, expected] of Object.entries(REASONS)) {
    it(path, () => {
      const packets = decodeFile(path);
      expect(packets).toHaveLength(manifest().find((row) => row.path === path)!.packets!);
      expect(countBy(packets, (p) => p.reason)).toEqual(expected);
    });
  }

  it('only reports reasons the view defines', () => {
    const known = new Set(NOT_DECODED_REASONS);
    for (const expected of Object.values(REASONS)) for (const reason of Object.keys(expected)) expect(known.has(reason), reason).toBe(true);
  });
});
