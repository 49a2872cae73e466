/**
 * `flowsig ports`: how many source ports (NAT bindings) each inside host
 * needs when IPv4 addresses are shared (A+P, DS-Lite AFTR, CGN, NAT64 pool),
 * from captures or live traffic. Method and defaults: docs/ports.md.
 */
import { writeFileSync } from 'node:fs';
import { CAPTURE_BACKENDS, DEFAULT_CAPTURE_BACKEND, LiveCaptureError, startLiveCapture, type CaptureBackend } from '../capture/live.js';
import { readCaptureFile } from '../capture/open.js';
import { InputError, type PacketSink } from '../capture/types.js';
import { createDecoder } from '../decode/decoder.js';
import { NOT_DECODED_REASONS, newPacketView } from '../decode/view.js';
import { createMeter, type Meter } from '../flow/meter.js';
import { describeNotDecoded, type PacketCounters } from '../flow/pipeline.js';
import { openTextOutput } from '../report/output.js';
import { createTagging, APPS } from '../tag/index.js';
import { type BindingInterval, type BindingTable, createBindingTable, DEFAULT_TIMEOUTS, type Timeouts } from '../ports/bindings.js';
import { type Cidr, parseCidr } from '../ports/cidr.js';
import { buildReport, formatReport, type PortsReport, writeSeriesCsv, writeSeriesNdjson } from '../ports/report.js';
import { buildSeries } from '../ports/series.js';
import { SERVICES, UNTAGGED } from '../ports/services.js';
import { renderSvg } from '../ports/svg.js';
import { type OptionSpec, optionHelp, parseArgs, UsageError } from './args.js';
import { parseDuration } from './duration.js';

export const PORTS_OPTIONS: readonly OptionSpec[] = [
  { long: 'read', short: 'r', value: 'FILE', repeatable: true, help: 'read a pcap or pcapng file (- for standard input); repeat to read several as one timeline' },
  { long: 'interface', short: 'i', value: 'IFACE', repeatable: true, help: 'capture live on IFACE (repeat for several); a trailing BPF filter applies; Ctrl-C or --duration ends with the full report' },
  { long: 'hosts', value: 'CIDR', repeatable: true, help: 'inside hosts (repeat, or separate with commas); default: the side that opens each session' },
  { long: 'interval', value: 'DURATION', help: 'sample concurrent ports this often (default 10s); live: also how often a status line is printed' },
  { long: 'by', value: 'service|app', help: 'break down by service (DNS 53/853, HTTP 80/8080, HTTPS 443, other; default) or by the flow tag app' },
  { long: 'percentile', value: 'P', help: 'percentile the port-range sizing uses (default 99); 95, 99 and 99.9 are always shown' },
  { long: 'timeout', value: 'NAME=DURATION,…', repeatable: true, help: 'binding timeouts: tcp (established, default 2h4m), tcp-transitory (4m), udp (5m), icmp (60s)' },
  { long: 'svg', value: 'FILE', help: 'write the chart as a standalone SVG (one panel per host, stacked by service)' },
  { long: 'output', short: 'o', value: 'FORMAT', help: 'table (the report, default), csv or ndjson (the time series: time, host, service, ports)' },
  { long: 'top', value: 'N', help: 'chart the N hosts with the highest peaks (default 8); the tables list every host' },
  { long: 'duration', value: 'DURATION', help: 'live capture: stop after this long' },
  { long: 'capture-backend', value: 'tcpdump|dumpcap', help: 'live capture program (default tcpdump)' },
  { long: 'tunnel', value: 'inner|outer', help: 'count the inner packets of tunnels (default; DS-Lite B4s) or the outer ones' },
  { long: 'quiet', short: 'q', help: 'no summary or status lines on standard error' },
  { long: 'help', short: 'h', help: 'show this help' },
];

export const PORTS_USAGE = `usage: flowsig ports -r FILE [-r FILE …] [options]
       flowsig ports -i IFACE [-i IFACE …] [options] [BPF filter]

How many source ports (NAT bindings) each inside host holds over time, and the
port range per customer that a shared IPv4 address (A+P, DS-Lite AFTR, CGN,
NAT64 pool) would need. A binding is (host, protocol, source port) — ICMP: echo
id — alive from its first packet until the NAT would expire it.

options:
${optionHelp(PORTS_OPTIONS)}

examples:
  flowsig ports -r home.pcapng
  flowsig ports -r cpe-lan.pcap --hosts 192.168.1.0/24 --percentile 99.9 --svg ports.svg
  flowsig ports -r trace.pcap --timeout udp=2m,tcp-transitory=4m -o csv > series.csv
  sudo flowsig ports -i eth1 --hosts 100.64.0.0/10 --duration 1h 'not port 22'
`;

export interface PortsConfig {
  files: string[];
  interfaces: string[];
  filter: string | undefined;
  backend: CaptureBackend;
  hosts: Cidr[];
  intervalMs: number;
  by: 'service' | 'app';
  percentile: number;
  timeouts: Timeouts;
  svgPath: string | undefined;
  format: 'table' | 'csv' | 'ndjson';
  top: number;
  durationMs: number | undefined;
  tunnels: 'inner' | 'outer';
  quiet: boolean;
}

const TIMEOUT_NAMES: Record<string, keyof Timeouts> = { tcp: 'tcpMs', 'tcp-transitory': 'tcpTransitoryMs', udp: 'udpMs', icmp: 'icmpMs' };

function duration(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--${option} ${text}: expected a duration such as 500ms, 10s, 5m or 2h4m`);
  return ms;
}

export function parseTimeouts(texts: readonly string[]): Timeouts {
  const t: Timeouts = { ...DEFAULT_TIMEOUTS };
  for (const text of texts) {
    for (const part of text.split(',')) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const key = TIMEOUT_NAMES[name];
      if (eq < 0 || key === undefined) {
        throw new UsageError(`--timeout ${text}: expected NAME=DURATION with NAME one of ${Object.keys(TIMEOUT_NAMES).join(', ')}`);
      }
      const ms = parseDuration(part.slice(eq + 1));
      if (ms === undefined || ms <= 0) throw new UsageError(`--timeout ${part}: expected a duration such as 30s, 5m or 2h4m`);
      t[key] = ms;
    }
  }
  return t;
}

export function parsePortsArgs(argv: readonly string[]): PortsConfig | 'help' {
  const a = parseArgs(argv, PORTS_OPTIONS);
  if (a.flags.has('help')) return 'help';
  const files = a.options.get('read') ?? [];
  const interfaces = a.options.get('interface') ?? [];
  if (a.positionals.length > 0 && interfaces.length === 0) {
    throw new UsageError(`unexpected argument "${a.positionals[0]}" (capture filters apply to live capture with -i; files are read with -r FILE)`);
  }
  if (files.length === 0 && interfaces.length === 0) throw new UsageError('no input: give -r FILE (or -r - for standard input) or -i IFACE');
  if (files.length > 0 && interfaces.length > 0) throw new UsageError('give either -r FILE or -i IFACE, not both');
  if (interfaces.includes('any')) throw new UsageError('-i any: give each interface with its own -i');
  const backend = a.options.get('capture-backend')?.[0] ?? DEFAULT_CAPTURE_BACKEND;
  if (!(CAPTURE_BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--capture-backend ${backend}: expected ${CAPTURE_BACKENDS.join(' or ')}`);
  const hosts: Cidr[] = [];
  for (const text of (a.options.get('hosts') ?? []).flatMap((h) => h.split(',')).filter((h) => h !== '')) {
    const c = parseCidr(text);
    if (!c) throw new UsageError(`--hosts ${text}: expected an address or prefix such as 192.168.1.0/24 or 2001:db8::/48`);
    hosts.push(c);
  }
  const intervalText = a.options.get('interval')?.[0];
  const intervalMs = intervalText === undefined ? 10_000 : duration('interval', intervalText);
  const by = a.options.get('by')?.[0] ?? 'service';
  if (by !== 'service' && by !== 'app') throw new UsageError(`--by ${by}: expected service or app`);
  const pText = a.options.get('percentile')?.[0] ?? '99';
  const percentile = Number(pText);
  if (!/^\d+(\.\d+)?$/.test(pText) || !(percentile > 0 && percentile <= 100)) throw new UsageError(`--percentile ${pText}: expected a number above 0 and at most 100, such as 99 or 99.9`);
  const format = a.options.get('output')?.[0] ?? 'table';
  if (format !== 'table' && format !== 'csv' && format !== 'ndjson') throw new UsageError(`-o ${format}: expected table, csv or ndjson`);
  const topText = a.options.get('top')?.[0] ?? '8';
  if (!/^\d+$/.test(topText) || Number(topText) < 1) throw new UsageError(`--top ${topText}: expected a whole number of at least 1`);
  const durationText = a.options.get('duration')?.[0];
  if (durationText !== undefined && interfaces.length === 0) throw new UsageError('--duration applies to live capture (-i)');
  const tunnels = a.options.get('tunnel')?.[0] ?? 'inner';
  if (tunnels !== 'inner' && tunnels !== 'outer') throw new UsageError(`--tunnel ${tunnels}: expected inner or outer`);
  return {
    files, interfaces, filter: a.positionals.length > 0 ? a.positionals.join(' ') : undefined, backend: backend as CaptureBackend,
    hosts, intervalMs, by, percentile, timeouts: parseTimeouts(a.options.get('timeout') ?? []),
    svgPath: a.options.get('svg')?.[0], format, top: Number(topText),
    durationMs: durationText === undefined ? undefined : duration('duration', durationText), tunnels, quiet: a.flags.has('quiet'),
  };
}

/** Decoder → binding table (and, for --by app, the meter with its taggers), as one PacketSink. */
interface PortsPipeline {
  sink: PacketSink;
  table: BindingTable;
  counters: PacketCounters;
  meter: Meter | undefined;
  /** session ("proto a aport b bport", both orders) → app tag */
  apps: Map<string, string>;
  /** first and latest packet times of every packet read (decodable or not): the span the samples cover */
  firstMs: number;
  lastMs: number;
}

function createPortsPipeline(cfg: PortsConfig): PortsPipeline {
  const decode = createDecoder({ tunnels: cfg.tunnels });
  const view = newPacketView();
  const table = createBindingTable({ timeouts: cfg.timeouts, hosts: cfg.hosts, keepSessions: cfg.by === 'app' });
  const counters: PacketCounters = { read: 0, decoded: 0, notDecoded: NOT_DECODED_REASONS.map(() => 0) };
  const apps = new Map<string, string>();
  const meter = cfg.by === 'app'
    ? createMeter({ inspector: createTagging({}) }, (rec) => {
        const app = typeof rec.app === 'string' ? rec.app : '';
        if (app === '') return;
        apps.set(`${rec.proto} ${rec.srcip} ${rec.srcport} ${rec.dstip} ${rec.dstport}`, app);
        apps.set(`${rec.proto} ${rec.dstip} ${rec.dstport} ${rec.srcip} ${rec.srcport}`, app);
      })
    : undefined;
  const p: PortsPipeline = {
    table, counters, meter, apps, firstMs: NaN, lastMs: NaN,
    sink: {
      packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType) {
        if (counters.read++ === 0) p.firstMs = p.lastMs = tsMs;
        else if (tsMs > p.lastMs) p.lastMs = tsMs;
        decode(buf, offset, capLen, linkType, view);
        if (view.reason !== 0) {
          counters.notDecoded[view.reason]++;
          return;
        }
        counters.decoded++;
        table.packet(view, buf, tsMs);
        meter?.packet(view, buf, tsMs, ifIndex, wireLen);
      },
    },
  };
  return p;
}

function report(p: PortsPipeline, cfg: PortsConfig, endMs: number): PortsReport {
  const intervals = p.table.snapshot();
  const categoryOf = cfg.by === 'app'
    ? (i: BindingInterval) => (i.session !== undefined ? p.apps.get(i.session) : undefined) ?? UNTAGGED
    : (i: BindingInterval) => i.service;
  const startMs = Number.isNaN(p.firstMs) ? 0 : p.firstMs;
  if (Number.isNaN(p.firstMs)) endMs = startMs;
  const series = buildSeries(intervals, {
    startMs, endMs, intervalMs: cfg.intervalMs, categoryOf, categories: cfg.by === 'app' ? [...APPS, UNTAGGED] : SERVICES,
  });
  return buildReport(series, cfg.percentile, cfg.intervalMs, startMs, endMs);
}

function emit(r: PortsReport, cfg: PortsConfig): void {
  const out = openTextOutput(undefined);
  const label = cfg.by === 'app' ? 'app tag' : 'service';
  if (cfg.format === 'csv') writeSeriesCsv(r, out);
  else if (cfg.format === 'ndjson') writeSeriesNdjson(r, out);
  else out.write(formatReport(r, { chartHosts: cfg.top, chartWidth: 64, label }));
  out.end();
  if (cfg.svgPath !== undefined) {
    const title = `Ports in use per host (NAT bindings) by ${label}`;
    writeFileSync(cfg.svgPath, renderSvg(r, { maxPanels: cfg.top, label, title }));
  }
}

function summaryLine(p: PortsPipeline, r: PortsReport, seconds: number): string {
  const c = p.counters;
  const details = describeNotDecoded(c);
  const bindings = r.hosts.reduce((n, h) => n + h.series.bindings, 0);
  return `flowsig: ${c.read} packets read, ${c.decoded} decoded, ${c.read - c.decoded} not decodable${details ? ` (${details})` : ''}; `
    + `${p.table.stats.counted} packets in ${bindings} bindings of ${r.hosts.length} hosts, ${p.table.stats.ignored} not NATed; ${seconds.toFixed(2)} s`;
}

export function runPorts(cfg: PortsConfig, stderr: NodeJS.WriteStream): number | Promise<number> {
  if (cfg.interfaces.length > 0) return runLivePorts(cfg, stderr);
  const p = createPortsPipeline(cfg);
  const started = process.hrtime.bigint();
  let failure: InputError | undefined;
  for (const file of cfg.files) {
    try {
      readCaptureFile(file, p.sink);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      failure = err;
      break;
    }
  }
  if (failure && p.counters.read === 0) {
    stderr.write(`flowsig: ${failure.describe()}\n`); // nothing was read: no empty report
    return 2;
  }
  p.meter?.flush('eof');
  const r = report(p, cfg, p.lastMs);
  emit(r, cfg);
  if (!cfg.quiet) stderr.write(`${summaryLine(p, r, Number(process.hrtime.bigint() - started) / 1e9)}\n`);
  if (failure) {
    stderr.write(`flowsig: ${failure.describe()}\n`);
    return 2;
  }
  return 0;
}

async function runLivePorts(cfg: PortsConfig, stderr: NodeJS.WriteStream): Promise<number> {
  const say = (line: string) => {
    if (!cfg.quiet) stderr.write(`${line}\n`);
  };
  const p = createPortsPipeline(cfg);
  const started = Date.now();
  let capture;
  try {
    capture = startLiveCapture(p.sink, {
      interfaces: cfg.interfaces, filter: cfg.filter, backend: cfg.backend,
      onReady() {
        say(`flowsig: counting ports on ${cfg.interfaces.join(', ')} (${cfg.backend}${cfg.filter ? `, filter "${cfg.filter}"` : ''}); Ctrl-C for the report`);
      },
    });
  } catch (err) {
    if (err instanceof LiveCaptureError) {
      stderr.write(`flowsig: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  // status: ports in use now and peak so far per host; expired sessions are forgotten (bounded memory)
  const tick = setInterval(() => {
    const now = Date.now();
    p.table.expire(now);
    p.meter?.advance(now); // --by app: idle flows end (and give their tags) on wall time
    if (p.counters.read === 0) return;
    const r = report(p, cfg, now);
    const alive = new Map<string, number>();
    for (const i of p.table.snapshot()) if (i.start <= now && now < i.end) alive.set(i.host, (alive.get(i.host) ?? 0) + 1);
    const hosts = r.hosts.slice(0, cfg.top).map((h) => `${h.series.host} ${alive.get(h.series.host) ?? 0} now/${h.stats.peak} peak`);
    say(`flowsig: +${Math.round((now - started) / 1000)}s: ${p.counters.read} packets; ${hosts.length ? hosts.join(', ') : 'no bindings yet'}`);
  }, cfg.intervalMs);
  const stop = () => capture.stop();
  const timer = cfg.durationMs === undefined ? undefined : setTimeout(stop, cfg.durationMs);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let failure: LiveCaptureError | undefined;
  let warnings: string[] = [];
  try {
    warnings = (await capture.done).warnings;
  } catch (err) {
    if (!(err instanceof LiveCaptureError)) throw err;
    failure = err;
  } finally {
    clearInterval(tick);
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (failure) {
    stderr.write(`flowsig: ${failure.message}\n`);
    return 1;
  }
  p.meter?.flush('eof');
  for (const w of warnings) say(`flowsig: warning: ${w}`);
  const end = Math.max(Date.now(), p.lastMs);
  const r = report(p, cfg, end);
  emit(r, cfg);
  say(summaryLine(p, r, (Date.now() - started) / 1000));
  return 0;
}
