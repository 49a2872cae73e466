/**
 * The output thread's writer of a line's head (the base fields) straight
 * from a raw record (src/flow/raw.ts): no FlowRecord is built, no string is
 * made for an address, and the whole head goes into the output buffer in
 * one call. Rebuilding a record and running the record writer on it cost
 * the worker about as much as formatting itself.
 *
 * The text is the same as writers.ts's compiled writers make of the record
 * createRecordMaker builds: the values are read with the same expressions
 * (raw.ts's rawFieldReads, one table for both), and formatted with the same
 * rules — JSON omits null fields, CSV leaves their cells empty; times with
 * putMicro, integers with putNumber (what TextOutput.micro/number run),
 * addresses and names as ASCII, quoted in JSON. Constant text (a comma, a
 * key, the quotes around an address) is folded into one copy per run.
 */
import { END_REASONS, type FieldDef } from '../flow/fields.js';
import { AddrCacheKeys, RAW_LOCALS, rawFieldReads, type RawFieldRead } from '../flow/raw.js';
import { TUNNEL_NAMES } from '../decode/view.js';
import { putMicro, putNumber } from './output.js';

/** Writes a line's head from the raw record at `raw[at]` into `buf` at `pos`; returns the new position. */
export type RawHeadWriter = (buf: Buffer, pos: number, raw: Float64Array, at: number) => number;

/** At most this many bytes per head (rawHeadWriter checks its fields fit). */
export const RAW_HEAD_MAX = 4096;

/** Writes the text of the address in `words[at..]` of IP version `ver` at `buf[pos]`; returns the new position. */
export type AddrPut = (words: ArrayLike<number>, at: number, ver: number, buf: Uint8Array, pos: number) => number;

/** formatted-address cache size − 1 (a power of two) */
const ADDR_CACHE_MASK = (1 << 16) - 1;
/** bytes per cached address: its length, then at most 39 characters (IPv6 with a dotted IPv4 tail: 45) */
const ADDR_SLOT = 48;

/**
 * Address text as cached bytes. Servers recur across many flows; a direct-mapped cache of their
 * text, copied byte by byte, saves formatting and making strings.
 */
export function createAddrPut(): AddrPut {
  const keys = new AddrCacheKeys(ADDR_CACHE_MASK + 1);
  const cacheText = new Uint8Array((ADDR_CACHE_MASK + 1) * ADDR_SLOT);
  return (words, at, ver, buf, pos) => {
    const t = keys.slotOf(words, at, ver) * ADDR_SLOT;
    if (cacheText[t] === 0 || !keys.holds()) {
      const text = keys.text();
      for (let i = 0; i < text.length; i++) cacheText[t + 1 + i] = text.charCodeAt(i);
      cacheText[t] = text.length;
      keys.remember();
    }
    const n = cacheText[t];
    for (let i = 1; i <= n; i++) buf[pos++] = cacheText[t + i];
    return pos;
  };
}

/** Whether this read can be written for this field with the record writer's rules for its type. */
function writable(r: RawFieldRead, def: FieldDef): boolean {
  switch (r.kind) {
    case 'number':
      return def.type === 'time' || def.type === 'duration' || def.type === 'int';
    case 'addr':
    case 'name':
      return def.type === 'ip' || def.type === 'enum';
  }
}

/**
 * A compiled writer of the head of a CSV or NDJSON line of `fields` (the base fields: what
 * linePartWriter(format, fields, 'head') writes of a made record), or undefined when a field is not one
 * it knows how to read from a raw record (then the caller makes records).
 */
export function rawHeadWriter(format: 'csv' | 'ndjson', fields: readonly FieldDef[], biflow: boolean): RawHeadWriter | undefined {
  // a value is at most 48 bytes (an address, or a number as String writes it), its key and quotes 4 more
  if (fields.reduce((n, f) => n + f.name.length + 52, 2) > RAW_HEAD_MAX) return undefined;
  const json = format === 'ndjson';
  const reads = new Map(rawFieldReads(biflow).map((r) => [r.name, r]));
  const lines: string[] = [RAW_LOCALS];
  /** constant text not yet written */
  let pending = '';
  const flush = (): void => {
    if (pending === '') return;
    // constant stores: no loads, no loop
    lines.push(`${[...pending].map((ch, i) => `buf[pos + ${i}] = ${ch.charCodeAt(0)};`).join(' ')} pos += ${pending.length};`);
    pending = '';
  };
  /** JSON: the comma before a field is constant while every earlier field is always present */
  let firstKnown: boolean | undefined = true;
  if (json) {
    pending = '{';
    lines.push('let first = true;');
  }
  for (const [i, def] of fields.entries()) {
    const r = reads.get(def.name);
    if (r === undefined) {
      // a field the raw record does not hold: undefined in a made record
      if (!json) pending += i > 0 ? ',' : '';
      continue;
    }
    if (!writable(r, def)) return undefined;
    if (!/^[\x20-\x7e]*$/.test(def.name)) return undefined;
    // the code of the value, and its constant text around it
    const quote = json && r.kind !== 'number' ? '"' : '';
    const value = (): void => {
      pending += quote;
      flush();
      if (r.kind === 'number') {
        lines.push(`pos = ${def.type === 'int' ? 'putNumber' : 'putMicro'}(buf, pos, ${r.code});`);
      } else if (r.kind === 'addr') {
        lines.push(`pos = addrPut(raw, at + ${r.words}, ${r.ver}, buf, pos);`);
      } else {
        const list = r.list === 'END_REASONS' ? END_REASONS : TUNNEL_NAMES;
        if (!list.every((w) => /^[\x20-\x7e]*$/.test(w))) throw new Error(`raw writer: ${r.list} is not ASCII`);
        lines.push(`{ const w = ${r.list}[${r.index}]; for (let i = 0; i < w.length; i++) buf[pos + i] = w.charCodeAt(i); pos += w.length; }`);
      }
      pending += quote;
    };
    if (!json) {
      if (i > 0) pending += ',';
      if (r.when === undefined) {
        value();
      } else {
        flush();
        lines.push(`if (${r.when}) {`);
        value();
        flush();
        lines.push('}');
      }
      continue;
    }
    const key = `${JSON.stringify(def.name)}:`;
    if (r.when === undefined && firstKnown !== undefined) {
      pending += (firstKnown ? '' : ',') + key;
      firstKnown = false;
      value();
      continue;
    }
    if (firstKnown === true) lines.push('first = true;');
    flush();
    lines.push(r.when === undefined ? '{' : `if (${r.when}) {`);
    if (firstKnown === false) {
      pending += `,${key}`;
    } else {
      lines.push('if (first) first = false; else buf[pos++] = 44;');
      pending += key;
    }
    value();
    flush();
    lines.push('}');
    // after a field that is always there no comma is first; after one that may be missing, the
    // comma is constant only if it was before
    if (r.when === undefined) firstKnown = false;
    else if (firstKnown !== false) firstKnown = undefined;
  }
  flush();
  lines.push('return pos;');
  const body = `return function writeHead(buf, pos, raw, at) {\n${lines.join('\n')}\n};`;
  return new Function('addrPut', 'putNumber', 'putMicro', 'END_REASONS', 'TUNNEL_NAMES', body)(
    createAddrPut(), putNumber, putMicro, END_REASONS, TUNNEL_NAMES) as RawHeadWriter;
}
