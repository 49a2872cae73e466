/** `flowsig ports` on a hand-made capture: every value below was worked out on paper (see crafted.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createDecoder } from '../../src/decode/decoder.js';
import { newPacketView } from '../../src/decode/view.js';
import { createBindingTable, DEFAULT_TIMEOUTS } from '../../src/ports/bindings.js';
import { parseCidr } from '../../src/ports/cidr.js';
import { buildReport } from '../../src/ports/report.js';
import { buildSeries, sizeFor } from '../../src/ports/series.js';
import { SERVICES } from '../../src/ports/services.js';
import { parseTimeouts } from '../../src/cli/ports.js';
import { createPcapWriter } from '../../src/capture/pcap-write.js';
import { flowsig, parseCsv, ROOT } from '../cli/run.js';
import { ethernet, ipv4, ipv6, tcp, udp } from '../decode/build.js';
import { craftedCapture, CRAFTED_TIMEOUTS, HOST, T0 } from './crafted.js';

function intervalsOf(file: string, hosts: string[] = []) {
  const decode = createDecoder();
  const view = newPacketView();
  const table = createBindingTable({ timeouts: parseTimeouts([CRAFTED_TIMEOUTS]), hosts: hosts.map((h) => parseCidr(h)!), keepSessions: true });
  readCaptureFile(file, {
    packet(buf, off, capLen, _wire, tsMs, _if, linkType) {
      decode(buf, off, capLen, linkType, view);
      if (view.reason === 0) table.packet(view, buf, tsMs);
    },
  });
  return { table, intervals: table.snapshot().map((i) => ({ ...i, start: (i.start - T0) / 1000, end: (i.end - T0) / 1000 })) };
}

const EXPECTED = [
  { proto: 6, port: 40000, service: 'https', start: 0, end: 32 },
  { proto: 17, port: 50000, service: 'dns', start: 5, end: 35.5 },
  { proto: 1, port: 7, service: 'other', start: 15, end: 25 },
  { proto: 6, port: 40001, service: 'http', start: 16, end: 36 },
  { proto: 17, port: 50000, service: 'dns', start: 40, end: 70 },
  { proto: 6, port: 40002, service: 'http', start: 41, end: 141 },
  { proto: 6, port: 40003, service: 'other', start: 42, end: 142 },
  { proto: 17, port: 50001, service: 'dns', start: 50, end: 80 },
];

describe('ports: crafted capture', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowsig-ports-'));
    file = join(dir, 'crafted.pcap');
    writeFileSync(file, craftedCapture());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults are the RFC figures', () => {
    expect(DEFAULT_TIMEOUTS).toEqual({ tcpMs: 7_440_000, tcpTransitoryMs: 240_000, udpMs: 300_000, icmpMs: 60_000 });
  });

  it('binding lifetimes: FIN shortens, expiry then reuse counts again, mid-stream opener, RST and multicast ignored', () => {
    const { table, intervals } = intervalsOf(file);
    const got = intervals.map(({ proto, port, service, start, end, host }) => ({ host, proto, port, service, start, end })).sort((a, b) => a.start - b.start);
    expect(got).toEqual(EXPECTED.map((e) => ({ host: HOST, ...e })));
    expect(table.stats).toEqual({ counted: 12, ignored: 2 });
    expect(intervals[0].session).toBe(`17 ${HOST} 50000 8.8.8.8 53`); // the closed one (b2) comes first
  });

  it('--hosts gives the same bindings here; a prefix that holds neither end gives none', () => {
    expect(intervalsOf(file, ['192.168.1.0/24']).intervals.length).toBe(8);
    expect(intervalsOf(file, ['10.0.0.0/8']).intervals.length).toBe(0);
  });

  it('samples, exact peak, statistics, breakdown and sizing', () => {
    const { table } = intervalsOf(file);
    const series = buildSeries(table.snapshot(), { startMs: T0, endMs: T0 + 50_000, intervalMs: 10_000, categoryOf: (i) => i.service, categories: SERVICES });
    expect(series).toHaveLength(1);
    const s = series[0];
    expect(s.total).toEqual([1, 2, 4, 3, 1, 4]);
    expect(s.categories).toEqual(['dns', 'http', 'https', 'other']);
    expect(s.byCategory).toEqual([[0, 1, 1, 1, 1, 2], [0, 0, 1, 1, 0, 1], [1, 1, 1, 1, 0, 0], [0, 0, 1, 0, 0, 1]]);
    expect([s.peak, s.peakMs - T0]).toEqual([4, 16_000]);
    const r = buildReport(series, 99, 10_000, T0, T0 + 50_000);
    const st = r.hosts[0].stats;
    expect(st.mean).toBe(2.5);
    expect([...st.percentiles]).toEqual([[95, 4], [99, 4], [99.9, 4]]);
    expect(st.breakdown.map((b) => [b.category, Number(b.mean.toFixed(4)), Number(b.share.toFixed(2))])).toEqual([
      ['dns', 1, 40], ['http', 0.5, 20], ['https', 0.6667, 26.67], ['other', 0.3333, 13.33],
    ]);
    expect(r.sizing.atPercentile).toEqual({ demand: 4, range: 4, customers: 16128 });
    // per protocol: TCP b1 b4 b6 b7, UDP b2 b5 b8, ICMP b3
    expect(s.protocols.map((p) => [p.proto, p.total, p.peak, (p.peakMs - T0) / 1000])).toEqual([
      [1, [0, 0, 1, 0, 0, 0], 1, 15], [6, [1, 1, 2, 2, 0, 2], 2, 16], [17, [0, 1, 1, 1, 1, 2], 2, 50],
    ]);
    expect(st.protocols.map((p) => [p.proto, Number((p.percentiles.get(99) ?? -1).toFixed(2))])).toEqual([[1, 0.95], [6, 2], [17, 1.95]]);
    expect(r.perProtocol.atPercentile).toEqual({ demand: 2, range: 2, customers: 32256, proto: 6 });
    expect(r.perProtocol.atPeak).toEqual({ demand: 2, range: 2, customers: 32256, proto: 6 });
    // median sits between samples: linear interpolation (R type 7)
    const median = buildReport(series, 50, 10_000, T0, T0 + 50_000).hosts[0].stats.percentiles.get(50);
    expect(median).toBe(2.5);
  });

  it('sizing: smallest power of two, customers per address from 64512 usable ports', () => {
    expect(sizeFor(0)).toEqual({ demand: 0, range: 1, customers: 64512 });
    expect(sizeFor(400.2)).toEqual({ demand: 401, range: 512, customers: 126 });
    expect(sizeFor(1024)).toEqual({ demand: 1024, range: 1024, customers: 63 });
  });

  it('CLI: -o csv time series', () => {
    const r = flowsig(['ports', '-r', file, '--timeout', CRAFTED_TIMEOUTS, '-o', 'csv']);
    expect(r.code).toBe(0);
    const rows = parseCsv(r.stdout);
    expect(rows).toHaveLength(6 * 4);
    expect(rows[0]).toEqual({ time: new Date(T0).toISOString(), host: HOST, service: 'dns', ports: 0 });
    const totals = [0, 1, 2, 3, 4, 5].map((k) => rows.slice(k * 4, k * 4 + 4).reduce((n, x) => n + Number(x.ports), 0));
    expect(totals).toEqual([1, 2, 4, 3, 1, 4]);
    expect(r.stderr).toMatch(/^flowsig: 14 packets read, 14 decoded, 0 not decodable; 12 packets in 8 bindings of 1 hosts, 2 not NATed; /);
  });

  it('CLI: standard input (-r -) gives the same series as the file', () => {
    const fromFile = flowsig(['ports', '-r', file, '--timeout', CRAFTED_TIMEOUTS, '-o', 'csv', '-q']);
    const fromStdin = flowsig(['ports', '-r', '-', '--timeout', CRAFTED_TIMEOUTS, '-o', 'csv', '-q'], craftedCapture());
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it('CLI: -o ndjson with --interval and --timeout given twice', () => {
    const r = flowsig(['ports', '-r', file, '--timeout', 'tcp=100s,tcp-transitory=20s', '--timeout', 'udp=30s,icmp=10s', '--interval', '25s', '-o', 'ndjson', '-q']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => `${(Date.parse(x.time) - T0) / 1000} ${x.service} ${x.ports}`)).toEqual([
      '0 dns 0', '0 http 0', '0 https 1', '0 other 0',
      '25 dns 1', '25 http 1', '25 https 1', '25 other 0',
      '50 dns 2', '50 http 1', '50 https 0', '50 other 1',
    ]);
  });

  it('CLI: the table report', () => {
    const r = flowsig(['ports', '-r', file, '--timeout', CRAFTED_TIMEOUTS]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('ports in use per inside host (NAT bindings), 6 samples every 10 s over 50.0 s from 2023-11-14 22:13:20.000 UTC');
    expect(lines[3]).toBe('192.168.1.10         8     4  2023-11-14 22:13:36.000   2.5    4    4      4');
    expect(lines[7]).toBe('192.168.1.10  1.0 (40%)  0.5 (20%)  0.7 (27%)  0.3 (13%)    2.5');
    expect(r.stdout).toContain([
      '  all protocols together (conservative):',
      '    at p99:  demand 4 ports -> range 4 -> 16128 customers per IPv4 address',
      '    at peak: demand 4 ports -> range 4 -> 16128 customers per IPv4 address',
      '  busiest protocol (TCP ports, UDP ports and ICMP ids are separate port spaces on a NAT):',
      '    at p99:  demand 2 TCP ports -> range 2 -> 32256 customers per IPv4 address',
      '    at peak: demand 2 TCP ports -> range 2 -> 32256 customers per IPv4 address',
    ].join('\n'));
    expect(r.stdout).toContain('192.168.1.10: ports in use (peak 4)');
    expect(r.stdout).toContain('D dns  H http  S https  # other');
  });

  it('CLI: --by app labels DNS from the tagger, the rest untagged', () => {
    const r = flowsig(['ports', '-r', file, '--timeout', CRAFTED_TIMEOUTS, '--by', 'app', '-o', 'csv']);
    expect(r.code).toBe(0);
    const rows = parseCsv(r.stdout);
    const last = rows.filter((x) => x.time === new Date(T0 + 50_000).toISOString());
    // 1 2 3 4 bytes is no DNS message: the tagger recognises nothing in this capture
    expect(last.map((x) => `${x.service} ${x.ports}`)).toEqual(['other 4']);
  });

  it('CLI: a damaged capture reports what was read, then one line, exit 2', () => {
    const whole = craftedCapture();
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const r = flowsig(['ports', '-r', cut, '--timeout', CRAFTED_TIMEOUTS, '-o', 'csv']);
    expect(r.code).toBe(2);
    const rows = parseCsv(r.stdout);
    expect(rows).toHaveLength(5 * 4); // the last packet (t = 50 s) is lost: samples 0..40
    const errors = r.stderr.trim().split('\n');
    expect(errors[0]).toMatch(/^flowsig: 13 packets read/);
    expect(errors[1]).toMatch(new RegExp(`^flowsig: ${cut}: offset \\d+: .*packet`));
    expect(errors).toHaveLength(2);
  });

  it('CLI: usage errors are one line, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['ports'], /no input/],
      [['ports', '-r', file, '--by', 'port'], /--by port: expected service or app/],
      [['ports', '-r', file, '--timeout', 'tcp=forever'], /--timeout tcp=forever: expected a duration/],
      [['ports', '-r', file, '--timeout', 'sctp=1m'], /expected NAME=DURATION with NAME one of tcp, tcp-transitory, udp, icmp/],
      [['ports', '-r', file, '--hosts', '10.0.0.0/33'], /--hosts 10.0.0.0\/33: expected an address or prefix/],
      [['ports', '-r', file, '--percentile', '0'], /--percentile 0: expected a number above 0/],
      [['ports', '-r', file, '-o', 'xml'], /-o xml: expected table, csv or ndjson/],
      [['ports', '-r', file, '--interval', '0s'], /--interval 0s/],
      [['ports', '-r', file, '--duration', '5s'], /--duration applies to live capture/],
      [['ports', '-r', file, '--intervall', '5s'], /unknown option --intervall; did you mean --interval\?/],
      [['ports', '-r', join(dir, 'missing.pcap')], /missing\.pcap/],
    ];
    for (const [args, message] of cases) {
      const r = flowsig(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('CLI: --help and the command list', () => {
    expect(flowsig(['ports', '--help']).stdout).toContain('usage: flowsig ports -r FILE');
    expect(flowsig(['help']).stdout).toContain('  ports      source ports (NAT bindings)');
  });
});

describe('ports: DS-Lite softwires (IPv4 in IPv6)', () => {
  it('the customer is the B4: two B4s with the same inner address and port are two customers', () => {
    const w = createPcapWriter({ linkType: 1 });
    const put = (s: number, b4: string, sport: number) => {
      const b = Buffer.from(ethernet(0x86dd, ipv6({ src: b4, dst: '2001:db8:ff::1', nextHeader: 4 }, ipv4({ src: '192.0.0.2', dst: '8.8.8.8', proto: 17 }, udp(sport, 53, [1])))));
      w.packet(b, 0, b.length, b.length, T0 + s * 1000, 0, 1);
    };
    put(0, '2001:db8:1::2', 5000);
    put(1, '2001:db8:2::2', 5000);
    put(2, '2001:db8:2::2', 5001);
    const dir = mkdtempSync(join(tmpdir(), 'flowsig-ports-'));
    try {
      const file = join(dir, 'dslite.pcap');
      writeFileSync(file, Buffer.from(w.toBuffer()));
      const r = flowsig(['ports', '-r', file, '-o', 'csv', '-q']);
      expect(r.code).toBe(0);
      expect(parseCsv(r.stdout).filter((x) => Number(x.ports) > 0).map((x) => `${x.host} ${x.service} ${x.ports}`)).toEqual(['2001:db8:1::2 dns 1']);
      // the sample at 0 s sees only the first B4; the table has both customers with their peaks
      const t = flowsig(['ports', '-r', file, '--hosts', '2001:db8:1::/48,2001:db8:2::/48', '-q']).stdout.split('\n');
      expect(t.slice(3, 5).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual(['2001:db8:2::2 2 2', '2001:db8:1::2 1 1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('captures/dslite-good-1.pcapng: the B4 holds one binding (curl to port 8080) on the softwire', () => {
    const r = flowsig(['ports', '-r', `${ROOT}captures/dslite-good-1.pcapng`, '--hosts', '2001:db8:64:1::2', '--interval', '100ms', '-o', 'csv', '-q']);
    expect(r.code).toBe(0);
    const rows = parseCsv(r.stdout);
    expect(new Set(rows.map((x) => x.host))).toEqual(new Set(['2001:db8:64:1::2']));
    expect(Math.max(...rows.filter((x) => x.service === 'http').map((x) => Number(x.ports)))).toBe(1);
    expect(rows.filter((x) => x.service !== 'http').every((x) => x.ports === 0)).toBe(true);
  });
});

describe('ports: which side is inside without --hosts', () => {
  function hostsOf(packets: number[][]): string[] {
    const decode = createDecoder();
    const view = newPacketView();
    const table = createBindingTable({ timeouts: DEFAULT_TIMEOUTS, hosts: [], keepSessions: false });
    packets.forEach((p, i) => {
      const b = Buffer.from(p);
      decode(b, 0, b.length, 1, view);
      table.packet(view, b, T0 + i);
    });
    return table.snapshot().map((i) => `${i.host} ${i.proto}/${i.port} ${i.service}`);
  }
  const v4 = (src: string, dst: string, proto: number, l4: number[]) => ethernet(0x0800, ipv4({ src, dst, proto }, l4));
  it('TCP: a SYN-ACK first makes its receiver the opener', () => {
    expect(hostsOf([v4('198.51.100.1', '10.0.0.5', 6, tcp(443, 40000, 0x12, []))])).toEqual(['10.0.0.5 6/40000 https']);
  });
  it('TCP mid-stream: the end without a well-known port; both high: the first sender', () => {
    expect(hostsOf([v4('198.51.100.1', '10.0.0.5', 6, tcp(80, 40000, 0x10, [1]))])).toEqual(['10.0.0.5 6/40000 http']);
    expect(hostsOf([v4('198.51.100.1', '10.0.0.5', 6, tcp(6881, 40000, 0x10, [1]))])).toEqual(['198.51.100.1 6/6881 other']);
  });
  it('UDP: the first sender, even a server answering (the capture began after the query)', () => {
    expect(hostsOf([v4('8.8.8.8', '10.0.0.5', 17, udp(53, 40000, [1]))])).toEqual(['8.8.8.8 17/53 other']);
  });
  it('ICMP: an echo reply first makes its receiver the asker; errors are no bindings', () => {
    expect(hostsOf([v4('198.51.100.1', '10.0.0.5', 1, [0, 0, 0, 0, 0x12, 0x34, 0, 1])])).toEqual(['10.0.0.5 1/4660 other']);
    expect(hostsOf([v4('198.51.100.1', '10.0.0.5', 1, [3, 3, 0, 0, 0, 0, 0, 0])])).toEqual([]);
  });
  it('IPv6 (NAT64 clients): echo and UDP from an IPv6 host', () => {
    const v6 = (src: string, dst: string, nh: number, l4: number[]) => ethernet(0x86dd, ipv6({ src, dst, nextHeader: nh }, l4));
    expect(hostsOf([
      v6('2001:db8::5', '64:ff9b::808:808', 17, udp(40000, 53, [1])),
      v6('2001:db8::5', '64:ff9b::c633:6401', 58, [128, 0, 0, 0, 0, 9, 0, 1]),
      v6('2001:db8::5', 'ff02::fb', 17, udp(5353, 5353, [1])),
    ])).toEqual(['2001:db8::5 17/40000 dns', '2001:db8::5 58/9 other']);
  });
});

describe('ports --by app through a softwire', () => {
  it('the DNS tag reaches a binding whose host is a B4', () => {
    const query = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0, 0, 1, 0, 1];
    const w = createPcapWriter({ linkType: 1 });
    const b = Buffer.from(ethernet(0x86dd, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:ff::1', nextHeader: 4 }, ipv4({ src: '192.0.0.2', dst: '8.8.8.8', proto: 17 }, udp(5000, 53, query)))));
    w.packet(b, 0, b.length, b.length, T0, 0, 1);
    const dir = mkdtempSync(join(tmpdir(), 'flowsig-ports-'));
    try {
      const file = join(dir, 'dslite-dns.pcap');
      writeFileSync(file, Buffer.from(w.toBuffer()));
      const rows = parseCsv(flowsig(['ports', '-r', file, '--by', 'app', '-o', 'csv', '-q']).stdout);
      expect(rows).toEqual([{ time: new Date(T0).toISOString(), host: '2001:db8:1::2', service: 'dns', ports: 1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
