/**
 * Flow records to export messages: IPFIX (RFC 7011), NetFlow v9 (RFC 3954) and NetFlow v5.
 *
 * One exporter is one observation domain (IPFIX) / source id (v9) / engine (v5). Records are packed
 * into messages of at most `mtu` bytes; a message goes to `send` when the next record does not fit,
 * and on `flush()`. Templates are chosen per record from the fields it carries (an IPv4 flow without
 * tags and an IPv6 SIP flow use different templates), sent before their first use, and re-sent after
 * `templateRefreshPackets` messages or `templateRefreshMs` of record time. The exporter's clock is
 * record time (the largest flow end seen), so a capture file exports the same bytes on every run.
 */
import type { FieldDef } from '../flow/fields.js';
import type { FlowRecord } from '../flow/record.js';
import { parseIp } from '../flow/addr.js';
import { END_REASON_CODES, type ElementSpec, exportSpecs, VARIABLE_LENGTH } from './elements.js';

export const EXPORT_PROTOCOLS = ['ipfix', 'netflow9', 'netflow5'] as const;
export type ExportProtocol = (typeof EXPORT_PROTOCOLS)[number];

export const DEFAULT_MTU = 1400;
export const DEFAULT_PEN = 32473;
export const DEFAULT_TEMPLATE_REFRESH_MS = 60_000;
export const DEFAULT_TEMPLATE_REFRESH_PACKETS = 100;

export interface ExporterOptions {
  protocol: ExportProtocol;
  /** the record fields the source produces (meterFields(…)) */
  fields: readonly FieldDef[];
  /** observation domain id (IPFIX), source id (v9), engine type·256 + engine id (v5) */
  domain?: number;
  /** private enterprise number for flowsig's own elements (IPFIX only) */
  pen?: number;
  /** largest message, bytes (UDP payload) */
  mtu?: number;
  templateRefreshMs?: number;
  /** re-send templates after this many messages (0: never by count) */
  templateRefreshPackets?: number;
}

export interface ExporterStats {
  records: number;
  messages: number;
  bytes: number;
  /** v5 cannot carry IPv6: those records are counted here and not sent */
  skippedIpv6: number;
  templates: number;
}

export interface Exporter {
  add(rec: FlowRecord): void;
  /** send what is buffered as one message (end of input, live tick) */
  flush(): void;
  readonly stats: ExporterStats;
}

const IPFIX_HEADER = 16;
const V9_HEADER = 20;
const V5_HEADER = 24;
const V5_RECORD = 48;
const V5_MAX_RECORDS = 30;
const FIRST_TEMPLATE_ID = 256;
const DAY_MS = 86_400_000;
const UINT32 = 2 ** 32;
/** longest string or set element sent (longer ones are cut): keeps any record well inside one message */
export const MAX_STRING_BYTES = 2000;

/** v9 field types of the elements v9 can carry (RFC 3954 §8; times become sysUptime-relative 21/22). */
const V9_TYPES = new Set([1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 14, 27, 28, 58, 60]);
const V9_LAST_SWITCHED = 21;
const V9_FIRST_SWITCHED = 22;

interface Template {
  id: number;
  specs: ElementSpec[];
  /** v9 wire ids (times replaced) */
  wireIds: number[];
  wireLengths: number[];
  /** the template record as bytes */
  bytes: Buffer;
  sent: boolean;
}

export function createExporter(opts: ExporterOptions, send: (message: Buffer) => void): Exporter {
  const protocol = opts.protocol;
  const domain = (opts.domain ?? 0) >>> 0;
  const mtu = opts.mtu ?? DEFAULT_MTU;
  const refreshMs = opts.templateRefreshMs ?? DEFAULT_TEMPLATE_REFRESH_MS;
  const refreshPackets = opts.templateRefreshPackets ?? DEFAULT_TEMPLATE_REFRESH_PACKETS;
  const headerLength = protocol === 'ipfix' ? IPFIX_HEADER : protocol === 'netflow9' ? V9_HEADER : V5_HEADER;
  if (mtu < headerLength + 64) throw new RangeError(`MTU ${mtu} is too small (at least ${headerLength + 64} bytes)`);
  let specs = exportSpecs(opts.fields, opts.pen ?? DEFAULT_PEN);
  if (protocol === 'netflow9') specs = specs.filter((s) => s.enterprise === 0 && (V9_TYPES.has(s.id) || s.id === 152 || s.id === 153));
  const stats: ExporterStats = { records: 0, messages: 0, bytes: 0, skippedIpv6: 0, templates: 0 };

  // a message under construction; records that would not fit a minimal MTU still go out alone
  const buf = Buffer.alloc(65_535);
  const scratch = Buffer.alloc(65_535);
  let pos = headerLength;
  let setStart = -1;
  let setId = -1;
  let recordsInMessage = 0;
  let countInMessage = 0; // v9 header count: template and data records
  let sequence = 0; // IPFIX/v5: data records sent; v9: messages sent
  let clock = 0; // ms, largest etime seen
  let boot = Number.NaN; // v5/v9 sysUptime origin (ms)
  let lastRefresh = Number.NaN;
  let messagesSinceRefresh = 0;
  const templates = new Map<string, Template>();
  const templateList: Template[] = [];

  // which specs a record carries, as bits (up to 32 specs per mask): the template cache key
  const masks = new Int32Array(Math.ceil(specs.length / 32) + 1);

  function present(rec: FlowRecord, s: ElementSpec): boolean {
    const v = rec[s.field.name];
    if (v === null || v === undefined) return false;
    if (s.codec === 'ip4' || s.codec === 'ip6') return (v as string).includes(':') === (s.codec === 'ip6');
    return true;
  }

  function templateFor(rec: FlowRecord): Template {
    masks.fill(0);
    for (let i = 0; i < specs.length; i++) if (present(rec, specs[i])) masks[i >> 5] |= 1 << (i & 31);
    const key = masks.join(',');
    let t = templates.get(key);
    if (t === undefined) {
      if (templateList.length >= 0xffff - FIRST_TEMPLATE_ID) {
        // every id used (tens of thousands of tag combinations): start over; re-sent templates replace the old definitions
        templates.clear();
        templateList.length = 0;
      }
      t = makeTemplate(FIRST_TEMPLATE_ID + templateList.length, specs.filter((s) => present(rec, s)));
      templates.set(key, t);
      templateList.push(t);
      stats.templates++;
    }
    return t;
  }

  function makeTemplate(id: number, chosen: ElementSpec[]): Template {
    const wireIds: number[] = [];
    const wireLengths: number[] = [];
    for (const s of chosen) {
      if (protocol === 'netflow9' && (s.id === 152 || s.id === 153)) {
        wireIds.push(s.id === 152 ? V9_FIRST_SWITCHED : V9_LAST_SWITCHED);
        wireLengths.push(4);
      } else {
        wireIds.push(s.id);
        wireLengths.push(s.length);
      }
    }
    const b = Buffer.alloc(4 + chosen.length * 8);
    let o = b.writeUInt16BE(id, 0);
    o = b.writeUInt16BE(chosen.length, o);
    chosen.forEach((s, i) => {
      o = b.writeUInt16BE(wireIds[i] | (s.enterprise !== 0 ? 0x8000 : 0), o);
      o = b.writeUInt16BE(wireLengths[i], o);
      if (s.enterprise !== 0) o = b.writeUInt32BE(s.enterprise, o);
    });
    return { id, specs: chosen, wireIds, wireLengths, bytes: b.subarray(0, o), sent: false };
  }

  function closeSet(): void {
    if (setStart < 0) return;
    if (protocol === 'netflow9') while ((pos - setStart) % 4 !== 0) buf[pos++] = 0; // RFC 3954 §5.3: 32-bit alignment
    buf.writeUInt16BE(pos - setStart, setStart + 2);
    setStart = -1;
    setId = -1;
  }

  function openSet(id: number): void {
    closeSet();
    setStart = pos;
    setId = id;
    buf.writeUInt16BE(id, pos);
    pos += 4;
  }

  function uptimeBase(rec: FlowRecord): void {
    // v5/v9 times are ms since the exporter's "boot": pick one a day before the first flow and move it
    // (between messages) when a flow would fall outside the 32-bit window
    const start = Math.floor(rec.stime);
    const end = Math.floor(Math.max(clock, rec.etime));
    if (Number.isNaN(boot) || start < boot || end - boot >= UINT32 - DAY_MS) {
      if (recordsInMessage > 0) flush();
      boot = start - DAY_MS;
    }
  }

  function writeHeader(): void {
    const exportSecs = Math.floor(clock / 1000) >>> 0;
    if (protocol === 'ipfix') {
      buf.writeUInt16BE(10, 0);
      buf.writeUInt16BE(pos, 2);
      buf.writeUInt32BE(exportSecs, 4);
      buf.writeUInt32BE(sequence >>> 0, 8);
      buf.writeUInt32BE(domain, 12);
    } else if (protocol === 'netflow9') {
      buf.writeUInt16BE(9, 0);
      buf.writeUInt16BE(countInMessage, 2);
      buf.writeUInt32BE((exportSecs * 1000 - boot) >>> 0, 4);
      buf.writeUInt32BE(exportSecs, 8);
      buf.writeUInt32BE(sequence >>> 0, 12);
      buf.writeUInt32BE(domain, 16);
    } else {
      const now = Math.floor(clock);
      buf.writeUInt16BE(5, 0);
      buf.writeUInt16BE(recordsInMessage, 2);
      buf.writeUInt32BE((now - boot) >>> 0, 4);
      buf.writeUInt32BE(Math.floor(now / 1000) >>> 0, 8);
      buf.writeUInt32BE((now % 1000) * 1_000_000, 12);
      buf.writeUInt32BE(sequence >>> 0, 16);
      buf[20] = (domain >>> 8) & 0xff;
      buf[21] = domain & 0xff;
      buf.writeUInt16BE(0, 22);
    }
  }

  function flush(): void {
    closeSet();
    if (recordsInMessage === 0 && countInMessage === 0) return;
    writeHeader();
    const message = Buffer.from(buf.subarray(0, pos));
    if (protocol === 'netflow9') sequence++;
    else sequence += recordsInMessage;
    stats.messages++;
    stats.bytes += message.length;
    pos = headerLength;
    recordsInMessage = 0;
    countInMessage = 0;
    messagesSinceRefresh++;
    send(message);
  }

  function refreshDue(): void {
    if (Number.isNaN(lastRefresh)) lastRefresh = clock;
    if ((refreshPackets > 0 && messagesSinceRefresh >= refreshPackets) || clock - lastRefresh >= refreshMs) {
      for (const t of templateList) t.sent = false;
      messagesSinceRefresh = 0;
      lastRefresh = clock;
    }
  }

  function addV5(rec: FlowRecord): void {
    if (rec.srcip.includes(':') || rec.dstip.includes(':')) {
      stats.skippedIpv6++;
      return;
    }
    uptimeBase(rec);
    if (rec.etime > clock) clock = rec.etime;
    if (recordsInMessage >= V5_MAX_RECORDS || pos + V5_RECORD > mtu) flush();
    const o = pos;
    buf.fill(0, o, o + V5_RECORD);
    writeIp4(buf, o, rec.srcip);
    writeIp4(buf, o + 4, rec.dstip);
    buf.writeUInt16BE(rec.input & 0xffff, o + 12);
    buf.writeUInt16BE(((rec.output as number | undefined) ?? 0) & 0xffff, o + 14);
    buf.writeUInt32BE(Math.min(rec.packets, UINT32 - 1), o + 16);
    buf.writeUInt32BE(Math.min(rec.bytes, UINT32 - 1), o + 20);
    buf.writeUInt32BE((Math.floor(rec.stime) - boot) >>> 0, o + 24);
    buf.writeUInt32BE((Math.floor(rec.etime) - boot) >>> 0, o + 28);
    buf.writeUInt16BE(rec.srcport, o + 32);
    buf.writeUInt16BE(rec.dstport, o + 34);
    buf[o + 37] = rec.tcpflags & 0xff;
    buf[o + 38] = rec.proto;
    buf[o + 39] = rec.tos;
    pos += V5_RECORD;
    recordsInMessage++;
    stats.records++;
  }

  function add(rec: FlowRecord): void {
    if (protocol === 'netflow5') {
      addV5(rec);
      return;
    }
    if (protocol === 'netflow9') uptimeBase(rec);
    if (rec.etime > clock) clock = rec.etime;
    if (recordsInMessage === 0 && countInMessage === 0) refreshDue();
    const t = templateFor(rec);
    const length = encodeRecord(t, rec);
    // the record, a set header if it starts a set, its template set if due, and v9 padding (up to 3 bytes per set)
    const needed = length + (setId === t.id ? 0 : 4 + 3) + (t.sent ? 0 : 4 + t.bytes.length + 3);
    if (pos + needed > mtu && pos > headerLength) {
      flush();
      refreshDue();
    }
    if (!t.sent) {
      openSet(protocol === 'ipfix' ? 2 : 0);
      t.bytes.copy(buf, pos);
      pos += t.bytes.length;
      closeSet();
      t.sent = true;
      countInMessage++;
    }
    if (setId !== t.id) openSet(t.id);
    scratch.copy(buf, pos, 0, length);
    pos += length;
    recordsInMessage++;
    countInMessage++;
    stats.records++;
  }

  /** Writes the record's values into `scratch`; returns the length. */
  function encodeRecord(t: Template, rec: FlowRecord): number {
    let o = 0;
    const specsOf = t.specs;
    for (let i = 0; i < specsOf.length; i++) {
      const s = specsOf[i];
      const v = rec[s.field.name];
      if (protocol === 'netflow9' && (s.id === 152 || s.id === 153)) {
        o = scratch.writeUInt32BE((Math.floor(v as number) - boot) >>> 0, o);
        continue;
      }
      o = encodeValue(scratch, o, s, v as number | string | boolean | readonly (string | number)[]);
    }
    return o;
  }

  return { add, flush, stats };
}

function writeIp4(b: Buffer, o: number, text: string): void {
  const bytes = parseIp(text);
  if (bytes && bytes.length === 4) for (let i = 0; i < 4; i++) b[o + i] = bytes[i];
}

/** Writes one value with the spec's encoding at `o`; returns the offset after it. */
export function encodeValue(b: Buffer, o: number, s: ElementSpec, v: number | string | boolean | readonly (string | number)[]): number {
  switch (s.codec) {
    case 'uint':
    case 'ms': {
      const n = v as number;
      return writeUint(b, o, s.length, n >= 0 ? Math.floor(n) : 0);
    }
    case 'int': {
      const n = Math.trunc(v as number);
      const high = Math.floor(n / UINT32);
      b.writeInt32BE(high, o);
      b.writeUInt32BE(n - high * UINT32, o + 4);
      return o + 8;
    }
    case 'float':
      return b.writeDoubleBE(v as number, o);
    case 'ip4':
      return writeIpv4(b, o, v as string) ? o + 4 : writeIpBytes(b, o, 4, v as string);
    case 'ip6':
      return writeIpBytes(b, o, 16, v as string);
    case 'bool':
      b[o] = v ? 1 : 2;
      return o + 1;
    case 'reason':
      b[o] = END_REASON_CODES[v as string] ?? 0;
      return o + 1;
    case 'string':
    case 'set': {
      const text = s.codec === 'set' ? (v as readonly (string | number)[]).join(';') : String(v);
      const length = Math.min(Buffer.byteLength(text, 'utf8'), MAX_STRING_BYTES);
      if (length < 255) b[o++] = length;
      else {
        b[o++] = 255;
        o = b.writeUInt16BE(length, o);
      }
      // Buffer.write stops before a character that would not fit whole: pad what it left with zeros
      const written = b.write(text, o, length, 'utf8');
      if (written < length) b.fill(0, o + written, o + length);
      return o + length;
    }
  }
}

/** Any address text through the shared parser; zeros when it is not an address of that family. */
function writeIpBytes(b: Buffer, o: number, n: number, text: string): number {
  const bytes = parseIp(text);
  if (bytes && bytes.length === n) for (let i = 0; i < n; i++) b[o + i] = bytes[i];
  else b.fill(0, o, o + n);
  return o + n;
}

/** Dotted-quad text straight into the buffer (the hot path of every IPv4 record); false if it is not one. */
function writeIpv4(b: Buffer, o: number, text: string): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part === 3) return false;
      b[o + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + c - 48;
      digits++;
      if (value > 255) return false;
    } else return false;
  }
  if (part !== 3 || digits === 0) return false;
  b[o + 3] = value;
  return true;
}

export function writeUint(b: Buffer, o: number, length: number, n: number): number {
  switch (length) {
    case 1:
      b[o] = n > 255 ? 255 : n;
      return o + 1;
    case 2:
      if (n > 0xffff) n = 0xffff;
      b[o] = n >>> 8;
      b[o + 1] = n & 0xff;
      return o + 2;
    case 4:
      return b.writeUInt32BE(n > 0xffffffff ? 0xffffffff : n, o);
  }
  if (length === 8) {
    const high = Math.floor(n / UINT32);
    b.writeUInt32BE(high >>> 0, o);
    b.writeUInt32BE((n - high * UINT32) >>> 0, o + 4);
    return o + 8;
  }
  const max = 2 ** (8 * length) - 1;
  return b.writeUIntBE(Math.min(n, max), o, length);
}

export { VARIABLE_LENGTH };
