/**
 * Reading flow records back from the files `flowsig flows` writes:
 * `-o ndjson` (one JSON object per line) and `-o csv` (a header line of field
 * names, then one line per record). Names may be canonical or any alias of
 * the field registry; values are typed by the registry (numbers, addresses
 * in canonical text, booleans, enum words, sets), so a record read back is
 * the record that was written. Fields the registry does not know (a tag
 * whose tagger is not loaded) are kept as written.
 *
 * A record needs `stime` and `etime`; a missing `rec_id` is the record's
 * number in the file, a missing `duration` is etime − stime.
 *
 * Mistakes are reported as one line naming the file, line and column:
 *   flows.csv:12:31: packets: expected a number, found "12x"
 */
import { StringDecoder } from 'node:string_decoder';
import { closeSync, readSync } from 'node:fs';
import { InputError, openInput } from '../capture/types.js';
import { formatIp, parseIp } from './addr.js';
import { type FieldDef, lookupField } from './fields.js';
import type { FieldValue, FlowRecord } from './record.js';

export type FlowFileFormat = 'ndjson' | 'csv';

/** Bad text input: `FILE:LINE:COL: message`. An InputError, so the CLI reports it the same way (exit 2). */
export class TextInputError extends InputError {
  constructor(
    file: string,
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(file, undefined, message);
    this.name = 'TextInputError';
  }

  override describe(): string {
    return `${this.file}:${this.line}:${this.col}: ${this.message}`;
  }
}

/** ndjson when the text starts with `{`, csv when it starts with a field name; undefined otherwise. */
export function sniffFlowFormat(head: string): FlowFileFormat | undefined {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('{')) return 'ndjson';
  if (/^"?[A-Za-z_][A-Za-z0-9_-]*"?\s*[,\r\n]/.test(text)) return 'csv';
  return undefined;
}

// ------------------------------------------------------------------ values

type Convert = (text: unknown, fromCsv: boolean) => FieldValue | undefined | Error;

const wrong = (what: string, v: unknown) => new Error(`expected ${what}, found ${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v)}`);

function toNumber(v: unknown, fromCsv: boolean): number | Error {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (fromCsv && typeof v === 'string' && /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return wrong('a number', v);
}

function converter(def: FieldDef | undefined): Convert {
  if (!def) {
    // unknown to the registry: JSON as written; CSV numbers and booleans where the text is one
    return (v, fromCsv) => {
      if (!fromCsv || typeof v !== 'string') return v as FieldValue;
      if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
      if (v === 'true' || v === 'false') return v === 'true';
      return v;
    };
  }
  switch (def.type) {
    case 'int':
    case 'time':
    case 'duration':
      return (v, fromCsv) => toNumber(v, fromCsv);
    case 'ip':
      return (v) => {
        if (typeof v !== 'string') return wrong('an IP address', v);
        return canonicalAddress(v) ?? wrong('an IP address', v);
      };
    case 'bool':
      return (v, fromCsv) => {
        if (typeof v === 'boolean') return v;
        if (fromCsv && (v === 'true' || v === '1')) return true;
        if (fromCsv && (v === 'false' || v === '0')) return false;
        return wrong('true or false', v);
      };
    case 'enum':
      return (v) => {
        if (typeof v !== 'string') return wrong('a word', v);
        if (def.values && !def.values.includes(v)) return new Error(`expected one of ${def.values.join(', ')}, found ${JSON.stringify(v)}`);
        return v;
      };
    case 'string':
      return (v, fromCsv) => (typeof v === 'string' ? v : fromCsv ? String(v) : wrong('text', v));
    case 'set':
      return (v, fromCsv) => {
        if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v as (string | number)[];
        if (fromCsv && typeof v === 'string') return v.split(';').map((x) => (/^-?\d+$/.test(x) ? Number(x) : x));
        return wrong('a list', v);
      };
  }
}

const ADDRESS_CACHE_LIMIT = 65_536;
let addressCache = new Map<string, string | null>();

/** The meter's text for an address (records repeat addresses: cached), or undefined. */
function canonicalAddress(text: string): string | undefined {
  let c = addressCache.get(text);
  if (c === undefined) {
    const bytes = parseIp(text);
    c = bytes ? formatIp(bytes, 0, bytes.length === 4 ? 4 : 6) : null;
    if (addressCache.size >= ADDRESS_CACHE_LIMIT) addressCache = new Map();
    addressCache.set(text, c);
  }
  return c ?? undefined;
}

interface Column {
  name: string;
  convert: Convert;
}

const columns = new Map<string, Column>();

function columnOf(written: string): Column {
  let c = columns.get(written);
  if (!c) {
    const def = lookupField(written);
    c = { name: def?.name ?? written, convert: converter(def) };
    // a field unknown now may be registered by a tagger later: remember known fields only
    if (def) columns.set(written, c);
  }
  return c;
}

// ------------------------------------------------------------------ parsers

export interface FlowFileParser {
  /** a piece of text; lines may be cut anywhere */
  push(text: string): void;
  end(): void;
  /** records delivered so far */
  readonly records: number;
}

/** A push parser for one flow file. Throws TextInputError at the first bad line, after the records before it were delivered. */
export function createFlowFileParser(file: string, format: FlowFileFormat, onRecord: (rec: FlowRecord) => void): FlowFileParser {
  let carry = '';
  let lineNo = 0;
  let count = 0;
  let header: { col: number; column: Column }[] | undefined;
  /** a CSV record whose quoted cell spans lines */
  let pendingCsv: { text: string; line: number } | undefined;

  const fail = (line: number, col: number, message: string): never => {
    throw new TextInputError(file, line, col, message);
  };

  function finish(rec: Record<string, unknown>, line: number): void {
    if (typeof rec.stime !== 'number') fail(line, 1, 'the record has no stime');
    if (typeof rec.etime !== 'number') fail(line, 1, 'the record has no etime');
    count++;
    if (rec.rec_id === undefined) rec.rec_id = count;
    if (rec.duration === undefined) rec.duration = (rec.etime as number) - (rec.stime as number);
    onRecord(rec as FlowRecord);
  }

  function ndjsonLine(line: string, n: number): void {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      const at = /position (\d+)/.exec((err as Error).message);
      const message = (err as Error).message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected/, 'unexpected');
      fail(n, at ? Number(at[1]) + 1 : 1, `not JSON: ${message}`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return fail(n, 1, 'expected a JSON object (one flow record per line)');
    const rec: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj as Record<string, unknown>)) {
      if (value === null) continue;
      const col = columnOf(key);
      const v = col.convert(value, false);
      if (v instanceof Error) fail(n, valueColumn(line, key), `${key}: ${v.message}`);
      rec[col.name] = v;
    }
    finish(rec, n);
  }

  function csvLine(text: string, n: number): void {
    const cells = splitCsv(text);
    if (cells === undefined) {
      pendingCsv = { text, line: n };
      return;
    }
    if (!header) {
      const seen = new Set<string>();
      header = cells.map((c) => {
        if (c.text === '') fail(n, c.col, 'empty column name in the header');
        const column = columnOf(c.text);
        if (seen.has(column.name)) fail(n, c.col, `column ${c.text} appears twice`);
        seen.add(column.name);
        return { col: c.col, column };
      });
      return;
    }
    if (cells.length !== header.length) {
      const col = cells.length > header.length ? cells[header.length].col : text.length + 1;
      fail(n, col, `expected ${header.length} cells as in the header, found ${cells.length}`);
    }
    const rec: Record<string, unknown> = {};
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i];
      if (cell.text === '') continue;
      const { column } = header[i];
      const v = column.convert(cell.text, true);
      if (v instanceof Error) fail(n, cell.col, `${column.name}: ${v.message}`);
      rec[column.name] = v;
    }
    finish(rec, n);
  }

  function line(raw: string): void {
    lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (pendingCsv) {
      const joined = `${pendingCsv.text}\n${text}`;
      const start = pendingCsv.line;
      pendingCsv = undefined;
      csvLine(joined, start);
      return;
    }
    if (text.trim() === '') return;
    if (format === 'ndjson') ndjsonLine(text, lineNo);
    else csvLine(text, lineNo);
  }

  return {
    push(text: string) {
      let start = 0;
      let nl = text.indexOf('\n');
      if (nl >= 0 && carry !== '') {
        line(carry + text.slice(0, nl));
        carry = '';
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      while (nl >= 0) {
        line(text.slice(start, nl));
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      carry += text.slice(start);
    },
    end() {
      if (carry !== '') {
        line(carry);
        carry = '';
      }
      if (pendingCsv) fail(pendingCsv.line, 1, 'a quoted cell is not closed before the end of the file');
      if (format === 'csv' && !header) fail(1, 1, 'empty file, expected a header line of field names');
    },
    get records() {
      return count;
    },
  };
}

/** The column of `key`'s value in a JSON line (1-based; the key's own column when not found). */
function valueColumn(line: string, key: string): number {
  const at = line.indexOf(JSON.stringify(key));
  if (at < 0) return 1;
  const m = /^\s*:\s*/.exec(line.slice(at + JSON.stringify(key).length));
  return m ? at + JSON.stringify(key).length + m[0].length + 1 : at + 1;
}

/** CSV cells of one record with their columns (1-based); undefined when a quoted cell is still open. */
function splitCsv(text: string): { text: string; col: number }[] | undefined {
  const cells: { text: string; col: number }[] = [];
  let i = 0;
  for (;;) {
    const col = i + 1;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      cells.push({ text: value, col });
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      cells.push({ text: text.slice(i, end), col });
      i = end;
    }
    if (i >= text.length) return cells;
    // a comma (or junk after a closing quote, which we take as part of the record's end)
    if (text[i] !== ',') return cells;
    i++;
    if (i === text.length) {
      cells.push({ text: '', col: i + 1 });
      return cells;
    }
  }
}

// ------------------------------------------------------------------ files

const CHUNK = 1024 * 1024;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Reads an fd to its end in chunks (files, pipes, standard input); `onChunk` may keep nothing of the buffer. */
export function readChunks(fd: number, onChunk: (chunk: Buffer) => void, chunk: Buffer = Buffer.allocUnsafe(CHUNK)): void {
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        Atomics.wait(sleeper, 0, 0, 5);
        continue;
      }
      if (code === 'EOF') return;
      throw err;
    }
    if (n === 0) return;
    onChunk(n === chunk.length ? chunk : chunk.subarray(0, n));
  }
}

/** Feeds bytes (UTF-8) of a flow file to a parser. */
export function flowFileSink(parser: FlowFileParser): { push(bytes: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let first = true;
  return {
    push(bytes) {
      let text = decoder.write(bytes);
      if (first && text.length > 0) {
        text = text.replace(/^\uFEFF/, '');
        first = false;
      }
      parser.push(text);
    },
    end() {
      parser.push(decoder.end());
      parser.end();
    },
  };
}

/** Reads a whole flow file (ndjson or csv, told by its first characters; `-` is standard input). */
export function readFlowFile(path: string, onRecord: (rec: FlowRecord) => void): { format: FlowFileFormat; records: number } {
  const fd = path === '-' ? 0 : openInput(path);
  try {
    let parser: FlowFileParser | undefined;
    let sink: ReturnType<typeof flowFileSink> | undefined;
    let format: FlowFileFormat | undefined;
    readChunks(fd, (chunk) => {
      if (!sink) {
        format = sniffFlowFormat(chunk.toString('utf8', 0, Math.min(chunk.length, 4096)));
        if (!format) throw new TextInputError(path, 1, 1, 'not a flow file: expected ndjson (`{…}` per line) or csv (a header of field names)');
        parser = createFlowFileParser(path, format, onRecord);
        sink = flowFileSink(parser);
      }
      sink.push(chunk);
    });
    if (!sink || !parser || !format) throw new TextInputError(path, 1, 1, 'empty file, expected flow records');
    sink.end();
    return { format, records: parser.records };
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

