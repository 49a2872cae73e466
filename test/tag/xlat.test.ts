/**
 * xlat labels and NAT64 pairing on the lab captures (captured on the NAT64 box
 * with -i b6 -i nat64 -i b4: 0 IPv6 link, 1 TAYGA TUN, 2 IPv4 link), -k 7tuple.
 */
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import type { PacketSink } from '../../src/capture/types.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createTagging } from '../../src/tag/index.js';
import { tagged } from './helpers.js';
import { LINKTYPE_RAW } from '../../src/capture/linktypes.js';
import { icmp, ipv4, ipv6, udp } from '../decode/build.js';

const cap = (name: string) => new URL(`../../captures/${name}.pcapng`, import.meta.url).pathname;

/** "input proto src:port>dst:port" */
const flow = (r: FlowRecord) => `${r.input} ${r.proto} ${r.srcip}:${r.srcport}>${r.dstip}:${r.dstport}`;

/** every pairing as "IPv6 side <-> IPv4 side", from the records' xlat_peer (set on the record written second) */
function pairs(recs: FlowRecord[]): string[] {
  const byId = new Map(recs.map((r) => [r.rec_id, r]));
  const out: string[] = [];
  for (const r of recs) {
    if (typeof r.xlat_peer !== 'number') continue;
    const p = byId.get(r.xlat_peer)!;
    const [v6, v4] = r.ipver === 6 ? [r, p] : [p, r];
    expect(v6.ipver).toBe(6);
    expect(v4.ipver).toBe(4);
    out.push(`${flow(v6)} <-> ${flow(v4)}`);
  }
  return out.sort();
}

function labels(recs: FlowRecord[]): string[] {
  return recs.filter((r) => r.xlat !== undefined).map((r) => `${r.rec_id} ${r.xlat}`);
}

describe('xlat on the lab captures (-k 7tuple)', () => {
  it('web-good-1: each IPv6-side copy pairs with one IPv4-side copy, both directions', () => {
    const recs = tagged(cap('web-good-1'), { key7: true });
    expect(pairs(recs)).toEqual([
      '0 6 2001:db8:64:1::2:43346>64:ff9b::6440:a:8080 <-> 2 6 100.64.0.1:43346>100.64.0.10:8080',
      '0 6 64:ff9b::6440:a:8080>2001:db8:64:1::2:43346 <-> 2 6 100.64.0.10:8080>100.64.0.1:43346',
      '1 6 2001:db8:64:1::2:43346>64:ff9b::6440:a:8080 <-> 1 6 198.51.100.78:43346>100.64.0.10:8080',
      '1 6 64:ff9b::6440:a:8080>2001:db8:64:1::2:43346 <-> 1 6 100.64.0.10:8080>198.51.100.78:43346',
    ]);
    expect(labels(recs)).toEqual([
      '8 nat64-v6', '9 nat64-v6', '10 nat64-v4', '11 nat64-v4', '12 nat64-v4', '13 nat64-v4', '14 nat64-v6', '15 nat64-v6',
    ]);
    const r = (id: number) => recs.find((x) => x.rec_id === id)!;
    // the record written first names its peer's flow; the one written second also its rec_id
    expect(r(8)).toMatchObject({ xlat_peer: undefined, xlat_peer_flow: '100.64.0.1 43346 > 100.64.0.10 8080', xlat_answered: true });
    expect(r(11)).toMatchObject({ xlat_peer: 8, xlat_peer_flow: '2001:db8:64:1::2 43346 > 64:ff9b::6440:a 8080', xlat_answered: undefined });
    expect(r(14)).toMatchObject({ xlat_peer: 13, xlat_peer_flow: '100.64.0.10 8080 > 198.51.100.78 43346', xlat_answered: undefined });
    // DNS, ICMPv6 and the rest: no label
    expect(recs.filter((x) => x.xlat === undefined).every((x) => x.nat64 !== true && x.ipver === 6)).toBe(true);
  });

  it('sip-good-1 (464XLAT): every flow of the CLAT is clat (SIP and RTP, both ways), every SIP and RTP flow pairs', () => {
    const recs = tagged(cap('sip-good-1'), { key7: true });
    expect(pairs(recs)).toEqual([
      '0 17 2001:db8:64:1::464:5060>64:ff9b::6440:a:5060 <-> 2 17 100.64.0.1:5060>100.64.0.10:5060',
      '0 17 2001:db8:64:1::464:6000>64:ff9b::6440:a:6000 <-> 2 17 100.64.0.1:6000>100.64.0.10:6000',
      '0 17 64:ff9b::6440:a:5060>2001:db8:64:1::464:5060 <-> 2 17 100.64.0.10:5060>100.64.0.1:5060',
      // the capture delivers the reverse RTP's first packets out of interface order: these two cross
      '0 17 64:ff9b::6440:a:6000>2001:db8:64:1::464:6000 <-> 1 17 100.64.0.10:6000>198.51.100.180:6000',
      '1 17 2001:db8:64:1::464:5060>64:ff9b::6440:a:5060 <-> 1 17 198.51.100.180:5060>100.64.0.10:5060',
      '1 17 2001:db8:64:1::464:6000>64:ff9b::6440:a:6000 <-> 1 17 198.51.100.180:6000>100.64.0.10:6000',
      '1 17 64:ff9b::6440:a:5060>2001:db8:64:1::464:5060 <-> 1 17 100.64.0.10:5060>198.51.100.180:5060',
      '1 17 64:ff9b::6440:a:6000>2001:db8:64:1::464:6000 <-> 2 17 100.64.0.10:6000>100.64.0.1:6000',
    ]);
    expect(labels(recs)).toEqual([
      '4 clat', '5 clat', '6 nat64-v4', '7 nat64-v4', '8 nat64-v4', '9 nat64-v4', '10 clat', '13 clat',
      '14 clat', '15 clat', '16 nat64-v4', '17 nat64-v4', '18 nat64-v4', '19 nat64-v4', '20 clat', '21 clat',
    ]);
    for (const r of recs) if (r.xlat === 'clat' && r.dstip.startsWith('64:ff9b:')) expect(r.xlat_answered).toBe(true);
    // the CLAT's SDP (c=IN IP4 192.0.0.2) was written by an IPv6-only host: on the IPv6 side and, across
    // the NAT64, on the IPv4 side toward the server; the server's answer over IPv4 was written by an IPv4 host
    const literal = (id: number) => recs.find((x) => x.rec_id === id)!.sdp_ipv4_literal;
    expect([4, 5, 6, 7, 8, 9, 10, 13].map(literal)).toEqual([true, true, true, true, false, false, true, true]);
  });

  it('skype-bad-1: the three login attempts pair on both sides (the IPv4 server answered at TCP level)', () => {
    const recs = tagged(cap('skype-bad-1'), { key7: true });
    const p = pairs(recs);
    expect(p).toHaveLength(12);
    for (const port of [40001, 40002, 40003]) {
      expect(p.filter((x) => x.includes(`:${port}`))).toHaveLength(4);
    }
    expect(p).toContain('1 6 2001:db8:64:1::2:40001>64:ff9b::6440:b:443 <-> 1 6 198.51.100.78:40001>100.64.0.11:443');
    expect(p).toContain('0 6 2001:db8:64:1::2:40001>64:ff9b::6440:b:443 <-> 2 6 100.64.0.1:40001>100.64.0.11:443');
    expect(p).toContain('0 6 64:ff9b::6440:b:443>2001:db8:64:1::2:40001 <-> 1 6 100.64.0.11:443>198.51.100.78:40001');
    expect(p).toContain('1 6 64:ff9b::6440:b:443>2001:db8:64:1::2:40001 <-> 2 6 100.64.0.11:443>100.64.0.1:40001');
    const fwd6 = recs.filter((r) => r.ipver === 6 && r.dstport === 443);
    expect(fwd6).toHaveLength(6);
    for (const r of fwd6) expect(r).toMatchObject({ xlat: 'nat64-v6', xlat_answered: true });
    expect(recs.filter((r) => r.xlat === 'nat64-v4')).toHaveLength(12);
  });

  it('dslite-good-1: the softwire flows are 4in6 and pair with the AFTR\'s NAT44 side, not its decapsulated copy', () => {
    const recs = tagged(cap('dslite-good-1'), { key7: true });
    expect(recs.filter((r) => r.xlat !== undefined).map((r) => `${r.rec_id} ${flow(r)} ${r.xlat}`)).toEqual([
      '3 0 6 192.0.0.2:45058>100.64.0.10:8080 4in6',
      '5 2 6 100.64.0.1:45058>100.64.0.10:8080 4in6-v4',
      '6 2 6 100.64.0.10:8080>100.64.0.1:45058 4in6-v4',
      '8 0 6 100.64.0.10:8080>192.0.0.2:45058 4in6',
    ]);
    const r = (id: number) => recs.find((x) => x.rec_id === id)!;
    expect(r(3)).toMatchObject({ xlat_peer: undefined, xlat_peer_flow: '100.64.0.1 45058 > 100.64.0.10 8080', xlat_answered: true });
    expect(r(5)).toMatchObject({ xlat_peer: 3, xlat_peer_flow: '192.0.0.2 45058 > 100.64.0.10 8080' });
    expect(r(8)).toMatchObject({ xlat_peer: 6, xlat_peer_flow: '100.64.0.10 8080 > 100.64.0.1 45058' });
    // the AFTR's TUN copies (inputs 1: decapsulated, client address untranslated) pair with nothing
    expect([r(4).xlat, r(7).xlat, r(4).xlat_peer_flow, r(7).xlat_peer_flow]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('dslite-bad-1: the softwire SYNs never reach the IPv4 side: a 4in6 flow with no peer', () => {
    const recs = tagged(cap('dslite-bad-1'), { key7: true });
    const soft = recs.filter((r) => r.xlat !== undefined);
    expect(soft.map((r) => `${flow(r)} ${r.xlat}`)).toEqual(['0 6 192.0.0.2:45060>100.64.0.10:8080 4in6']);
    expect([soft[0].xlat_peer_flow, soft[0].xlat_peer]).toEqual([undefined, undefined]);
  });

  it('an IPv4 side that never answered is visible: xlat_answered false', () => {
    // web-good-1 with every packet from the IPv4 server (and its translation back to IPv6) removed
    const recs: FlowRecord[] = [];
    const p = createFlowPipeline({ meter: { inspector: createTagging(), key: { tuple: 7, vlan: false, tunnel: false } } }, (r) => recs.push(r));
    const drop = (buf: Buffer, off: number, linkType: number): boolean => {
      const ip = linkType === 1 ? off + 14 : off; // Ethernet on the links, raw IP on the TUN
      const v = buf[ip] >> 4;
      if (v === 4) return buf[ip + 12] === 100 && buf[ip + 13] === 64 && buf[ip + 14] === 0 && buf[ip + 15] === 10;
      return v === 6 && buf[ip + 8] === 0 && buf[ip + 9] === 0x64 && buf[ip + 10] === 0xff && buf[ip + 11] === 0x9b;
    };
    const sink: PacketSink = {
      ...p.sink,
      packet(buf, off, capLen, wireLen, ts, ifIndex, linkType) {
        if (!drop(buf, off, linkType)) p.sink.packet(buf, off, capLen, wireLen, ts, ifIndex, linkType);
      },
    };
    readCaptureFile(cap('web-good-1'), sink);
    p.meter.flush('eof');
    const fwd6 = recs.filter((r) => r.ipver === 6 && r.dstport === 8080);
    expect(fwd6.map(flow)).toEqual([
      '0 6 2001:db8:64:1::2:43346>64:ff9b::6440:a:8080',
      '1 6 2001:db8:64:1::2:43346>64:ff9b::6440:a:8080',
    ]);
    for (const r of fwd6) {
      expect(r.xlat).toBe('nat64-v6');
      expect(r.xlat_peer_flow).toMatch(/ 43346 > 100\.64\.0\.10 8080$/);
      expect(r.xlat_answered).toBe(false);
    }
    expect(recs.filter((r) => r.xlat === 'nat64-v4')).toHaveLength(2);
  });

  it('ping through a NAT64: ICMPv6 echo pairs with the ICMP echo the translator made of it', () => {
    // IPv6 link (interface 0) and IPv4 link (interface 2) of a NAT64 box, crafted: 2 pings of the
    // client 2001:db8:64:1::2 to 64:ff9b::6440:a, masqueraded to 100.64.0.1 toward 100.64.0.10
    const recs: FlowRecord[] = [];
    const p = createFlowPipeline({ meter: { inspector: createTagging(), key: { tuple: 7, vlan: false, tunnel: false } } }, (r) => recs.push(r));
    const send = (ms: number, ifIndex: number, bytes: number[]) => {
      const b = Buffer.from(bytes);
      p.sink.packet(b, 0, b.length, b.length, 1000 + ms, ifIndex, LINKTYPE_RAW);
    };
    const client = '2001:db8:64:1::2';
    const server6 = '64:ff9b::6440:a';
    for (let i = 0; i < 2; i++) {
      const t = i * 1000;
      send(t, 0, ipv6({ nextHeader: 58, src: client, dst: server6 }, icmp(128, 0)));
      send(t + 1, 2, ipv4({ proto: 1, src: '100.64.0.1', dst: '100.64.0.10' }, icmp(8, 0)));
      send(t + 2, 2, ipv4({ proto: 1, src: '100.64.0.10', dst: '100.64.0.1' }, icmp(0, 0)));
      send(t + 3, 0, ipv6({ nextHeader: 58, src: server6, dst: client }, icmp(129, 0)));
    }
    // an ICMPv6 message the translator has no ICMP echo for: labelled, never paired
    send(3000, 0, ipv6({ nextHeader: 58, src: client, dst: server6 }, icmp(1, 4)));
    p.meter.flush('eof');
    expect(pairs(recs)).toEqual([
      '0 58 2001:db8:64:1::2:0>64:ff9b::6440:a:32768 <-> 2 1 100.64.0.1:0>100.64.0.10:2048',
      '0 58 64:ff9b::6440:a:0>2001:db8:64:1::2:33024 <-> 2 1 100.64.0.10:0>100.64.0.1:0',
    ]);
    const request = recs.find((r) => r.dstport === 32768)!;
    expect([request.xlat, request.xlat_answered]).toEqual(['nat64-v6', true]);
    const unreachable = recs.find((r) => r.dstport === 260)!;
    expect([unreachable.xlat, unreachable.xlat_peer_flow]).toEqual(['nat64-v6', undefined]);
  });
  it('a paired flow that outlives its peer by many flows still names it (the peer\'s side is not reused while it can be read)', () => {
    const recs: FlowRecord[] = [];
    const p = createFlowPipeline({ meter: { inspector: createTagging(), key: { tuple: 7, vlan: false, tunnel: false }, idleTimeoutMs: 1000 } }, (r) => recs.push(r));
    const send = (ms: number, ifIndex: number, bytes: number[]) => {
      const b = Buffer.from(bytes);
      p.sink.packet(b, 0, b.length, b.length, 1000 + ms, ifIndex, LINKTYPE_RAW);
    };
    const client = '2001:db8:64:1::2';
    // a long call: IPv6 side every 500 ms for 20 s; its IPv4 side only at the start
    send(0, 0, ipv6({ nextHeader: 17, src: client, dst: '64:ff9b::6440:a' }, udp(40000, 5060, [1])));
    send(1, 2, ipv4({ proto: 17, src: '100.64.0.1', dst: '100.64.0.10' }, udp(40000, 5060, [1])));
    for (let t = 500; t <= 20_000; t += 500) send(t, 0, ipv6({ nextHeader: 17, src: client, dst: '64:ff9b::6440:a' }, udp(40000, 5060, [1])));
    // meanwhile 400 short NAT64 flows of both sides come and go, none pairs with the call
    for (let i = 0; i < 400; i++) {
      const t = 2000 + i * 40;
      send(t, 0, ipv6({ nextHeader: 17, src: client, dst: '64:ff9b::c633:6402' }, udp(20000 + i, 53, [1])));
      send(t + 1, 2, ipv4({ proto: 17, src: '100.64.0.1', dst: '198.51.100.2' }, udp(30000 + i, 53, [1])));
    }
    p.meter.flush('eof');
    const v4 = recs.find((r) => r.ipver === 4 && r.dstport === 5060)!;
    const v6 = recs.find((r) => r.ipver === 6 && r.dstport === 5060)!;
    expect(v4.rec_id).toBeLessThan(v6.rec_id);
    expect([v4.xlat, v4.xlat_peer, v4.xlat_peer_flow]).toEqual(['nat64-v4', undefined, '2001:db8:64:1::2 40000 > 64:ff9b::6440:a 5060']);
    expect([v6.xlat, v6.xlat_peer, v6.xlat_peer_flow, v6.xlat_answered]).toEqual(['nat64-v6', v4.rec_id, '100.64.0.1 40000 > 100.64.0.10 5060', false]);
    // the short flows paired with each other, newest first: each IPv4 query with the IPv6 query just before it
    const short = recs.filter((r) => r.dstport === 53 && r.ipver === 4);
    expect(short).toHaveLength(400);
    expect(short.every((r) => r.xlat === 'nat64-v4' && typeof r.xlat_peer_flow === 'string')).toBe(true);
    expect(short[399].xlat_peer_flow).toBe('2001:db8:64:1::2 20399 > 64:ff9b::c633:6402 53');
  });
});
