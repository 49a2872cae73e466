/**
 * Peaks, samples and percentiles of `flowsig ports` on corpus captures equal a
 * plain reference computed here from tshark's own dissection (a different
 * decoder, no flow code): one line per packet, a binding per (protocol, inside
 * port) alive from its first packet to its last + timeout, a new one when the
 * gap exceeds the timeout. Timeouts are equal for every protocol so TCP state
 * plays no part; the crafted capture checks state by hand.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { missingPrograms } from '../live/namespaces.js';
import { flowsig, parseCsv } from '../cli/run.js';

const missing = missingPrograms(['tshark']);
const skip = !HAVE_CORPUS ? NO_CORPUS_MESSAGE : missing.length > 0 ? `needs ${missing.join(', ')}` : undefined;
if (skip) console.warn(`test/ports corpus: skipped: ${skip}`);

interface Interval { start: number; end: number; proto?: string }

/** Reference binding lifetimes of one inside IPv4 address, from tshark's per-packet fields. */
function referenceBindings(file: string, inside: string, timeoutMs: number): { intervals: Interval[]; firstMs: number; lastMs: number } {
  const text = execFileSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-T', 'fields', '-E', 'occurrence=f',
    '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.proto',
    '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'icmp.type', '-e', 'icmp.ident'],
  { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 }).toString();
  const local = (a: string) => { const [x, y] = a.split('.').map(Number); return x >= 224 || x === 0 || (x === 169 && y === 254); };
  const open = new Map<string, Interval>();
  const intervals: Interval[] = [];
  let firstMs = NaN;
  let lastMs = -Infinity;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [time, src, dst, proto, ts, td, us, ud, itype, iid] = line.split('\t');
    const ms = Number(time) * 1000;
    if (Number.isNaN(firstMs)) firstMs = ms;
    lastMs = Math.max(lastMs, ms);
    if (src === '' || (src === inside) === (dst === inside) || local(src) || local(dst)) continue;
    let port: string;
    if (proto === '6') port = src === inside ? ts : td;
    else if (proto === '17') port = src === inside ? us : ud;
    else if (proto === '1' && (itype === '8' || itype === '0')) port = iid;
    else continue;
    if (port === '' || port === undefined) continue; // a non-first fragment
    const key = `${proto}/${port}`;
    const b = open.get(key);
    if (b !== undefined && b.end > ms) b.end = ms + timeoutMs;
    else {
      const fresh = { start: ms, end: ms + timeoutMs, proto };
      open.set(key, fresh);
      intervals.push(fresh);
    }
  }
  return { intervals, firstMs, lastMs };
}

function alive(list: Interval[], t: number): number {
  return list.filter((i) => i.start <= t && t < i.end).length;
}

/** R type 7: linear between the order statistics around (n - 1) p. */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

const CASES = [
  { file: 'apps/ndpi-bittorrent.pcap', host: '192.168.1.3', timeout: '5s', interval: '1s' },
  { file: 'long/ndpi-gnutella-10min-many-flows.pcap', host: '10.0.2.15', timeout: '60s', interval: '10s' },
  { file: 'long/ndpi-gnutella-10min-many-flows.pcap', host: '10.0.2.15', timeout: '300s', interval: '10s' },
  { file: 'apps/ndpi-skype-2015-session.pcap', host: '192.168.1.34', timeout: '30s', interval: '2s' },
];

describe.skipIf(skip !== undefined)('ports: corpus captures against a tshark reference', () => {
  it.each(CASES)('$file, --hosts $host, every timeout $timeout, samples every $interval', ({ file, host, timeout, interval }) => {
    const path = corpusPath(file);
    const timeoutMs = Number(timeout.replace('s', '')) * 1000;
    const intervalMs = Number(interval.replace('s', '')) * 1000;
    const ref = referenceBindings(path, host, timeoutMs);
    const times: number[] = [];
    for (let t = ref.firstMs; t <= ref.lastMs; t += intervalMs) times.push(t);
    const samples = times.map((t) => alive(ref.intervals, t));
    const starts = ref.intervals.map((i) => i.start);
    const peak = Math.max(...starts.map((t) => alive(ref.intervals, t)));
    const peakMs = Math.min(...starts.filter((t) => alive(ref.intervals, t) === peak));

    const args = ['ports', '-r', path, '--hosts', `${host}/32`, '--interval', interval,
      '--timeout', `tcp=${timeout},tcp-transitory=${timeout},udp=${timeout},icmp=${timeout}`];
    const csv = flowsig([...args, '-o', 'csv']);
    expect(csv.code).toBe(0);
    const rows = parseCsv(csv.stdout);
    const total = new Map<string, number>();
    for (const r of rows) total.set(String(r.time), (total.get(String(r.time)) ?? 0) + Number(r.ports));
    expect([...total.values()]).toEqual(samples);
    expect(csv.stderr).toContain(` in ${ref.intervals.length} bindings of 1 hosts`);

    const table = flowsig(args);
    const line = table.stdout.split('\n').find((l) => l.startsWith(`${host} `))!;
    const [, bindings, p, at1, at2, mean, p95, p99, p999] = line.trim().split(/\s+/);
    expect(Number(bindings)).toBe(ref.intervals.length);
    expect(Number(p)).toBe(peak);
    expect(Date.parse(`${at1}T${at2}Z`)).toBe(Math.floor(peakMs)); // table shows whole ms
    expect(Number(mean)).toBeCloseTo(samples.reduce((a, b) => a + b, 0) / samples.length, 1);
    expect(Number(p95)).toBeCloseTo(percentile(samples, 0.95), 1);
    expect(Number(p99)).toBeCloseTo(percentile(samples, 0.99), 1);
    expect(Number(p999)).toBeCloseTo(percentile(samples, 0.999), 1);
    // the busiest protocol's exact peak: TCP and UDP ports are separate port spaces
    const protoPeak = Math.max(...['1', '6', '17'].map((pr) => {
      const mine = ref.intervals.filter((i) => i.proto === pr);
      return Math.max(0, ...mine.map((i) => alive(mine, i.start)));
    }));
    const busiest = table.stdout.split('\n').slice(table.stdout.split('\n').findIndex((l) => l.startsWith('  busiest protocol')));
    expect(busiest[2]).toMatch(new RegExp(`^    at peak: demand ${protoPeak} (TCP|UDP) ports -> `));
    console.log(`${file} ${host} T=${timeout}: ${ref.intervals.length} bindings, peak ${peak}, samples ${samples.length}, p99 ${percentile(samples, 0.99)}`);
  });

  it('--by app: the DNS tagger finds exactly the port-53 bindings of the Skype session', () => {
    const base = ['ports', '-r', corpusPath('apps/ndpi-skype-2015-session.pcap'), '--hosts', '192.168.1.34', '-o', 'csv', '-q'];
    const series = (args: string[], label: string) => parseCsv(flowsig(args).stdout).filter((r) => r.service === label).map((r) => Number(r.ports));
    const byPort = series(base, 'dns');
    const byTag = series([...base, '--by', 'app'], 'dns');
    expect(byTag).toEqual(byPort);
    expect(byPort.reduce((a, b) => a + b, 0)).toBe(401);
    const apps = new Set(parseCsv(flowsig([...base, '--by', 'app']).stdout).map((r) => r.service));
    expect([...apps]).toEqual(['dns', 'other']);
  });

  it('docs/ports.md: the example report is what the command prints', () => {
    const doc = readFileSync(new URL('../../docs/ports.md', import.meta.url), 'utf8');
    const out = flowsig(['ports', '-r', corpusPath('apps/ndpi-skype-2015-session.pcap'), '--hosts', '192.168.1.34', '-q']).stdout;
    expect(doc).toContain(`\n\`\`\`\n${out}\`\`\`\n`);
  });
});
