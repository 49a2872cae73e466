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
 * values; ENUM: one byte, the index of the value in the field's `values`.
 * A 255 byte ends the fields.
 */
import type { FieldDef } from '../flow/fields.js';
import type { FieldValue, FlowRecord } from '../flow/record.js';

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
  encode(rec: FlowRecord): number;
  readonly bytes: Buffer;
}

export function createTagEncoder(tagFields: readonly FieldDef[]): TagEncoder {
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
  const body = tagFields.map((f, i) => `v = rec[${JSON.stringify(f.name)}]; if (v !== undefined) h.${f.type === 'enum' ? 'enumField' : 'field'}(${i}, v);`).join('\n');
  const encodeFields = new Function('rec', 'h', `let v;\n${body}`) as (rec: FlowRecord, h: typeof helpers) => void;

  return {
    encode(rec) {
      pos = 0;
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
      default:
        throw new Error(`tag codec: unknown value kind ${kind} at ${pos - 1}`);
    }
  }

  return (data, start) => {
    reset(rec);
    bytes = data;
    pos = start;
    for (let i = bytes[pos++]; i !== END; i = bytes[pos++]) {
      if (bytes[pos] === ENUM) {
        rec[names[i]] = enums[i][bytes[pos + 1]];
        pos += 2;
      } else rec[names[i]] = value();
    }
    return rec as FlowRecord;
  };
}
