/**
 * `--svg out.svg`: a standalone SVG a browser opens — one panel per host
 * (the hosts with the highest peaks), ports in use over time as stacked
 * areas by category, axes with UTC time and port ticks, a legend, and the
 * exact peak marked.
 */
import type { PortsReport } from './report.js';
import type { HostSeries } from './series.js';

export const SVG_WIDTH = 960;
const PANEL_HEIGHT = 230;
const TOP = 64;
const MARGIN = { left: 70, right: 150, top: 30, bottom: 40 };
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
/** the same colour for a category in every chart; others take palette colours in order */
const FIXED: Record<string, string> = { dns: '#4e79a7', http: '#f28e2b', https: '#59a14f', other: '#9c9c9c' };

export function categoryColors(categories: readonly string[]): string[] {
  let next = 0;
  return categories.map((c) => FIXED[c] ?? PALETTE[next++ % PALETTE.length]);
}

export function svgHeight(panels: number): number {
  return TOP + Math.max(1, panels) * PANEL_HEIGHT + 20;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(n: number): string {
  return Number(n.toFixed(2)).toString();
}

/** 1, 2, 5 × 10^k steps: about `count` ticks from 0 to at least max. */
export function niceTicks(max: number, count = 5): number[] {
  const raw = Math.max(1, max) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow); // ports are whole numbers
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(Number(v.toFixed(6)));
    if (v >= max) break;
  }
  return ticks;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function renderSvg(r: PortsReport, opts: { maxPanels: number; label: string; title: string }): string {
  const shown = r.hosts.slice(0, opts.maxPanels);
  const height = svgHeight(shown.length);
  const parts: string[] = [];
  parts.push('<?xml version="1.0" encoding="UTF-8"?>');
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<title>${esc(opts.title)}</title>`);
  parts.push(`<rect x="0" y="0" width="${SVG_WIDTH}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${MARGIN.left}" y="24" font-size="16" font-weight="bold">${esc(opts.title)}</text>`);
  const p = r.sizing.atPercentile;
  parts.push(`<text x="${MARGIN.left}" y="44" fill="#444">${esc(
    `samples every ${r.intervalMs / 1000} s from ${new Date(r.startMs).toISOString().replace('T', ' ').slice(0, 19)} UTC; `
    + `p${r.percentile} demand ${p.demand} ports: range ${p.range}, ${p.customers} customers per IPv4 address`,
  )}</text>`);
  if (shown.length === 0) parts.push(`<text x="${MARGIN.left}" y="${TOP + 40}">no bindings</text>`);
  shown.forEach(({ series }, i) => parts.push(panel(series, TOP + i * PANEL_HEIGHT, r, opts.label)));
  if (r.hosts.length > shown.length) {
    parts.push(`<text x="${MARGIN.left}" y="${height - 6}" fill="#444">${r.hosts.length - shown.length} more hosts not shown</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panel(s: HostSeries, y0: number, r: PortsReport, label: string): string {
  const x0 = MARGIN.left;
  const w = SVG_WIDTH - MARGIN.left - MARGIN.right;
  const top = y0 + MARGIN.top;
  const h = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const t0 = r.startMs;
  const span = Math.max(1, r.endMs - r.startMs);
  const ticks = niceTicks(Math.max(1, s.peak));
  const yMax = ticks[ticks.length - 1];
  const X = (t: number) => x0 + (Math.min(Math.max(t - t0, 0), span) / span) * w;
  const Y = (v: number) => top + h - (v / yMax) * h;
  const colors = categoryColors(s.categories);
  const out: string[] = [];
  out.push(`<g class="host" data-host="${esc(s.host)}">`);
  out.push(`<text x="${x0}" y="${y0 + 20}" font-weight="bold">${esc(`${s.host}: peak ${s.peak} at ${clock(s.peakMs)} UTC, ${s.bindings} bindings`)}</text>`);
  // y grid and labels
  for (const v of ticks) {
    out.push(`<line x1="${x0}" y1="${fmt(Y(v))}" x2="${x0 + w}" y2="${fmt(Y(v))}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${x0 - 6}" y="${fmt(Y(v) + 4)}" text-anchor="end">${v}</text>`);
  }
  out.push(`<text transform="translate(${x0 - 48} ${fmt(top + h / 2)}) rotate(-90)" text-anchor="middle" fill="#444">ports</text>`);
  // stacked areas, bottom-up in category order
  const n = s.times.length;
  const cum = new Array<number>(n).fill(0);
  s.categories.forEach((cat, c) => {
    const lower = cum.slice();
    for (let k = 0; k < n; k++) cum[k] += s.byCategory[c][k];
    if (s.byCategory[c].every((v) => v === 0)) return;
    // steps: a sample's count holds until the next sample (the last one until the end of the run)
    const upper: string[] = [];
    const base: string[] = [];
    for (let k = 0; k < n; k++) {
      const xa = fmt(X(s.times[k]));
      const xb = fmt(X(k + 1 < n ? s.times[k + 1] : Math.max(r.endMs, s.times[k] + r.intervalMs / 10)));
      upper.push(`${xa},${fmt(Y(cum[k]))}`, `${xb},${fmt(Y(cum[k]))}`);
      base.push(`${xa},${fmt(Y(lower[k]))}`, `${xb},${fmt(Y(lower[k]))}`);
    }
    const pts = [...upper, ...base.reverse()];
    out.push(`<polygon class="area" data-category="${esc(cat)}" points="${pts.join(' ')}" fill="${colors[c]}" stroke="none"/>`);
  });
  // exact peak
  out.push(`<line x1="${fmt(X(s.peakMs))}" y1="${fmt(Y(s.peak))}" x2="${fmt(X(s.peakMs))}" y2="${top + h}" stroke="#d00" stroke-dasharray="3 3"/>`);
  out.push(`<circle cx="${fmt(X(s.peakMs))}" cy="${fmt(Y(s.peak))}" r="3" fill="#d00"/>`);
  // axes
  out.push(`<line x1="${x0}" y1="${top + h}" x2="${x0 + w}" y2="${top + h}" stroke="#000"/>`);
  out.push(`<line x1="${x0}" y1="${top}" x2="${x0}" y2="${top + h}" stroke="#000"/>`);
  for (let i = 0; i <= 5; i++) {
    const t = t0 + (span * i) / 5;
    out.push(`<line x1="${fmt(X(t))}" y1="${top + h}" x2="${fmt(X(t))}" y2="${top + h + 4}" stroke="#000"/>`);
    out.push(`<text x="${fmt(X(t))}" y="${top + h + 16}" text-anchor="middle">${clock(t)}</text>`);
  }
  out.push(`<text x="${x0 + w / 2}" y="${top + h + 32}" text-anchor="middle" fill="#444">time (UTC)</text>`);
  // legend
  const lx = x0 + w + 16;
  out.push(`<text x="${lx}" y="${top + 4}" fill="#444">${esc(label)}</text>`);
  s.categories.forEach((cat, c) => {
    const ly = top + 14 + c * 18;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${colors[c]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 10}">${esc(cat)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}
