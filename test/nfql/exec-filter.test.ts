/**
 * Filters and group filters: what a rule keeps (docs/nfql.md §4 filter).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/nfql/exec/run.js';
import { compile, flow, kept, resetIds, run } from './exec-records.js';

beforeEach(resetIds);

/** 1: TCP 443 IPv4, 2: UDP 53 IPv6 NAT64, 3: TCP 80 IPv4 SIP-tagged, 4: ICMP echo, 5: mDNS multicast */
function sample() {
  return [
    flow({ at: 0, lasts: 2, srcip: '10.1.2.3', srcport: 40001, dstip: '93.184.216.34', dstport: 443, packets: 20, bytes: 9000, tcpflags: 0x1b }),
    flow({ at: 1, lasts: 0.05, proto: 17, srcip: '2001:db8:1::10', srcport: 5300, dstip: '64:ff9b::5db8:d822', dstport: 53, packets: 1, bytes: 80, tcpflags: 0, nat64: true }),
    flow({ at: 2, lasts: 65, srcip: '10.1.2.4', srcport: 5060, dstip: '192.0.2.1', dstport: 80, packets: 7, bytes: 700, tcpflags: 0x02, app: 'sip', sip_methods: ['INVITE', 'ACK'], sip_codes: [100, 200] }),
    flow({ at: 3, lasts: 1, proto: 1, srcip: '10.1.2.3', srcport: 0, dstip: '8.8.8.8', dstport: 8 * 256, packets: 3, bytes: 252, tcpflags: 0 }),
    flow({ at: 4, lasts: 3, proto: 17, srcip: '192.168.1.10', srcport: 5353, dstip: '224.0.0.251', dstport: 5353, packets: 4, bytes: 400, tcpflags: 0, app: 'mdns' }),
  ];
}

describe('filter rules', () => {
  it('AND across rules, OR within a rule, NOT on a term', () => {
    const recs = sample();
    expect(kept('proto = tcp  dstport = 443', recs)).toEqual([1]);
    expect(kept('dstport = 443 OR dstport = 80', recs)).toEqual([1, 3]);
    expect(kept('NOT proto = tcp', recs)).toEqual([2, 4, 5]);
    expect(kept('proto = udp  NOT dstport = 53 OR packets > 100', recs)).toEqual([5]);
    expect(kept('proto = tcp AND packets >= 20', recs)).toEqual([1]);
  });

  it('compares numbers, times and durations with units', () => {
    const recs = sample();
    expect(kept('duration > 1 sec  duration < 5 sec', recs)).toEqual([1, 5]);
    expect(kept('duration >= 1min', recs)).toEqual([3]);
    expect(kept('duration <= 50ms', recs)).toEqual([2]);
    expect(kept('bytes > 8k', recs)).toEqual([1]);
    expect(kept('packets != 1  packets <= 4', recs)).toEqual([4, 5]);
  });

  it('`in` takes a prefix (IPv4, IPv6, /0, /32), a set (values, addresses, prefixes) or a range', () => {
    const recs = sample();
    expect(kept('srcip in 10.0.0.0/8', recs)).toEqual([1, 3, 4]);
    expect(kept('srcip in 10.1.2.3/32', recs)).toEqual([1, 4]);
    expect(kept('dstip in 64:ff9b::/96', recs)).toEqual([2]);
    expect(kept('dstip in 0.0.0.0/0', recs)).toEqual([1, 3, 4, 5]);
    expect(kept('dstip in ::/0', recs)).toEqual([2]);
    expect(kept('srcip in 10.1.2.0/31', recs)).toEqual([]); // .0 and .1
    expect(kept('srcip in 10.1.2.2/31', recs)).toEqual([1, 4]); // .2 and .3, not .4
    expect(kept('dstport in {53, 5353, 8080}', recs)).toEqual([2, 5]);
    expect(kept('dstip in {8.8.8.8, 224.0.0.0/4, 2001:db8::/32}', recs)).toEqual([4, 5]);
    expect(kept('duration in [1s, 3s]', recs)).toEqual([1, 4, 5]);
    expect(kept('dstport notin {443, 80}', recs)).toEqual([2, 4, 5]);
    expect(kept('srcip notin 10.0.0.0/8', recs)).toEqual([2, 5]);
  });

  it('addresses compare whatever way they are written', () => {
    const recs = sample();
    expect(kept('dstip = 64:FF9B:0:0:0:0:5DB8:D822', recs)).toEqual([2]);
    expect(kept('srcip = 2001:0db8:0001::0010', recs)).toEqual([2]);
    expect(kept('dstip in {64:ff9b:0::5db8:d822}', recs)).toEqual([2]);
    expect(kept('dstip != 224.0.0.251', recs)).toEqual([1, 2, 3, 4]);
  });

  it('arithmetic and the functions minus, abs, bitAND, bitOR, protocol; fields of the same record', () => {
    const recs = sample();
    expect(kept('bytes / packets > 400', recs)).toEqual([1]);
    expect(kept('minus(packets, 1) = 19', recs)).toEqual([1]);
    expect(kept('etime - stime = duration', recs)).toEqual([1, 2, 3, 4, 5]);
    expect(kept('abs(srcport - dstport) = 0', recs)).toEqual([5]);
    expect(kept('bitAND(tcpflags, 0x12) = 0x12', recs)).toEqual([1]);
    expect(kept('bitAND(tcpflags, 0x02) = 0x02  bitAND(tcpflags, 0x10) = 0', recs)).toEqual([3]); // SYN without ACK
    expect(kept('bitOR(tcpflags, 1) = 3', recs)).toEqual([3]);
    expect(kept('proto = protocol("UDP")', recs)).toEqual([2, 5]);
    expect(kept('proto = icmp  dstport = 2048', recs)).toEqual([4]);
    expect(kept('srcport = dstport', recs)).toEqual([5]);
    expect(kept('packets * 100 = bytes', recs)).toEqual([3, 5]);
  });

  it('tags: `contains` on sets; absent tags are false, the empty set, and equal nothing', () => {
    const recs = sample();
    expect(kept('sip_methods contains INVITE', recs)).toEqual([3]);
    expect(kept('sip_methods contains {INVITE, ACK}', recs)).toEqual([3]);
    expect(kept('sip_methods contains {INVITE, BYE}', recs)).toEqual([]);
    expect(kept('sip_codes contains 200', recs)).toEqual([3]);
    expect(kept('INVITE in sip_methods', recs)).toEqual([3]);
    expect(kept('nat64', recs)).toEqual([2]);
    expect(kept('NOT nat64', recs)).toEqual([1, 3, 4, 5]);
    expect(kept('nat64 = false', recs)).toEqual([1, 3, 4, 5]);
    expect(kept('app = sip', recs)).toEqual([3]);
    // != and notin are the negations of = and in, so a flow without the tag is kept
    expect(kept('app != sip', recs)).toEqual([1, 2, 4, 5]);
    expect(kept('app in {sip, mdns}', recs)).toEqual([3, 5]);
    expect(kept('app notin {sip, mdns}', recs)).toEqual([1, 2, 4]);
    expect(kept('NOT sip_methods contains BYE', recs)).toEqual([1, 2, 3, 4, 5]);
    // `tunnel` is null on flows that were not tunneled: absent too
    expect(kept('tunnel = "4in6"', recs)).toEqual([]);
    expect(kept('tun_srcip in 0.0.0.0/0', recs)).toEqual([]);
  });

  it('field aliases of the registry read the canonical fields', () => {
    const recs = sample();
    expect(kept('dPkts = 20', recs)).toEqual([1]);
    expect(kept('srcaddr in 10.0.0.0/8  prot = 6  sourceTransportPort > 5000', recs)).toEqual([1, 3]);
  });

  it('a filter-only query outputs the records it keeps, in input order', () => {
    const recs = sample().reverse();
    const r = run('filter f { proto = tcp }', recs);
    expect(r.kind).toBe('records');
    expect(r.matches.map((m) => [m.match, m.flows[0].rec_id])).toEqual([[1, 3], [2, 1]]);
    expect(r.matches[0].hosts).toEqual(['10.1.2.4', '192.0.2.1']);
  });

  it('compiles once: the predicate allocates nothing per record and is the same for every record', () => {
    const q = compile('filter f { proto = tcp  dstip in {93.184.216.34, 8.8.8.0/24}  bytes / packets > 100 }');
    const keep = compileFilter(q.branches[0].filter);
    expect(sample().map(keep)).toEqual([true, false, false, false, false]);
  });
});

describe('group filters', () => {
  it('select group records by aggregates and built-ins', () => {
    const recs = [
      flow({ at: 0, lasts: 1, srcip: '10.0.0.1', packets: 5 }),
      flow({ at: 1, lasts: 1, srcip: '10.0.0.1', packets: 7 }),
      flow({ at: 2, lasts: 1, srcip: '10.0.0.2', packets: 50 }),
    ];
    const q = `
      splitter S {}
      filter f { proto = tcp }
      grouper g { module m { srcip = srcip } aggregate srcip, sum(packets) as pkts }
      groupfilter gf { n > 1  pkts >= 12  duration > 1s }
      "input" -> S
      S branch A -> f -> g -> gf -> "output"`;
    const r = run(q, recs);
    expect(r.kind).toBe('groups');
    expect(r.matches.map((m) => m.flows.map((f) => f.rec_id))).toEqual([[1, 2]]);
  });
});
