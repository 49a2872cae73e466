/**
 * The `flowsig ports` report as text: per-host statistics, the study-style
 * breakdown (average ports by service and their share), the port-range sizing,
 * and a stacked text chart per host. Also the time series as CSV / NDJSON rows.
 */
import type { TextOutput } from '../report/output.js';
import { type HostSeries, type HostStats, hostStats, sampleTimes, type Sizing, sizeFor, USABLE_PORTS } from './series.js';

export interface PortsReport {
  hosts: { series: HostSeries; stats: HostStats }[];
  percentile: number;
  percentiles: number[];
  /** all protocols together (conservative) */
  sizing: { atPercentile: Sizing; atPeak: Sizing };
  /** the busiest single protocol of any host (a NAT's port spaces are per protocol); `proto` names it */
  perProtocol: { atPercentile: Sizing & { proto: number }; atPeak: Sizing & { proto: number } };
  intervalMs: number;
  startMs: number;
  endMs: number;
}

/** The percentiles every report shows, plus the one sizing uses. */
export const REPORT_PERCENTILES = [95, 99, 99.9];

export function buildReport(series: HostSeries[], percentile: number, intervalMs: number, startMs: number, endMs: number): PortsReport {
  const percentiles = [...new Set([...REPORT_PERCENTILES, percentile])].sort((a, b) => a - b);
  const hosts = series.map((s) => ({ series: s, stats: hostStats(s, percentiles) }));
  const atP = Math.max(0, ...hosts.map((h) => h.stats.percentiles.get(percentile) ?? 0));
  const atPeak = Math.max(0, ...hosts.map((h) => h.stats.peak));
  let byP = { value: 0, proto: 0 };
  let byPeak = { value: 0, proto: 0 };
  for (const h of hosts) {
    for (const p of h.stats.protocols) {
      const v = p.percentiles.get(percentile) ?? 0;
      if (v > byP.value) byP = { value: v, proto: p.proto };
      if (p.peak > byPeak.value) byPeak = { value: p.peak, proto: p.proto };
    }
  }
  return {
    hosts, percentile, percentiles, intervalMs, startMs, endMs,
    sizing: { atPercentile: sizeFor(atP), atPeak: sizeFor(atPeak) },
    perProtocol: { atPercentile: { ...sizeFor(byP.value), proto: byP.proto }, atPeak: { ...sizeFor(byPeak.value), proto: byPeak.proto } },
  };
}

function protoLabel(proto: number): string {
  return proto === 6 ? 'TCP ports' : proto === 17 ? 'UDP ports' : proto === 1 || proto === 58 ? 'ICMP echo ids' : 'ports';
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function table(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

export function formatReport(r: PortsReport, opts: { chartHosts: number; chartWidth: number; label: string }): string {
  const lines: string[] = [];
  const span = (r.endMs - r.startMs) / 1000;
  lines.push(`ports in use per inside host (NAT bindings), ${sampleTimes(r.startMs, r.endMs, r.intervalMs).length} samples every ${r.intervalMs / 1000} s over ${span.toFixed(1)} s from ${isoTime(r.startMs)} UTC`);
  lines.push('');
  if (r.hosts.length === 0) {
    lines.push('no bindings: no TCP, UDP or ICMP echo session crossed the (assumed) NAT');
    return `${lines.join('\n')}\n`;
  }
  const pcts = r.percentiles;
  const head = ['host', 'bindings', 'peak', 'peak at (UTC)', 'mean', ...pcts.map((p) => `p${p}`)];
  const rows = r.hosts.map(({ series: s, stats: st }) => [
    s.host, String(s.bindings), String(st.peak), isoTime(st.peakMs), st.mean.toFixed(1), ...pcts.map((p) => num(st.percentiles.get(p) ?? 0)),
  ]);
  lines.push(table([head, ...rows], [false, true, true, false, true, ...pcts.map(() => true)]));
  lines.push('');
  lines.push(`average ports in use by ${opts.label} (share of the host's average)`);
  const cats = r.hosts[0].series.categories;
  const bHead = ['host', ...cats, 'total'];
  const bRows = r.hosts.map(({ series: s, stats: st }) => [
    s.host, ...st.breakdown.map((b) => `${b.mean.toFixed(1)} (${b.share.toFixed(0)}%)`), st.mean.toFixed(1),
  ]);
  lines.push(table([bHead, ...bRows], [false, ...cats.map(() => true), true]));
  lines.push('');
  const p = r.sizing.atPercentile;
  const k = r.sizing.atPeak;
  lines.push(`port range per customer (powers of two; ${USABLE_PORTS} usable ports per IPv4 address, 0-1023 reserved):`);
  const at = `at p${r.percentile}:`.padEnd(Math.max(9, `at p${r.percentile}:`.length + 1));
  const pk = 'at peak:'.padEnd(at.length);
  lines.push(`  all protocols together (conservative):`);
  lines.push(`    ${at}demand ${p.demand} ports -> range ${p.range} -> ${p.customers} customers per IPv4 address`);
  lines.push(`    ${pk}demand ${k.demand} ports -> range ${k.range} -> ${k.customers} customers per IPv4 address`);
  const pp = r.perProtocol.atPercentile;
  const pq = r.perProtocol.atPeak;
  lines.push(`  busiest protocol (TCP ports, UDP ports and ICMP ids are separate port spaces on a NAT):`);
  lines.push(`    ${at}demand ${pp.demand} ${protoLabel(pp.proto)} -> range ${pp.range} -> ${pp.customers} customers per IPv4 address`);
  lines.push(`    ${pk}demand ${pq.demand} ${protoLabel(pq.proto)} -> range ${pq.range} -> ${pq.customers} customers per IPv4 address`);
  const shown = r.hosts.slice(0, opts.chartHosts);
  for (const h of shown) {
    lines.push('');
    lines.push(textChart(h.series, opts.chartWidth, 8));
  }
  if (r.hosts.length > shown.length) lines.push(`\n(${r.hosts.length - shown.length} more hosts not charted; --top N charts more)`);
  return `${lines.join('\n')}\n`;
}

/** One character per category in the stacked text chart. */
export function chartGlyphs(categories: readonly string[]): string[] {
  const used = new Set<string>();
  const fixed: Record<string, string> = { dns: 'D', http: 'H', https: 'S', other: '#' };
  return categories.map((c) => {
    for (const ch of [fixed[c] ?? c[0].toUpperCase(), c[0].toLowerCase(), ...'%@*+=o~']) {
      if (!used.has(ch)) {
        used.add(ch);
        return ch;
      }
    }
    return '?';
  });
}

/**
 * Stacked column chart: one column per slice of time (the sample with the
 * largest total in that slice), categories stacked bottom-up in order.
 */
export function textChart(s: HostSeries, width: number, height: number): string {
  const n = s.times.length;
  const cols = Math.max(1, Math.min(width, n));
  const pick: number[] = [];
  for (let c = 0; c < cols; c++) {
    const from = Math.floor((c * n) / cols);
    const to = Math.max(from + 1, Math.floor(((c + 1) * n) / cols));
    let best = from;
    for (let k = from; k < to; k++) if (s.total[k] > s.total[best]) best = k;
    pick.push(best);
  }
  const top = Math.max(1, ...pick.map((k) => s.total[k]));
  const glyphs = chartGlyphs(s.categories);
  const grid: string[][] = Array.from({ length: height }, () => new Array<string>(cols).fill(' '));
  pick.forEach((k, c) => {
    // cumulative heights, rounded so the column's top matches the total
    let cum = 0;
    let filled = 0;
    s.categories.forEach((_, ci) => {
      cum += s.byCategory[ci][k];
      const upTo = Math.round((cum / top) * height);
      for (let y = filled; y < upTo; y++) grid[height - 1 - y][c] = glyphs[ci];
      filled = Math.max(filled, upTo);
    });
  });
  const label = (v: number) => String(v).padStart(String(top).length);
  const out = [`${s.host}: ports in use (peak ${s.peak})`];
  grid.forEach((row, y) => {
    const v = y === 0 ? label(top) : y === height - 1 ? label(0) : ' '.repeat(String(top).length);
    out.push(`${v} |${row.join('')}`);
  });
  out.push(`${' '.repeat(String(top).length)} +${'-'.repeat(cols)}`);
  const t0 = s.times[0] ?? 0;
  const t1 = s.times[n - 1] ?? 0;
  const left = isoTime(t0).slice(11, 19);
  const right = `+${((t1 - t0) / 1000).toFixed(0)} s`;
  out.push(`${' '.repeat(String(top).length + 2)}${left} ${right.padStart(Math.max(1, cols - left.length - 1))}`);
  out.push(`${' '.repeat(String(top).length + 2)}${s.categories.map((c, i) => `${glyphs[i]} ${c}`).join('  ')}`);
  return out.join('\n');
}

/** time,host,service,ports — one row per sample, host and category (zeros included). */
export function writeSeriesCsv(r: PortsReport, out: TextOutput): void {
  out.ascii('time,host,service,ports\n');
  for (const { series: s } of r.hosts) {
    for (let k = 0; k < s.times.length; k++) {
      const t = new Date(s.times[k]).toISOString();
      for (let c = 0; c < s.categories.length; c++) out.ascii(`${t},${s.host},${s.categories[c]},${s.byCategory[c][k]}\n`);
    }
  }
}

export function writeSeriesNdjson(r: PortsReport, out: TextOutput): void {
  for (const { series: s } of r.hosts) {
    for (let k = 0; k < s.times.length; k++) {
      const t = new Date(s.times[k]).toISOString();
      for (let c = 0; c < s.categories.length; c++) {
        out.ascii(`${JSON.stringify({ time: t, host: s.host, service: s.categories[c], ports: s.byCategory[c][k] })}\n`);
      }
    }
  }
}
