/**
 * The shipped DS-Lite and OpenVPN captures (captures/dslite-*.pcapng, captures/openvpn-*.pcapng,
 * recorded by `scripts/lab record dslite|openvpn --good|--bad`; scripts/lab-dslite.sh and
 * scripts/lab-openvpn.sh) read through flowsig's own pipeline with 7-tuple keys.
 *
 * dslite: interfaces 0 = the box's IPv6 link (b6), 1 = the AFTR's softwire TUN (raw IPv4),
 *         2 = the box's IPv4 link (b4).
 * openvpn: 0 = IPv6 link, 1 = TAYGA's TUN, 2 = IPv4 link (as the NAT64 scenarios).
 *
 * These tests only read files: they need neither root nor the lab's programs. They skip, saying
 * how to record them, when the captures are missing.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';

const DIR = new URL('../../captures/', import.meta.url);
const IPV6_LINK = 0;
const TUN = 1;
const IPV4_LINK = 2;
const CLIENT_V6 = '2001:db8:64:1::2';
const AFTR_V6 = '2001:db8:64:1::6';
const B4_V4 = '192.0.0.2';
const BOX_V4 = '100.64.0.1';
const SERVER_V4 = '100.64.0.10';
const SERVER_VIA_NAT64 = '64:ff9b::6440:a';

const FILES = ['dslite-good-1', 'dslite-bad-1', 'openvpn-good-1', 'openvpn-bad-1'].map((f) => `${f}.pcapng`);
const missing = FILES.filter((f) => !existsSync(new URL(f, DIR)));
if (missing.length > 0) {
  console.warn(`skipping DS-Lite/OpenVPN capture tests: missing ${missing.join(', ')} — record them with ` +
    '`sudo scripts/lab record dslite|openvpn --good|--bad --runs 1 -o captures/` (root, bash scripts/setup, npm run build)');
}

function flows(file: string): FlowRecord[] {
  const out: FlowRecord[] = [];
  const p = createFlowPipeline({ meter: { key: { tuple: 7, vlan: false, tunnel: false } } }, (r) => out.push(r));
  readCaptureFile(new URL(file, DIR).pathname, p.sink);
  p.meter.flush('eof');
  return out;
}

const num = (r: FlowRecord, k: string) => Number((r as Record<string, unknown>)[k]);
const str = (r: FlowRecord, k: string) => String((r as Record<string, unknown>)[k] ?? '');
const one = (recs: FlowRecord[], pred: (r: FlowRecord) => boolean): FlowRecord => {
  const m = recs.filter(pred);
  expect(m).toHaveLength(1);
  return m[0]!;
};

describe.skipIf(missing.length > 0)('DS-Lite and OpenVPN lab captures', () => {
  it('dslite good: the B4\'s HTTP connection is 4in6 on the IPv6 link and the same packets, decapsulated and NATed, on the IPv4 link', () => {
    const recs = flows('dslite-good-1.pcapng');
    const isHttp = (r: FlowRecord) => num(r, 'ipver') === 4 && num(r, 'proto') === 6;
    // IPv6 link: the inner IPv4 flow, tunnel 4in6, outer addresses B4 → AFTR (and back)
    const upTun = one(recs, (r) => isHttp(r) && num(r, 'input') === IPV6_LINK && str(r, 'dstip') === SERVER_V4);
    expect(str(upTun, 'srcip')).toBe(B4_V4);
    expect(num(upTun, 'dstport')).toBe(8080);
    expect(str(upTun, 'tunnel')).toBe('4in6');
    expect(str(upTun, 'tun_srcip')).toBe(CLIENT_V6);
    expect(str(upTun, 'tun_dstip')).toBe(AFTR_V6);
    const downTun = one(recs, (r) => isHttp(r) && num(r, 'input') === IPV6_LINK && str(r, 'srcip') === SERVER_V4);
    expect(str(downTun, 'tunnel')).toBe('4in6');
    expect(str(downTun, 'tun_srcip')).toBe(AFTR_V6);
    expect(str(downTun, 'tun_dstip')).toBe(CLIENT_V6);
    // the AFTR's TUN: decapsulated, still from the B4's address, no tunnel
    const upInner = one(recs, (r) => isHttp(r) && num(r, 'input') === TUN && str(r, 'dstip') === SERVER_V4);
    expect(str(upInner, 'srcip')).toBe(B4_V4);
    expect(str(upInner, 'tunnel')).toBe('');
    // IPv4 link: NAT44 to the box's address, source port kept, no tunnel
    const upV4 = one(recs, (r) => isHttp(r) && num(r, 'input') === IPV4_LINK && str(r, 'dstip') === SERVER_V4);
    expect(str(upV4, 'srcip')).toBe(BOX_V4);
    expect(num(upV4, 'srcport')).toBe(num(upTun, 'srcport'));
    expect(str(upV4, 'tunnel')).toBe('');
    const downV4 = one(recs, (r) => isHttp(r) && num(r, 'input') === IPV4_LINK && str(r, 'srcip') === SERVER_V4);
    expect(str(downV4, 'dstip')).toBe(BOX_V4);
    // the same packets on every interface, and a complete TCP connection (SYN..FIN, ≥5 packets each way)
    for (const r of [upInner, upV4]) expect(num(r, 'packets')).toBe(num(upTun, 'packets'));
    expect(num(downV4, 'packets')).toBe(num(downTun, 'packets'));
    expect(num(upTun, 'packets')).toBeGreaterThanOrEqual(5);
    expect(num(downTun, 'packets')).toBeGreaterThanOrEqual(5);
    expect(str(upV4, 'endreason')).toBe('fin');
    // the inner bytes are the same; on the IPv6 link each packet carries 40 more (the outer IPv6 header)
    expect(num(upV4, 'bytes')).toBe(num(upTun, 'bytes'));
  });

  it('dslite bad: SYNs leave the B4 encapsulated, the box answers ICMPv6 parameter problem, nothing on the IPv4 side', () => {
    const recs = flows('dslite-bad-1.pcapng');
    const syn = one(recs, (r) => num(r, 'ipver') === 4 && num(r, 'input') === IPV6_LINK && str(r, 'dstip') === SERVER_V4);
    expect(str(syn, 'tunnel')).toBe('4in6');
    expect(str(syn, 'tun_srcip')).toBe(CLIENT_V6);
    expect(str(syn, 'tun_dstip')).toBe(AFTR_V6);
    expect(num(syn, 'tcpflags')).toBe(0x02); // SYN only: never answered
    expect(num(syn, 'packets')).toBeGreaterThanOrEqual(2); // the SYN and its retransmissions
    // ICMPv6 type 4 (parameter problem) code 1 (unrecognised next header): dstport = type·256 + code
    // (the AFTR address's neighbour advertisement, type 136, is another flow)
    const icmp = one(recs, (r) => num(r, 'proto') === 58 && str(r, 'srcip') === AFTR_V6 && str(r, 'dstip') === CLIENT_V6 &&
      num(r, 'dstport') === 4 * 256 + 1);
    expect(num(icmp, 'packets')).toBe(num(syn, 'packets'));
    // no IPv4 anywhere but inside the tunnel: not on the AFTR's TUN, not on the IPv4 link
    expect(recs.filter((r) => num(r, 'ipver') === 4 && num(r, 'input') !== IPV6_LINK)).toEqual([]);
  });

  it('openvpn good: by name, DNS64 + NAT64 carry the OpenVPN UDP both ways with the same packet counts', () => {
    const recs = flows('openvpn-good-1.pcapng');
    const udp = (r: FlowRecord) => num(r, 'proto') === 17;
    // the name lookup: DNS to the box's DNS64
    expect(recs.some((r) => udp(r) && num(r, 'dstport') === 53 && str(r, 'srcip') === CLIENT_V6)).toBe(true);
    const up6 = one(recs, (r) => udp(r) && num(r, 'input') === IPV6_LINK && str(r, 'dstip') === SERVER_VIA_NAT64 && num(r, 'dstport') === 1194);
    expect(str(up6, 'srcip')).toBe(CLIENT_V6);
    const down6 = one(recs, (r) => udp(r) && num(r, 'input') === IPV6_LINK && str(r, 'srcip') === SERVER_VIA_NAT64 && num(r, 'srcport') === 1194);
    const up4 = one(recs, (r) => udp(r) && num(r, 'input') === IPV4_LINK && str(r, 'dstip') === SERVER_V4 && num(r, 'dstport') === 1194);
    expect(str(up4, 'srcip')).toBe(BOX_V4);
    const down4 = one(recs, (r) => udp(r) && num(r, 'input') === IPV4_LINK && str(r, 'srcip') === SERVER_V4 && num(r, 'srcport') === 1194);
    expect(num(up4, 'packets')).toBe(num(up6, 'packets'));
    expect(num(down4, 'packets')).toBe(num(down6, 'packets'));
    // the three tunnel pings go up and their replies come back (plus OpenVPN's own packets)
    expect(num(up6, 'packets')).toBeGreaterThanOrEqual(3);
    expect(num(down6, 'packets')).toBeGreaterThanOrEqual(3);
  });

  it('openvpn bad: an IPv4 literal on the IPv6-only client leaves no trace on the wire', () => {
    const recs = flows('openvpn-bad-1.pcapng');
    expect(recs.filter((r) => num(r, 'srcport') === 1194 || num(r, 'dstport') === 1194)).toEqual([]);
    expect(recs.filter((r) => num(r, 'ipver') === 4)).toEqual([]);
    expect(recs.filter((r) => [SERVER_V4, SERVER_VIA_NAT64].includes(str(r, 'dstip')))).toEqual([]);
    // what is there is the fresh lab's link-local ND/MLD chatter only
    expect(recs.every((r) => num(r, 'proto') === 58)).toBe(true);
  });
});
