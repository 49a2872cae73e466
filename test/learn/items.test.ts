/**
 * The learner's small parts: bands, items, roles, names.
 */
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { defaultName } from '../../src/cli/learn.js';
import { itemContext, itemsOf, learnBands } from '../../src/learn/items.js';
import { clientOf, isHousekeeping, readRun } from '../../src/learn/runs.js';
import { createTagging } from '../../src/tag/index.js';
import { ROOT } from '../cli/run.js';

const OPTS = { meter: () => ({ inspector: createTagging({}) }), tunnels: 'inner' as const };
const rec = (over: Partial<FlowRecord>): FlowRecord => ({
  rec_id: 1, stime: 0, etime: 0, duration: 0, ipver: 6, proto: 17, srcip: '2001:db8::2', srcport: 40000, dstip: '2001:db8::1', dstport: 53,
  tos: 0, tcpflags: 0, packets: 1, bytes: 100, l2bytes: 100, input: 0, vlan: 0, tunnel: null, tun_srcip: null, tun_dstip: null, endreason: 'idle', ...over,
});

describe('bands', () => {
  it('cut at the natural breaks of the values, where they jump by 3× or more, at rounded geometric middles', () => {
    // DNS (20 ms), mDNS (3 s), a stalled login (57 s): 0.25 s between the first two, 13 s between the last two
    expect(learnBands('duration', [20, 21, 3000, 57000, 57100]).cuts).toEqual([250, 13000]);
    // SIP signalling 2–6 packets against RTP 60–120
    expect(learnBands('packets', [2, 3, 4, 6, 60, 120]).cuts).toEqual([19]);
  });

  it('no cut between values that differ by chance: 2.7 s and 2.9 s are one band', () => {
    expect(learnBands('duration', [2677, 2865]).cuts).toEqual([]);
  });

  it('a band is one item of one or two rules', () => {
    const ctx = itemContext([], [learnBands('duration', [20, 21, 3000, 57000, 57100])]);
    const band = (d: number) => itemsOf(rec({ duration: d }), ctx).find((i) => i.key.startsWith('duration'))!;
    expect([band(10).rule, band(3000).rule, band(57000).rule]).toEqual(['duration < 250ms', 'duration >= 250ms\nduration < 13s', 'duration >= 13s']);
    expect(band(57000).words).toBe('lasting at least 13s');
  });
});

describe('items', () => {
  const ctx = itemContext([], []);
  it('name the service, the NAT64 prefix and the multicast group, never a host', () => {
    const items = itemsOf(rec({ proto: 6, dstip: '64:ff9b::6440:a', dstport: 443, tcpflags: 0x02 }), ctx);
    expect(items.map((i) => i.rule)).toEqual(['ipver = 6', 'proto = tcp', 'dstport = 443', 'dstip in 64:ff9b::/96', 'tcpflags = 0x02']);
    const mdns = itemsOf(rec({ srcport: 5353, dstport: 5353, dstip: 'ff02::fb', app: 'mdns' }), ctx);
    expect(mdns.map((i) => i.rule)).toEqual(['ipver = 6', 'proto = udp', 'dstport = 5353', 'dstip = ff02::fb', 'app = mdns']);
  });

  it('tags: SIP methods, SDP literal, xlat side', () => {
    const items = itemsOf(rec({ srcport: 5060, dstport: 5060, app: 'sip', sip_methods: ['INVITE', 'BYE'], sdp_ipv4_literal: false, xlat: 'nat64-v6' }), ctx);
    expect(items.map((i) => i.rule).slice(3)).toEqual(['app = sip', 'sip_methods contains INVITE', 'sip_methods contains BYE', 'NOT sdp_ipv4_literal', 'xlat = "nat64-v6"']);
  });
});

describe('roles', () => {
  it('housekeeping: MLD, ND and router solicitations; not echo requests or application traffic', () => {
    expect(isHousekeeping(rec({ proto: 58, dstport: 143 * 256, dstip: 'ff02::16' }))).toBe(true);
    expect(isHousekeeping(rec({ proto: 58, dstport: 135 * 256 }))).toBe(true);
    expect(isHousekeeping(rec({ proto: 58, dstport: 128 * 256 }))).toBe(false);
    expect(isHousekeeping(rec({}))).toBe(false);
  });

  it.each([
    ['sip-bad-1.pcapng', '2001:db8:64:1::2'], // native IPv6 client
    ['sip-good-1.pcapng', '2001:db8:64:1::464'], // the CLAT's address
    ['skype-bad-1.pcapng', '2001:db8:64:1::2'],
    ['literal-bad-2.pcapng', undefined], // nothing on the wire
  ])('the client of %s is %s', (file, client) => {
    const run = readRun(`${ROOT}captures/${file}`, 'bad', OPTS);
    expect(run.client).toBe(client);
    expect(clientOf(run.traffic)).toBe(client);
  });
});

describe('default signature name', () => {
  it.each([
    [undefined, 'captures/sip-bad-1.pcapng', 'sip-learned'],
    [undefined, 'x/skype_fail.pcap', 'skype-learned'],
    [undefined, 'run.ndjson', 'run-learned'],
    [undefined, '7.pcap', 'signature-learned'],
    ['learned/voip.nfql', 'captures/sip-bad-1.pcapng', 'voip'],
  ])('-o %s, first bad %s: %s', (out, bad, name) => {
    expect(defaultName(out, bad)).toBe(name);
  });
});
