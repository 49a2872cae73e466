/**
 * flowsig against nDPI's flow lists (`*.ndpi.out` beside the corpus captures: ndpiReader with nDPI's
 * default test config).
 *
 * What is compared: every flow line of every `.ndpi.out` ("Detected" and "Undetected" alike):
 * `\tN\tUDP 1.2.3.4:5060 <-> 5.6.7.8:5060 […][53 pkts/21940 bytes <-> 31 pkts/15635 bytes]…`, the left
 * side being nDPI's client. ndpiReader in that config ends no flow on a timeout over these captures (it
 * reports a 25-minute SIP exchange and a 5-packet UDP flow spread over 34 hours as one flow each), so
 * flowsig runs with `--biflow --idle 365d --active 365d`. Flows are matched by protocol and unordered
 * endpoint pair (ICMP, ICMPv6 and IGMP by addresses only: nDPI prints their ports as 0, flowsig's ICMP
 * `dstport` is type·256+code); within such a group nDPI's flows and flowsig's records must be the same
 * multiset of (initiator/client endpoint, packets and wire bytes from it, packets and wire bytes to it).
 * So direction counts: nDPI's client→server must be flowsig's initiator→responder.
 *
 * 19 captures with a flow list, 1192 nDPI flows in 1192 groups; 1173 groups identical (16 captures
 * entirely). One more capture has an empty `.ndpi.out` (see below).
 *
 * Pinned differences (PINS, CAPTURE_PINS; the test computes every difference and requires exactly
 * these, so a regression in either direction fails):
 *  - dns/ndpi-dns-fragmented-ipv4.pcap, 7 flows: nDPI ignores non-first IP fragments (IPv4 and IPv6);
 *    flowsig counts them (frames 3, 6, 9, 12, 17, 39, 42) in the responder direction of their flow.
 *  - apps/ndpi-skype-2015-session.pcap, 11 TCP flows: after FIN in both directions a late segment
 *    arrives more than 2 s later and is answered by RST; nDPI counts it in the same flow, flowsig
 *    ends the record 2 s after the FINs (endreason fin) and the straggler + RST make a second record.
 *  - tunnels/ndpi-teredo.pcap: ndpiReader does not decapsulate Teredo; compared with `--tunnel outer`
 *    (the 6in4, 4in4, 4in6 and 6in6 captures are compared with the default `--tunnel inner`: nDPI
 *    decodes IP-in-IP and reports the inner flows, identical to flowsig's).
 *  - malformed/ndpi-fuzz-cut-short-mid-packet.pcap: one fuzzed DLT_NULL packet whose family word is
 *    00 2f 00 6c; nDPI reads any family but 2 as IPv6 and reports a garbage TCP flow; flowsig counts
 *    the packet as "not IP" (and reports the file cut short).
 *  - malformed/ndpi-dns-responses-cut-by-snaplen.pcap: its `.ndpi.out` is empty: every one of its 93
 *    packets claims a longer IPv4 total length (1500, once 1404) than it has captured IP bytes; ndpiReader drops a
 *    packet whose total length exceeds the captured IP bytes; flowsig makes its 93 flows (as nfstream does).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { corpusPath, HAVE_CORPUS } from '../corpus.js';
import { NOT_DECODED_REASONS } from '../../src/decode/view.js';
import {
  DNS_FRAGMENTS_CAPTURE,
  DNS_NON_FIRST_FRAGMENTS,
  endpoint,
  type ExtraPacket,
  meterCapture,
  type MeterRun,
  NON_FIRST_FRAGMENT_REASON,
  PROTO_BY_NAME,
  PROTO_NAME,
  recordFlow,
} from './peers.js';

/** "never" for these captures (the longest spans 34 hours) */
const FOREVER_MS = 365 * 24 * 3_600_000;

/** One side's view of one flow: who initiated it and what went each way (wire bytes). */
interface Entry {
  /** nDPI's client, flowsig's initiator (`ip:port`; port 0 for ICMP/ICMPv6/IGMP) */
  from: string;
  to: string;
  fwd: [packets: number, bytes: number];
  rev: [packets: number, bytes: number];
}

interface NdpiFile {
  flows: { n: number; proto: number; entry: Entry }[];
  /** sum of the "Confidence …: N (flows)" lines */
  announced: number;
}

const PORTLESS = new Set([1, 2, 58]);

const FLOW_LINE =
  /^\t(\d+)\t(\w+) (\[[^\]]*\]|[\d.]+):(\d+) (<->|->) (\[[^\]]*\]|[\d.]+):(\d+) (?:\[VLAN: \d+\])?\[proto: .*?\]\[(\d+) pkts\/(\d+) bytes (<->|->) (\d+) pkts\/(\d+) bytes\]/;

function parseNdpi(text: string): NdpiFile {
  const flows: NdpiFile['flows'] = [];
  let announced = 0;
  for (const line of text.split('\n')) {
    const conf = /^Confidence [^:]*: (\d+) \(flows\)/.exec(line);
    if (conf) announced += Number(conf[1]);
    if (!/^\t\d+\t\w+ .*\[proto: /.test(line)) continue;
    const m = FLOW_LINE.exec(line);
    if (!m) throw new Error(`unparsed nDPI flow line: ${line}`);
    const proto = PROTO_BY_NAME[m[2]];
    if (proto === undefined) throw new Error(`unknown nDPI protocol ${m[2]}`);
    const ip = (s: string) => s.replace(/^\[|\]$/g, '');
    // an arrow "->" means nDPI saw only the client's packets; the counts then say 0 pkts/0 bytes
    flows.push({
      n: Number(m[1]),
      proto,
      entry: {
        from: endpoint(ip(m[3]), Number(m[4])),
        to: endpoint(ip(m[6]), Number(m[7])),
        fwd: [Number(m[8]), Number(m[9])],
        rev: [Number(m[11]), Number(m[12])],
      },
    });
  }
  return { flows, announced };
}

function recordEntry(r: FlowRecord): Entry {
  const portless = PORTLESS.has(r.proto);
  return {
    from: endpoint(r.srcip, portless ? 0 : r.srcport),
    to: endpoint(r.dstip, portless ? 0 : r.dstport),
    fwd: [r.packets, r.l2bytes],
    rev: [r.rev_packets ?? 0, r.rev_l2bytes ?? 0],
  };
}

/** `UDP 1.2.3.4:5060 <-> 5.6.7.8:5060`, endpoints in sorted order: the same for either direction */
function groupKey(proto: number, e: Entry): string {
  const [a, b] = [e.from, e.to].sort();
  return `${PROTO_NAME[proto] ?? String(proto)} ${a} <-> ${b}`;
}

/** `1.2.3.4:5060 53/21940 <-> 31/15635` */
function show(e: Entry): string {
  return `${e.from} ${e.fwd[0]}/${e.fwd[1]} <-> ${e.rev[0]}/${e.rev[1]}`;
}

interface Group {
  ndpi: Entry[];
  flowsig: Entry[];
  records: FlowRecord[];
}

interface Difference {
  flow: string;
  ndpi: string[];
  flowsig: string[];
}

interface Comparison {
  run: MeterRun;
  ndpi: NdpiFile;
  groups: Map<string, Group>;
  differences: Difference[];
  identical: number;
}

function compare(capture: string, tunnels: 'inner' | 'outer'): Comparison {
  const ndpi = parseNdpi(readFileSync(corpusPath(capture.replace(/\.pcap(ng)?$/, '.ndpi.out')), 'utf8'));
  const run = meterCapture(capture, { idleTimeoutMs: FOREVER_MS, activeTimeoutMs: FOREVER_MS, tunnels });
  const groups = new Map<string, Group>();
  const group = (key: string): Group => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ndpi: [], flowsig: [], records: [] }));
    return g;
  };
  for (const f of ndpi.flows) group(groupKey(f.proto, f.entry)).ndpi.push(f.entry);
  for (const r of run.records) {
    const e = recordEntry(r);
    const g = group(groupKey(r.proto, e));
    g.flowsig.push(e);
    g.records.push(r);
  }
  const differences: Difference[] = [];
  let identical = 0;
  for (const [flow, g] of groups) {
    const nd = g.ndpi.map(show).sort();
    const fs = g.flowsig.map(show).sort();
    if (JSON.stringify(nd) === JSON.stringify(fs)) identical++;
    else differences.push({ flow, ndpi: nd, flowsig: fs });
  }
  differences.sort((a, b) => (a.flow < b.flow ? -1 : a.flow > b.flow ? 1 : 0));
  return { run, ndpi, groups, differences, identical };
}

interface Capture {
  capture: string;
  /** flow lines in the .ndpi.out */
  ndpiFlows: number;
  /** flowsig records with --idle/--active 365d */
  flowsigRecords: number;
}

/** every capture in the corpus whose .ndpi.out lists flows */
const CAPTURES: readonly Capture[] = [
  { capture: 'apps/ndpi-bittorrent-utp.pcap', ndpiFlows: 2, flowsigRecords: 2 },
  { capture: 'apps/ndpi-bittorrent.pcap', ndpiFlows: 24, flowsigRecords: 24 },
  { capture: 'apps/ndpi-openvpn-udp-tcp.pcap', ndpiFlows: 10, flowsigRecords: 10 },
  { capture: 'apps/ndpi-skype-2015-session.pcap', ndpiFlows: 293, flowsigRecords: 304 },
  { capture: 'apps/ndpi-skype-conference-call.pcap', ndpiFlows: 1, flowsigRecords: 1 },
  { capture: 'dns/ndpi-dns-fragmented-ipv4.pcap', ndpiFlows: 21, flowsigRecords: 21 },
  { capture: 'long/ndpi-gnutella-10min-many-flows.pcap', ndpiFlows: 760, flowsigRecords: 760 },
  { capture: 'malformed/ndpi-fuzz-cut-short-mid-packet.pcap', ndpiFlows: 1, flowsigRecords: 0 },
  { capture: 'malformed/ndpi-malformed-dns.pcap', ndpiFlows: 1, flowsigRecords: 1 },
  { capture: 'nat64/ndpi-tumblr-ipv6-only-client-via-nat64-64ff9b.pcap', ndpiFlows: 47, flowsigRecords: 47 },
  { capture: 'sip-rtp/ndpi-rtcp-multiple-in-datagram-sll.pcap', ndpiFlows: 1, flowsigRecords: 1 },
  { capture: 'sip-rtp/ndpi-rtp-only-pcapng-comments.pcapng', ndpiFlows: 4, flowsigRecords: 4 },
  { capture: 'sip-rtp/ndpi-sip-register-invite-errors-rtp.pcap', ndpiFlows: 4, flowsigRecords: 4 },
  { capture: 'sip-rtp/ndpi-sip-t38-fax-call-rtp.pcap', ndpiFlows: 5, flowsigRecords: 5 },
  { capture: 'tunnels/ndpi-6in4-proto41.pcap', ndpiFlows: 10, flowsigRecords: 10 },
  { capture: 'tunnels/ndpi-ipv4-in-ipv4.pcap', ndpiFlows: 1, flowsigRecords: 1 },
  { capture: 'tunnels/ndpi-ipv4-in-ipv6-tls.pcap', ndpiFlows: 1, flowsigRecords: 1 },
  { capture: 'tunnels/ndpi-ipv6-in-ipv6.pcap', ndpiFlows: 1, flowsigRecords: 1 },
  { capture: 'tunnels/ndpi-teredo.pcap', ndpiFlows: 5, flowsigRecords: 5 },
];

/** Whole-capture differences: how flowsig must be run to match nDPI's definition, or why nothing matches. */
interface CapturePin {
  capture: string;
  reason: string;
  tunnels?: 'outer';
}

const CAPTURE_PINS: readonly CapturePin[] = [
  {
    capture: 'tunnels/ndpi-teredo.pcap',
    reason:
      'ndpiReader does not decapsulate Teredo (IPv6 in UDP 3544) and reports the outer UDP flows; flowsig keys the inner IPv6 packet by default and the outer one with --tunnel outer',
    tunnels: 'outer',
  },
];

/** A flow (group) where nDPI's flows and flowsig's records differ, with the reason. */
interface Pin {
  capture: string;
  flow: string;
  reason: string;
  ndpi: readonly string[];
  flowsig: readonly string[];
  /** flowsig's endreason per record, in `flowsig` order, as docs/flows.md defines them */
  endreasons?: readonly string[];
  /** flowsig does not (yet) give `endreasons`: the bug, checked by an expected-to-fail test */
  bug?: 'BIFLOW_RST_IN_LINGER';
}

const FIN_LINGER =
  'nDPI keeps counting a TCP flow after FIN in both directions; flowsig ends the record 2 s after FIN was seen in both directions (docs/flows.md, endreason fin), so a segment arriving later (here a TCP retransmission more than 2 s after the second FIN, answered by RST) starts a second record';

const FUZZ_NULL_FAMILY =
  'fuzzed DLT_NULL packet whose address-family word is 00 2f 00 6c (no address family in either byte order): ndpiReader takes every family but 2 for IPv6, finds version nibble 6 in the garbage and reports a TCP flow (its printer even writes the destination with two "::"); flowsig counts the packet as "not IP", and reports the file cut short 2 bytes into the next record header';

const SKYPE = 'apps/ndpi-skype-2015-session.pcap';

const CUT_BY_SNAPLEN_REASON =
  'every packet claims a longer IPv4 total length (1500, once 1404) than it has captured IP bytes (frames of 43 to 1501 bytes), and ndpiReader drops a packet whose total length exceeds its captured IP bytes; flowsig meters it (counting the claimed total length as IP bytes and the captured frame as wire bytes), as nfstream does';

const BIFLOW_RST_IN_LINGER =
  'apps/ndpi-skype-2015-session.pcap, record 192.168.1.34:50075 -> 213.199.179.142:40003 starting 1431969716531.646 (frame 1518 client ACK|PSH|FIN, frame 1523 server RST 57 ms later): the biflow begins closing on the initiator\'s FIN (responder not yet seen); the RST inside the 2 s linger must still make it end rst, as docs/flows.md says and as both unidirectional records do';

const PINS: readonly Pin[] = [
  // apps/ndpi-skype-2015-session.pcap: the server re-sends a segment after both FINs, the client answers RST
  { capture: SKYPE, flow: 'TCP 111.221.74.38:40015 <-> 192.168.1.34:50059', reason: FIN_LINGER, ndpi: ['192.168.1.34:50059 11/820 <-> 5/416'], flowsig: ['192.168.1.34:50059 10/766 <-> 4/342', '111.221.74.38:40015 1/74 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 111.221.74.47:40030 <-> 192.168.1.34:50055', reason: FIN_LINGER, ndpi: ['192.168.1.34:50055 11/866 <-> 5/396'], flowsig: ['192.168.1.34:50055 10/812 <-> 4/322', '111.221.74.47:40030 1/74 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 111.221.74.47:443 <-> 192.168.1.34:50058', reason: FIN_LINGER, ndpi: ['192.168.1.34:50058 10/857 <-> 4/351'], flowsig: ['192.168.1.34:50058 9/803 <-> 3/206', '111.221.74.47:443 1/145 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 111.221.77.142:40023 <-> 192.168.1.34:50086', reason: FIN_LINGER, ndpi: ['192.168.1.34:50086 11/841 <-> 5/429'], flowsig: ['192.168.1.34:50086 10/787 <-> 4/355', '111.221.77.142:40023 1/74 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 149.13.32.15:13392 <-> 192.168.1.34:50132', reason: FIN_LINGER, ndpi: ['192.168.1.34:50132 13/1010 <-> 5/402'], flowsig: ['192.168.1.34:50132 12/956 <-> 4/328', '149.13.32.15:13392 1/74 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 157.55.56.146:40030 <-> 192.168.1.34:50053', reason: FIN_LINGER, ndpi: ['192.168.1.34:50053 12/940 <-> 5/415'], flowsig: ['192.168.1.34:50053 11/886 <-> 4/341', '157.55.56.146:40030 1/74 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 157.55.56.160:40027 <-> 192.168.1.34:50067', reason: FIN_LINGER, ndpi: ['192.168.1.34:50067 12/899 <-> 5/406'], flowsig: ['192.168.1.34:50067 11/845 <-> 4/332', '157.55.56.160:40027 1/74 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 157.55.56.160:443 <-> 192.168.1.34:50069', reason: FIN_LINGER, ndpi: ['192.168.1.34:50069 11/1050 <-> 4/351'], flowsig: ['192.168.1.34:50069 10/996 <-> 3/206', '157.55.56.160:443 1/145 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 157.55.56.170:443 <-> 192.168.1.34:50037', reason: FIN_LINGER, ndpi: ['192.168.1.34:50037 11/1218 <-> 4/351'], flowsig: ['192.168.1.34:50037 10/1164 <-> 3/206', '157.55.56.170:443 1/145 <-> 1/54'], endreasons: ['fin', 'rst'] },
  { capture: SKYPE, flow: 'TCP 192.168.1.34:50030 <-> 65.55.223.33:443', reason: FIN_LINGER, ndpi: ['192.168.1.34:50030 11/960 <-> 4/351'], flowsig: ['192.168.1.34:50030 10/906 <-> 3/206', '65.55.223.33:443 1/145 <-> 1/54'], endreasons: ['fin', 'rst'] },
  // the client re-sends its data + FIN after both FINs, the server answers RST
  {
    capture: SKYPE,
    flow: 'TCP 192.168.1.34:50075 <-> 213.199.179.142:40003',
    reason: FIN_LINGER,
    ndpi: ['192.168.1.34:50075 14/1100 <-> 5/395'],
    flowsig: ['192.168.1.34:50075 13/1026 <-> 4/335', '192.168.1.34:50075 1/74 <-> 1/60'],
    // the second record (frames 1518 client ACK|PSH|FIN, 1523 server RST) ends 'fin' in flowsig: see BIFLOW_RST_IN_LINGER
    endreasons: ['fin', 'rst'],
    bug: 'BIFLOW_RST_IN_LINGER',
  },
  {
    capture: 'malformed/ndpi-fuzz-cut-short-mid-packet.pcap',
    flow: 'TCP [302e::3d00::8001]:0 <-> [3400:3a30:3035:2f75:706c:6f32:643f:6c3d]:44288',
    reason: FUZZ_NULL_FAMILY,
    ndpi: ['[3400:3a30:3035:2f75:706c:6f32:643f:6c3d]:44288 1/197 <-> 0/0'],
    flowsig: [],
  },
];

/** The dns capture's non-first fragments as pins: flowsig = nDPI + the fragment, towards the client. */
function fragmentPin(ndpiEntries: readonly Entry[], frags: readonly ExtraPacket[], flow: string): Pin {
  expect(ndpiEntries).toHaveLength(1);
  const e = ndpiEntries[0];
  const plus = frags.reduce((s, f) => s + f.wireLen, 0);
  return {
    capture: DNS_FRAGMENTS_CAPTURE,
    flow,
    reason: NON_FIRST_FRAGMENT_REASON,
    ndpi: [show(e)],
    flowsig: [show({ ...e, rev: [e.rev[0] + frags.length, e.rev[1] + plus] })],
  };
}

const results = new Map<string, Comparison>();
function comparison(capture: string): Comparison {
  let c = results.get(capture);
  if (!c) {
    const tunnels = CAPTURE_PINS.find((p) => p.capture === capture)?.tunnels ?? 'inner';
    results.set(capture, (c = compare(capture, tunnels)));
  }
  return c;
}

function expectedDifferences(capture: string): Difference[] {
  const out: Difference[] = PINS.filter((p) => p.capture === capture).map((p) => ({
    flow: p.flow,
    ndpi: [...p.ndpi].sort(),
    flowsig: [...p.flowsig].sort(),
  }));
  if (capture === DNS_FRAGMENTS_CAPTURE) {
    const c = comparison(capture);
    const byFlow = new Map<string, ExtraPacket[]>();
    for (const f of DNS_NON_FIRST_FRAGMENTS) byFlow.set(f.flow, [...(byFlow.get(f.flow) ?? []), f]);
    for (const [recFlow, frags] of byFlow) {
      const rec = c.run.records.find((r) => recordFlow(r) === recFlow);
      expect(rec, recFlow).toBeDefined();
      const key = groupKey(rec!.proto, recordEntry(rec!));
      const p = fragmentPin(c.groups.get(key)?.ndpi ?? [], frags, key);
      out.push({ flow: p.flow, ndpi: [...p.ndpi], flowsig: [...p.flowsig] });
    }
  }
  return out.sort((a, b) => (a.flow < b.flow ? -1 : a.flow > b.flow ? 1 : 0));
}

describe.skipIf(!HAVE_CORPUS)('peers: flowsig --biflow with no timeouts against nDPI (ndpiReader)', () => {
  it('covers every .ndpi.out in the corpus that lists flows, and every pin names one of them', () => {
    const listing: string[] = [];
    const empty: string[] = [];
    for (const dir of readdirSync(corpusPath('.'), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      for (const f of readdirSync(corpusPath(dir.name))) {
        if (!f.endsWith('.ndpi.out')) continue;
        const rel = `${dir.name}/${f}`;
        (parseNdpi(readFileSync(corpusPath(rel), 'utf8')).flows.length > 0 ? listing : empty).push(rel);
      }
    }
    expect(listing.sort()).toEqual(CAPTURES.map((c) => c.capture.replace(/\.pcap(ng)?$/, '.ndpi.out')).sort());
    expect(empty).toEqual(['malformed/ndpi-dns-responses-cut-by-snaplen.ndpi.out']);
    const names = CAPTURES.map((c) => c.capture);
    for (const p of [...PINS, ...CAPTURE_PINS]) expect(names).toContain(p.capture);
  });

  for (const { capture, ndpiFlows, flowsigRecords } of CAPTURES) {
    const pinned =
      PINS.filter((p) => p.capture === capture).length +
      (capture === DNS_FRAGMENTS_CAPTURE ? new Set(DNS_NON_FIRST_FRAGMENTS.map((f) => f.flow)).size : 0);
    const capturePin = CAPTURE_PINS.find((p) => p.capture === capture);
    const title =
      `${capture}: ${ndpiFlows} nDPI flows, ` +
      (pinned === 0 ? 'identical' : `${pinned} pinned differences`) +
      (capturePin ? ` (${capturePin.reason})` : '');
    it(title, () => {
      const c = comparison(capture);
      expect(c.ndpi.flows).toHaveLength(ndpiFlows);
      expect(c.ndpi.announced).toBe(ndpiFlows);
      expect(c.run.records).toHaveLength(flowsigRecords);
      expect(c.differences).toEqual(expectedDifferences(capture));
      expect(c.identical).toBe(c.groups.size - c.differences.length);
      for (const p of PINS.filter((x) => x.capture === capture && x.endreasons && !x.bug)) {
        expect(endreasons(c, p)).toEqual(p.endreasons);
      }
    });
  }

  it('in all: 1192 nDPI flows in 1192 groups, 1173 identical, 19 pinned', () => {
    let flows = 0;
    let groups = 0;
    let identical = 0;
    let differences = 0;
    for (const { capture } of CAPTURES) {
      const c = comparison(capture);
      flows += c.ndpi.flows.length;
      groups += c.groups.size;
      identical += c.identical;
      differences += c.differences.length;
    }
    expect({ flows, groups, identical, differences }).toEqual({ flows: 1192, groups: 1192, identical: 1173, differences: 19 });
  });

  it('malformed/ndpi-fuzz-cut-short-mid-packet.pcap: flowsig reads the one packet, finds it is not IP, and reports the file cut short', () => {
    const c = comparison('malformed/ndpi-fuzz-cut-short-mid-packet.pcap');
    expect(c.run.counters.read).toBe(1);
    expect(c.run.counters.decoded).toBe(0);
    expect(c.run.counters.notDecoded[NOT_DECODED_REASONS.indexOf('not IP')]).toBe(1);
    expect(c.run.damage).toMatch(/ends in the middle of a pcap record/);
  });

  it(`malformed/ndpi-dns-responses-cut-by-snaplen.pcap: nDPI lists no flow, flowsig 93 (${CUT_BY_SNAPLEN_REASON})`, () => {
    const capture = 'malformed/ndpi-dns-responses-cut-by-snaplen.pcap';
    const ndpi = parseNdpi(readFileSync(corpusPath(capture.replace(/\.pcap$/, '.ndpi.out')), 'utf8'));
    expect(ndpi).toEqual({ flows: [], announced: 0 });
    const run = meterCapture(capture, { idleTimeoutMs: FOREVER_MS, activeTimeoutMs: FOREVER_MS, tunnels: 'inner' });
    expect(run.counters).toMatchObject({ read: 93, decoded: 93 });
    expect(run.records).toHaveLength(93);
    const packets = run.records.reduce((n, r) => n + r.packets + (r.rev_packets ?? 0), 0);
    const wire = run.records.reduce((n, r) => n + r.l2bytes + (r.rev_l2bytes ?? 0), 0);
    expect([packets, wire]).toEqual([93, 49526]); // nfstream's table says the same
    // nDPI's reason: every packet's IPv4 total length exceeds its captured IP bytes (wire − 14 Ethernet)
    const ipLengths: number[] = [];
    for (const r of run.records) {
      expect(r.ipver).toBe(4);
      expect(r.packets + (r.rev_packets ?? 0)).toBe(1);
      const ipLen = r.bytes + (r.rev_bytes ?? 0);
      expect(r.l2bytes + (r.rev_l2bytes ?? 0) - 14).toBeLessThan(ipLen);
      ipLengths.push(ipLen);
    }
    expect(ipLengths.filter((n) => n === 1500)).toHaveLength(92);
    expect(ipLengths.filter((n) => n !== 1500)).toEqual([1404]);
  });

  // Was a flowsig bug (fixed): a RST arriving in the linger of a biflow that began closing on the
  // initiator's FIN before the responder was seen did not make the record end with `rst`.
  it(`BIFLOW_RST_IN_LINGER: ${BIFLOW_RST_IN_LINGER}`, () => {
    for (const p of PINS.filter((x) => x.bug === 'BIFLOW_RST_IN_LINGER')) {
      expect(endreasons(comparison(p.capture), p)).toEqual(p.endreasons);
    }
  });

  it('BIFLOW_RST_IN_LINGER: without --biflow the same packets end with rst, and so does the biflow record', () => {
    const run = meterCapture(SKYPE, { idleTimeoutMs: FOREVER_MS, activeTimeoutMs: FOREVER_MS, tunnels: 'inner' });
    const bi = run.records.filter((r) => r.srcport === 50075 && r.stime === 1431969716531.646);
    expect(bi.map((r) => [r.packets, r.rev_packets, r.tcpflags, r.rev_tcpflags, r.endreason])).toEqual([[1, 1, 0x19, 0x04, 'rst']]);
  });
});

/** flowsig's endreason of each record of a pin's flow, in the pin's `flowsig` order */
function endreasons(c: Comparison, p: Pin): string[] {
  const g = c.groups.get(p.flow)!;
  return p.flowsig.map((s) => g.records[g.flowsig.findIndex((e) => show(e) === s)].endreason);
}
