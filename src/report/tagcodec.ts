/**
 * Tag fields as bytes, for the output thread (threaded.ts): the metering
 * thread encodes the tag fields a tagger set (numbers, booleans, strings,
 * sets) in a few stores per value, and the worker decodes them into a record
 * and formats them — JSON and CSV text of sets and strings is the costly
 * part, and it belongs on the thread that has time.
 *
 * Layout: per present field, its index (one byte) and a value: a kind byte,
 * then NUMBER: float64 (8 bytes, little-endian); TRUE, FALSE, NULL: nothing;
 * STRING: uint32 byte length and UTF-8; LIST: uint32 count and that many
 * values. A 255 byte ends the fields.
 */
import type { FieldDef } from '../flow/fields.js';
import type { FieldValue, FlowRecord } from '../flow/record.js';
import type { FdOutput } from './output.js';
import { valueWriter } from './writers.js';

const NUMBER = 0;
const TRUE = 1;
const FALSE = 2;
const NULL = 3;
const STRING = 4;
const LIST = 5;
const ENUM = 6;
const END = 255;

/** Encodes a record's tag fields into `bytes` (grown as needed); returns the length. */
export interface TagEncoder {
  /**
   * `before`: the first `length` bytes there (encoded fields of lower index than any this encoder
   * writes, without the end byte) go first: the output thread adds the fields it sets itself (src/tag/
   * offthread.ts) after those the metering thread encoded.
   */
  encode(rec: FlowRecord, before?: Uint8Array, from?: number, length?: number): number;
  readonly bytes: Buffer;
}

/** An encoder of the fields `tagFields` (indexes as there), or of only those named in `only`. */
export function createTagEncoder(tagFields: readonly FieldDef[], only?: readonly string[]): TagEncoder {
  if (tagFields.length > 255) throw new Error('at most 255 tag fields can be encoded');
  const enums = tagFields.map((f) => f.values ?? []);
  let bytes = Buffer.allocUnsafe(1 << 16);
  const f64 = new Float64Array(1);
  const f64Bytes = new Uint8Array(f64.buffer);
  let pos = 0;

  function room(n: number): void {
    if (pos + n <= bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(bytes.length * 2, pos + n));
    bytes.copy(bigger, 0, 0, pos);
    bytes = bigger;
  }

  function u32(n: number): void {
    bytes[pos++] = n & 255;
    bytes[pos++] = (n >>> 8) & 255;
    bytes[pos++] = (n >>> 16) & 255;
    bytes[pos++] = n >>> 24;
  }

  function string(s: string): void {
    room(5 + s.length * 3);
    bytes[pos++] = STRING;
    const lengthAt = pos;
    pos += 4;
    // short ASCII strings (names, codes): a plain loop beats a native call
    let ascii = s.length <= 64;
    for (let i = 0; ascii && i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) ascii = false;
      else bytes[pos + i] = c;
    }
    const n = ascii ? s.length : bytes.write(s, pos, 'utf8');
    pos += n;
    const end = pos;
    pos = lengthAt;
    u32(n);
    pos = end;
  }

  function value(v: FieldValue): void {
    if (typeof v === 'string') return string(v);
    room(9);
    if (typeof v === 'number') {
      bytes[pos++] = NUMBER;
      f64[0] = v;
      for (let i = 0; i < 8; i++) bytes[pos++] = f64Bytes[i];
    } else if (typeof v === 'boolean') {
      bytes[pos++] = v ? TRUE : FALSE;
    } else if (v === null) {
      bytes[pos++] = NULL;
    } else {
      bytes[pos++] = LIST;
      u32(v.length);
      for (let i = 0; i < v.length; i++) value(v[i]);
    }
  }

  const helpers = {
    field(i: number, v: FieldValue): void {
      room(1);
      bytes[pos++] = i;
      value(v);
    },
    /** an enum value as its index (most tag values are enums and booleans: no string copied) */
    enumField(i: number, v: FieldValue): void {
      const k = typeof v === 'string' ? enums[i].indexOf(v) : -1;
      if (k < 0) return helpers.field(i, v);
      room(3);
      bytes[pos++] = i;
      bytes[pos++] = ENUM;
      bytes[pos++] = k;
    },
  };
  // one constant property read per field (the records share one shape)
  const body = tagFields.map((f, i) => (only !== undefined && !only.includes(f.name) ? '' : `v = rec[${JSON.stringify(f.name)}]; if (v !== undefined) h.${f.type === 'enum' ? 'enumField' : 'field'}(${i}, v);`)).join('\n');
  const encodeFields = new Function('rec', 'h', `let v;\n${body}`) as (rec: FlowRecord, h: typeof helpers) => void;

  return {
    encode(rec, before, from = 0, length = 0) {
      pos = 0;
      if (before !== undefined && length > 0) {
        room(length);
        for (let i = 0; i < length; i++) bytes[i] = before[from + i];
        pos = length;
      }
      encodeFields(rec, helpers);
      room(1);
      bytes[pos++] = END;
      return pos;
    },
    get bytes() {
      return bytes;
    },
  };
}

/** Reads one encoded value at a time (the decoder's and the tail writer's slow path). */
interface ValueReader {
  /** the value at `bytes[at]` of a field whose enum values are `values`; `end` is then where it ends */
  read(bytes: Buffer, at: number, values: readonly string[]): FieldValue;
  readonly end: number;
}

function createValueReader(): ValueReader {
  const f64 = new Float64Array(1);
  const f64Bytes = new Uint8Array(f64.buffer);
  let bytes: Buffer;
  let pos = 0;

  function u32(): number {
    const n = (bytes[pos] | (bytes[pos + 1] << 8) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 24)) >>> 0;
    pos += 4;
    return n;
  }

  function value(): FieldValue {
    const kind = bytes[pos++];
    switch (kind) {
      case NUMBER:
        for (let i = 0; i < 8; i++) f64Bytes[i] = bytes[pos++];
        return f64[0];
      case TRUE:
        return true;
      case FALSE:
        return false;
      case NULL:
        return null;
      case STRING: {
        const n = u32();
        pos += n;
        return bytes.toString('utf8', pos - n, pos);
      }
      case LIST: {
        const n = u32();
        const list: (string | number)[] = [];
        for (let i = 0; i < n; i++) list.push(value() as string | number);
        return list;
      }
      case ENUM:
        return values[bytes[pos++]];
      default:
        throw new Error(`tag codec: unknown value kind ${kind} at ${pos - 1}`);
    }
  }

  let values: readonly string[] = [];
  return {
    read(data, at, enumValues) {
      bytes = data;
      pos = at;
      values = enumValues;
      return value();
    },
    get end() {
      return pos;
    },
  };
}

/**
 * Decodes what a TagEncoder wrote at `bytes[start]` into one reused record holding only the tag fields
 * (the others undefined), for a compiled writer of the tag fields.
 */
export function createTagDecoder(tagFields: readonly FieldDef[]): (bytes: Buffer, start: number) => FlowRecord {
  const names = tagFields.map((f) => f.name);
  const enums = tagFields.map((f) => f.values ?? []);
  const body = `return { ${names.map((n) => `${JSON.stringify(n)}: undefined`).join(', ')} };`;
  const empty = new Function(body) as () => Record<string, FieldValue | undefined>;
  const rec = empty();
  const reset = new Function('rec', names.map((n) => `rec[${JSON.stringify(n)}] = undefined;`).join('\n')) as (r: typeof rec) => void;
  const reader = createValueReader();

  return (bytes, start) => {
    reset(rec);
    let pos = start;
    for (let i = bytes[pos++]; i !== END; i = bytes[pos++]) {
      rec[names[i]] = reader.read(bytes, pos, enums[i]);
      pos = reader.end;
    }
    return rec as FlowRecord;
  };
}

/**
 * A writer of a line's tail (the tag fields, then the end of the line) straight from what a TagEncoder
 * wrote: what linePartWriter(format, fields, 'tail') writes of the decoded record, without making the
 * record's strings and lists first. Most tag values are short plain ASCII words, names and lists of
 * them; their encoded bytes are already their text, so they are copied between quotes (JSON) or as
 * they are (CSV). Any other value — numbers of a field that is not an int or time, text with quotes,
 * commas, backslashes, controls or non-ASCII, lists of numbers — is decoded and written by the
 * record writer's code for its field (writers.ts valueWriter), so the rules live in one place.
 */
export function createTagTailWriter(format: 'csv' | 'ndjson', fields: readonly FieldDef[]): (bytes: Buffer, start: number, out: FdOutput) => void {
  const json = format === 'ndjson';
  const keys = fields.map((f) => Buffer.from(`,${JSON.stringify(f.name)}:`, 'utf8'));
  const slow = fields.map((f) => valueWriter(format, f));
  // the kinds of value whose text is known to be what the field's writer makes of it (see above)
  const plainString = fields.map((f) => json || (f.type !== 'time' && f.type !== 'duration' && f.type !== 'set'));
  const stringList = fields.map((f) => (json ? f.type !== 'ip' && f.type !== 'enum' : f.type === 'set'));
  const bool = fields.map((f) => f.type === 'bool' || f.type === 'string' || f.type === 'int');
  const numberType = fields.map((f) => (f.type === 'int' ? 1 : f.type === 'time' || f.type === 'duration' ? 2 : 0));
  const TRUE_TEXT = Buffer.from('true');
  const FALSE_TEXT = Buffer.from('false');
  const commas = Buffer.from(','.repeat(fields.length));
  const end = Buffer.from(json ? '}\n' : '\n');
  const reader = createValueReader();
  const f64 = new Float64Array(1);
  const f64Bytes = new Uint8Array(f64.buffer);
  const enums = fields.map((f) => f.values ?? []);
  // an enum value's text as the field's writer makes it: quoted in JSON, as it is in CSV (plain words)
  const enumText = enums.map((values) => values.map((v) => Buffer.from(json ? `"${v}"` : v, 'latin1')));

  /** the end of the plain string (no quote, comma, backslash, control, non-ASCII) at `at` (its kind byte), or -1 */
  function plainEnd(bytes: Buffer, at: number): number {
    if (bytes[at] !== STRING) return -1;
    const n = (bytes[at + 1] | (bytes[at + 2] << 8) | (bytes[at + 3] << 16) | (bytes[at + 4] << 24)) >>> 0;
    const to = at + 5 + n;
    for (let p = at + 5; p < to; p++) {
      const c = bytes[p];
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x2c || c === 0x5c) return -1;
    }
    return to;
  }

  return (bytes, start, out) => {
    let pos = start;
    let next = 0;
    for (let i = bytes[pos++]; i !== END; i = bytes[pos++]) {
      if (!json) {
        out.copy(commas, 0, i + 1 - next);
        next = i + 1;
      }
      const kind = bytes[pos];
      if (kind === NULL) {
        pos++;
        continue;
      }
      if (json) out.copy(keys[i], 0, keys[i].length);
      if (kind === STRING && plainString[i]) {
        const to = plainEnd(bytes, pos);
        if (to >= 0) {
          if (json) out.byte(34);
          out.copy(bytes, pos + 5, to);
          if (json) out.byte(34);
          pos = to;
          continue;
        }
      } else if (kind === LIST && stringList[i]) {
        const n = (bytes[pos + 1] | (bytes[pos + 2] << 8) | (bytes[pos + 3] << 16) | (bytes[pos + 4] << 24)) >>> 0;
        // check every element first: a list is written the fast way whole or not at all
        let to = pos + 5;
        for (let k = 0; k < n && to >= 0; k++) to = plainEnd(bytes, to);
        if (to >= 0) {
          if (json) out.byte(91);
          let p = pos + 5;
          for (let k = 0; k < n; k++) {
            const e = plainEnd(bytes, p);
            if (k > 0) out.byte(json ? 44 : 59);
            if (json) out.byte(34);
            out.copy(bytes, p + 5, e);
            if (json) out.byte(34);
            p = e;
          }
          if (json) out.byte(93);
          pos = to;
          continue;
        }
      } else if (kind === ENUM && fields[i].type === 'enum') {
        const text = enumText[i][bytes[pos + 1]];
        out.copy(text, 0, text.length);
        pos += 2;
        continue;
      } else if ((kind === TRUE || kind === FALSE) && bool[i]) {
        const text = kind === TRUE ? TRUE_TEXT : FALSE_TEXT;
        out.copy(text, 0, text.length);
        pos++;
        continue;
      } else if (kind === NUMBER && numberType[i] !== 0) {
        for (let k = 0; k < 8; k++) f64Bytes[k] = bytes[pos + 1 + k];
        if (numberType[i] === 1) out.number(f64[0]);
        else out.micro(f64[0]);
        pos += 9;
        continue;
      }
      slow[i](reader.read(bytes, pos, enums[i]), out);
      pos = reader.end;
    }
    if (!json) out.copy(commas, 0, fields.length - next);
    out.copy(end, 0, end.length);
  };
}
