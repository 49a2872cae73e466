/**
 * Flow-record writers: `table` for people, `csv` and `ndjson` for programs.
 * Column names and value formatting come from the field registry.
 */
import type { FieldDef } from '../flow/fields.js';
import type { FieldValue, FlowRecord } from '../flow/record.js';
import type { TextOutput } from './output.js';

export const OUTPUT_FORMATS = ['table', 'csv', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** binary flow-export formats (src/ipfix): written by an exporter, not a RecordWriter */
export const EXPORT_FORMATS = ['ipfix', 'netflow9', 'netflow5'] as const;

export interface RecordWriter {
  write(rec: FlowRecord): void;
  end(): void;
}

export function createRecordWriter(format: OutputFormat, fields: readonly FieldDef[], out: TextOutput): RecordWriter {
  switch (format) {
    case 'csv':
      return csvWriter(fields, out);
    case 'ndjson':
      return ndjsonWriter(fields, out);
    case 'table':
      return tableWriter(fields, out);
  }
}

/** Times and durations are printed in milliseconds with microsecond precision. */
export function roundMicro(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A field value as program-readable text (CSV cell, before quoting). */
export function valueText(def: FieldDef, v: FieldValue | undefined): string {
  if (v === null || v === undefined) return '';
  switch (def.type) {
    case 'time':
    case 'duration':
      return String(roundMicro(v as number));
    case 'set':
      return (v as readonly (string | number)[]).join(';');
    default:
      return String(v);
  }
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * CSV and NDJSON writers are compiled once per field list into one
 * straight-line function (rec, out) => void: a constant property read per
 * field and the right output call for its registry type. A generic loop
 * (`rec[f.name]`, a type switch per value) was the largest cost of `flows`
 * at a million records; this runs once per flow, so it matters.
 */
type CompiledWrite = (rec: FlowRecord, out: TextOutput, keys: readonly Uint8Array[], text: (def: FieldDef, v: FieldValue) => string, defs: readonly FieldDef[]) => void;

/** Code that writes the value in `v` of field number `i` (JSON spelling when `json`, CSV cell otherwise). */
function valueCode(def: FieldDef, i: number, json: boolean): string {
  const other = json ? 'out.write(JSON.stringify(v));' : `out.write(text(defs[${i}], v));`;
  switch (def.type) {
    case 'time':
    case 'duration':
      return `if (typeof v === 'number') out.micro(v); else ${other}`;
    case 'int':
      return `if (typeof v === 'number') out.number(v); else ${other}`;
    case 'ip':
    case 'enum':
      return json ? 'out.byte(34); out.ascii(v); out.byte(34);' : 'out.ascii(v);';
    default:
      return other;
  }
}

/**
 * Which part of a line a compiled writer writes: all of it, or — for the threaded writer, where the
 * base fields and the tag fields are written on different threads — its head (no end of line) or its
 * tail (the fields after the head, then the end of line).
 */
export type LinePart = 'whole' | 'head' | 'tail';

function compileWrite(fields: readonly FieldDef[], json: boolean, part: LinePart = 'whole'): CompiledWrite {
  const tail = part === 'tail';
  // a tail continues a JSON object that has fields already
  const lines: string[] = [`let v; let first = ${!tail};`];
  if (json && !tail) lines.push('out.byte(123);');
  fields.forEach((f, i) => {
    lines.push(`v = rec[${JSON.stringify(f.name)}];`);
    if (json) {
      lines.push(`if (v !== null && v !== undefined) { if (first) first = false; else out.byte(44); out.bytes(keys[${i}]); ${valueCode(f, i, true)} }`);
    } else {
      if (i > 0 || tail) lines.push('out.byte(44);');
      lines.push(`if (v !== null && v !== undefined) { ${valueCode(f, i, false)} }`);
    }
  });
  if (part !== 'head') {
    if (json) lines.push('out.byte(125);');
    lines.push('out.byte(10);');
  }
  return new Function('rec', 'out', 'keys', 'text', 'defs', lines.join('\n')) as CompiledWrite;
}

/** A compiled writer of `part` of a CSV or NDJSON line of `fields` (the CSV header is the caller's). */
export function linePartWriter(format: 'csv' | 'ndjson', fields: readonly FieldDef[], part: LinePart): (rec: FlowRecord, out: TextOutput) => void {
  const json = format === 'ndjson';
  const write = compileWrite(fields, json, part);
  const keys = json ? jsonKeys(fields) : [];
  const text = json ? () => '' : csvCellText;
  return (rec, out) => write(rec, out, keys, text, fields);
}

/**
 * A compiled writer of one value `v` (not null) of field `def`, as the line writers write it (without
 * its JSON key or CSV comma): for the threaded tail writer's values that are not plain text
 * (tagcodec.ts), so the formatting rules stay in valueCode alone.
 */
export function valueWriter(format: 'csv' | 'ndjson', def: FieldDef): (v: FieldValue, out: TextOutput) => void {
  const json = format === 'ndjson';
  const write = new Function('v', 'out', 'text', 'defs', valueCode(def, 0, json)) as (v: FieldValue, out: TextOutput, text: typeof csvCellText, defs: readonly FieldDef[]) => void;
  const defs = [def];
  return (v, out) => write(v, out, csvCellText, defs);
}

/** What linePartWriter(format, fields, 'tail') writes of a record without any of `fields`: the end of the line. */
export function emptyTailText(format: 'csv' | 'ndjson', fields: readonly FieldDef[]): string {
  return format === 'ndjson' ? '}\n' : `${','.repeat(fields.length)}\n`;
}

export function csvHeader(fields: readonly FieldDef[]): string {
  return `${fields.map((f) => f.name).join(',')}\n`;
}

const csvCellText = (def: FieldDef, v: FieldValue): string => csvCell(valueText(def, v));

function jsonKeys(fields: readonly FieldDef[]): Uint8Array[] {
  return fields.map((f) => Buffer.from(`${JSON.stringify(f.name)}:`, 'utf8'));
}

function csvWriter(fields: readonly FieldDef[], out: TextOutput): RecordWriter {
  const write = linePartWriter('csv', fields, 'whole');
  out.write(csvHeader(fields));
  return {
    write(rec) {
      write(rec, out);
    },
    end() {
      out.end();
    },
  };
}

function ndjsonWriter(fields: readonly FieldDef[], out: TextOutput): RecordWriter {
  const write = linePartWriter('ndjson', fields, 'whole');
  return {
    write(rec) {
      write(rec, out);
    },
    end() {
      out.end();
    },
  };
}


// ---- table ----

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMP6', 132: 'SCTP' };

export function protoName(p: number): string {
  return PROTO_NAMES[p] ?? String(p);
}

/** nfdump-style flag letters: C E U A P R S F, a dot where unset. */
export function tcpFlagText(flags: number): string {
  const letters = 'CEUAPRSF';
  let s = '';
  for (let bit = 7; bit >= 0; bit--) s += flags & (1 << bit) ? letters[7 - bit] : '.';
  return s;
}

export function humanCount(n: number): string {
  if (n < 1000) return String(n);
  const units = ['k', 'M', 'G', 'T', 'P'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  const d = new Date(whole);
  if (Number.isNaN(d.getTime())) return String(ms);
  const micro = Math.min(999, Math.round((ms - whole) * 1000));
  return `${d.toISOString().slice(0, 23).replace('T', ' ')}${String(micro).padStart(3, '0').slice(0, 3)}`;
}

function endpoint(ip: string, port: number, proto: number): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  if (proto === 1 || proto === 58) return host;
  return `${host}:${port}`;
}

interface Column {
  title: string;
  right: boolean;
  cell(rec: FlowRecord): string;
}

function tableColumns(fields: readonly FieldDef[]): Column[] {
  const has = (n: string) => fields.some((f) => f.name === n);
  const cols: Column[] = [
    { title: 'start (UTC)', right: false, cell: (r) => isoTime(r.stime) },
    { title: 'duration', right: true, cell: (r) => `${(r.duration / 1000).toFixed(3)}s` },
    { title: 'proto', right: false, cell: (r) => protoName(r.proto) },
    { title: 'source', right: true, cell: (r) => endpoint(r.srcip, r.srcport, r.proto) },
    { title: '', right: false, cell: () => (has('rev_packets') ? '<->' : '->') },
    {
      title: 'destination', right: false,
      cell: (r) => (r.proto === 1 || r.proto === 58 ? `${endpoint(r.dstip, 0, r.proto)} icmp ${r.dstport >> 8}/${r.dstport & 255}` : endpoint(r.dstip, r.dstport, r.proto)),
    },
    { title: 'packets', right: true, cell: (r) => humanCount(r.packets) },
    { title: 'bytes', right: true, cell: (r) => humanCount(r.bytes) },
  ];
  if (has('rev_packets')) {
    cols.push({ title: 'rev pkts', right: true, cell: (r) => humanCount(r.rev_packets ?? 0) });
    cols.push({ title: 'rev bytes', right: true, cell: (r) => humanCount(r.rev_bytes ?? 0) });
  }
  cols.push({ title: 'flags', right: false, cell: (r) => (r.proto === 6 ? tcpFlagText(r.tcpflags | (r.rev_tcpflags ?? 0)) : '') });
  cols.push({ title: 'end', right: false, cell: (r) => r.endreason });
  cols.push({
    title: 'notes', right: false,
    cell: (r) => [r.vlan ? `vlan ${r.vlan}` : '', r.tunnel ? `${r.tunnel} ${r.tun_srcip}->${r.tun_dstip}` : '', r.input ? `if ${r.input}` : '']
      .filter((x) => x !== '').join(', '),
  });
  return cols;
}

/**
 * The table is aligned over blocks of rows (widths grow, never shrink), so
 * output starts at once and memory stays bounded on long inputs.
 */
function tableWriter(fields: readonly FieldDef[], out: TextOutput): RecordWriter {
  const cols = tableColumns(fields);
  const widths = cols.map((c) => c.title.length);
  const BLOCK = 256;
  let rows: string[][] = [];
  let headerDone = false;

  function line(cells: string[]): string {
    return cells.map((c, i) => (cols[i].right ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  }

  function flushRows(): void {
    for (const r of rows) r.forEach((c, i) => { if (c.length > widths[i]) widths[i] = c.length; });
    if (!headerDone) {
      out.write(`${line(cols.map((c) => c.title))}\n`);
      headerDone = true;
    }
    for (const r of rows) out.write(`${line(r)}\n`);
    rows = [];
  }

  return {
    write(rec) {
      rows.push(cols.map((c) => c.cell(rec)));
      if (rows.length >= BLOCK) flushRows();
    },
    end() {
      flushRows();
      out.end();
    },
  };
}
