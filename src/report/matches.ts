/**
 * Writing NFQL matches (`flowsig query`).
 *
 *   table   per signature a heading, then per match one line (number, time
 *           span, hosts) and its member flows as the flows table; a
 *           filter-only signature prints its records as one table
 *   ndjson  one object per match:
 *           {"signature":…, "match":n, "stime":…, "etime":…, "hosts":[…], "flows":[…]}
 *           with the member flow records under canonical names (absent
 *           values omitted, times rounded to microseconds as `flows -o ndjson`)
 *
 * `groups`: each match shows its group records (branch, built-ins,
 * aggregates) instead of its flows; in ndjson under "groups" instead of "flows".
 */
import { allFields, type FieldDef } from '../flow/fields.js';
import type { FlowRecord } from '../flow/record.js';
import { groupRecord } from '../nfql/exec/group.js';
import type { QueryResult } from '../nfql/exec/run.js';
import type { Match } from '../nfql/exec/ungrouper.js';
import type { TextOutput } from './output.js';
import { createRecordWriter, roundMicro } from './writers.js';

export const MATCH_FORMATS = ['table', 'ndjson'] as const;
export type MatchFormat = (typeof MATCH_FORMATS)[number];

export interface MatchWriterOptions {
  format: MatchFormat;
  /** show group records instead of member flows */
  groups: boolean;
  /** the record fields in play (the flows table shows biflow columns when they are there) */
  fields: readonly FieldDef[];
}

export interface MatchWriter {
  write(result: QueryResult): void;
  end(): void;
}

export function createMatchWriter(out: TextOutput, opts: MatchWriterOptions): MatchWriter {
  return opts.format === 'ndjson' ? ndjsonMatches(out, opts) : tableMatches(out, opts);
}

// ------------------------------------------------------------------ ndjson

const TIME_FIELDS = new Set(allFields().filter((f) => f.type === 'time' || f.type === 'duration').map((f) => f.name));

/** A flow record as JSON: registry fields in registry order, then any others; absent values left out. */
export function recordJson(rec: FlowRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of allFields()) {
    const v = rec[f.name];
    if (v === null || v === undefined) continue;
    out[f.name] = TIME_FIELDS.has(f.name) ? roundMicro(v as number) : v;
  }
  for (const [k, v] of Object.entries(rec)) if (!(k in out) && v !== null && v !== undefined && !TIME_FIELDS.has(k)) out[k] = v;
  return out;
}

function groupJson(branch: string, g: Match['groups'][number]['group']): Record<string, unknown> {
  const rec = groupRecord(g, true);
  for (const k of ['stime', 'etime', 'duration']) rec[k] = roundMicro(rec[k] as number);
  return { branch, ...rec };
}

export function matchJson(m: Match, groups: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    signature: m.signature,
    match: m.match,
    stime: roundMicro(m.stime),
    etime: roundMicro(m.etime),
    hosts: m.hosts,
  };
  if (groups) out.groups = m.groups.map((g) => groupJson(g.branch, g.group));
  else out.flows = m.flows.map(recordJson);
  return out;
}

function ndjsonMatches(out: TextOutput, opts: MatchWriterOptions): MatchWriter {
  return {
    write(result) {
      for (const m of result.matches) {
        if (out.closed) return;
        out.write(`${JSON.stringify(matchJson(m, opts.groups))}\n`);
      }
    },
    end() {
      out.end();
    },
  };
}

// ------------------------------------------------------------------ table

/** `2012-06-01 10:00:05.000123` (UTC) */
export function utcTime(ms: number): string {
  // round once, on the whole value (as ndjson output does), so a time read back from a flow file prints the same
  const micros = Math.round(ms * 1000);
  const whole = Math.floor(micros / 1000);
  const d = new Date(whole);
  if (Number.isNaN(d.getTime())) return String(ms);
  return `${d.toISOString().slice(0, 23).replace('T', ' ')}${String(micros - whole * 1000).padStart(3, '0')}`;
}

/** `1m 5.000s`, `59.000s`, `0.250s` */
export function spanText(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(3)}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = (s % 60).toFixed(3);
  return h > 0 ? `${h}h ${m}m ${rest}s` : `${m}m ${rest}s`;
}

/** A TextOutput that collects text, for the flows table of one match. */
function collector(): TextOutput & { text(): string } {
  const parts: string[] = [];
  return {
    write(t: string) {
      parts.push(t);
    },
    ascii(t: string) {
      parts.push(t);
    },
    bytes(data: Uint8Array) {
      parts.push(Buffer.from(data).toString('latin1'));
    },
    byte(code: number) {
      parts.push(String.fromCharCode(code));
    },
    number(n: number) {
      parts.push(String(n));
    },
    micro(ms: number) {
      parts.push(String(roundMicro(ms)));
    },
    end() {},
    get closed() {
      return false;
    },
    text: () => parts.join(''),
  };
}

function flowsTable(records: readonly FlowRecord[], fields: readonly FieldDef[], indent: string): string {
  const c = collector();
  const w = createRecordWriter('table', fields, c);
  for (const r of records) w.write(r);
  w.end();
  return c
    .text()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `${indent}${l}\n`)
    .join('');
}

function valueText(v: unknown): string {
  if (Array.isArray(v)) return `{${v.join(', ')}}`;
  if (typeof v === 'number' && !Number.isInteger(v)) return String(roundMicro(v));
  return String(v);
}

function groupsTable(m: Match, indent: string): string {
  const rows = m.groups.map(({ branch, group }) => {
    const rec = groupRecord(group, true);
    const extra = Object.entries(rec)
      .filter(([k]) => !['stime', 'etime', 'duration', 'n', 'records'].includes(k))
      .map(([k, v]) => `${k}=${valueText(v)}`)
      .join('  ');
    return [branch, utcTime(group.stime), spanText(group.etime - group.stime), String(group.members.length), `{${(rec.records as number[]).join(', ')}}`, extra];
  });
  const head = ['branch', 'start (UTC)', 'duration', 'n', 'records', 'fields'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `${indent}${cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()}\n`;
  return [line(head), ...rows.map(line)].join('');
}

function tableMatches(out: TextOutput, opts: MatchWriterOptions): MatchWriter {
  let first = true;
  return {
    write(result) {
      const n = result.matches.length;
      const noun = result.kind === 'records' ? 'record' : result.kind === 'groups' ? 'group' : 'match';
      const plural = n === 1 ? noun : noun === 'match' ? 'matches' : `${noun}s`;
      out.write(`${first ? '' : '\n'}${result.signature}: ${n} ${plural}\n`);
      first = false;
      if (n === 0) return;
      if (result.kind === 'records' && !opts.groups) {
        out.write(flowsTable(result.matches.map((m) => m.flows[0]), opts.fields, '  '));
        return;
      }
      for (const m of result.matches) {
        if (out.closed) return;
        out.write(`\n${noun} ${m.match}  ${utcTime(m.stime)} → ${utcTime(m.etime)} (${spanText(m.etime - m.stime)})  hosts ${m.hosts.join(', ')}\n`);
        out.write(opts.groups ? groupsTable(m, '  ') : flowsTable(m.flows, opts.fields, '  '));
      }
    },
    end() {
      out.end();
    },
  };
}
