/**
 * IPFIX (RFC 7011), NetFlow v9 (RFC 3954) and NetFlow v5 messages to flow records.
 *
 * The parser keeps templates per exporter (address, protocol version and observation domain / source
 * id), follows template withdrawal, reads options templates for sampling and system-init time, counts
 * sequence gaps, and maps elements back to registry fields (standard and RFC 5103 reverse elements,
 * and flowsig's enterprise elements under the configured PEN). Damage never throws: each problem is
 * counted by kind, reported through `onMalformed`, and parsing goes on with the next set (or the
 * next message), so valid records around the damage are kept.
 */
import { formatIp } from '../flow/addr.js';
import { END_REASONS as END_REASON_WORDS, type EndReason } from '../flow/fields.js';
import type { FlowRecord } from '../flow/record.js';
import { type ElementSpec, registrySpecs, VARIABLE_LENGTH } from './elements.js';
import { DEFAULT_PEN } from './encode.js';

export const MALFORMED_KINDS = [
  'short-message', 'bad-version', 'bad-length', 'set-overrun', 'bad-set-id', 'bad-template', 'unknown-template', 'short-record',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

const MALFORMED_TEXT: Record<MalformedKind, string> = {
  'short-message': 'message shorter than its header',
  'bad-version': 'not IPFIX (10), NetFlow v9 or v5',
  'bad-length': 'message length does not match the datagram',
  'set-overrun': 'set length runs past the message end or is below 4',
  'bad-set-id': 'reserved set id',
  'bad-template': 'malformed template record',
  'unknown-template': 'data set for a template not (yet) received',
  'short-record': 'record runs past the end of its set',
};

export function describeMalformed(kind: MalformedKind): string {
  return MALFORMED_TEXT[kind];
}

export interface Damage {
  kind: MalformedKind;
  /** byte offset in the message */
  offset: number;
  detail: string;
}

export interface ExporterStats {
  /** "address" (collector) or file name */
  address: string;
  version: number;
  /** observation domain (IPFIX), source id (v9), engine type·256 + id (v5) */
  domain: number;
  messages: number;
  records: number;
  optionsRecords: number;
  templates: number;
  withdrawals: number;
  sequenceGaps: number;
  /** records (IPFIX, v5) or messages (v9) the sequence numbers say went missing */
  lost: number;
  malformed: Partial<Record<MalformedKind, number>>;
  /** from options data: packet sampling interval, 0 when not announced */
  samplingInterval: number;
}

export interface ParserOptions {
  /** private enterprise number of flowsig's own elements (default 32473) */
  pen?: number;
  /** each problem; `first` is true the first time this exporter shows this kind */
  onMalformed?(exporter: ExporterStats, damage: Damage, first: boolean): void;
}

export interface MessageParser {
  /** Parses one message (a datagram, or one message of a file); returns the first damage found, if any. */
  parse(msg: Buffer, address: string, onRecord: (rec: FlowRecord) => void): Damage | undefined;
  exporters(): ExporterStats[];
  /** records produced so far (rec_id of the last one) */
  readonly records: number;
}

type Setter = (rec: FlowRecord, b: Buffer, o: number, n: number) => void;

interface DecodeField {
  length: number;
  set: Setter | undefined;
}

interface DecodeTemplate {
  fields: DecodeField[];
  /** smallest record, bytes (variable-length fields count one byte) */
  minLength: number;
  options: boolean;
  /** options templates: element ids of the non-scope fields (v9 scope types collide with element ids) */
  optionIds?: number[];
  scopeCount: number;
}

interface ExporterState {
  stats: ExporterStats;
  templates: Map<number, DecodeTemplate>;
  expected: number | undefined;
  lastSeq?: number;
  systemInitMs: number | undefined;
}

/**
 * What a record's elements say that needs the message header or other elements to resolve. One
 * object, reset per record: properties added to and deleted from the records themselves would push
 * V8 into slow dictionary objects.
 */
interface Pending {
  startUp: number;
  endUp: number;
  sysInit: number;
  endReasonCode: number;
  endReasonText: string | undefined;
}
const pending: Pending = { startUp: -1, endUp: -1, sysInit: -1, endReasonCode: -1, endReasonText: undefined };
function resetPending(): void {
  pending.startUp = -1;
  pending.endUp = -1;
  pending.sysInit = -1;
  pending.endReasonCode = -1;
  pending.endReasonText = undefined;
}

const UINT32 = 2 ** 32;
const END_REASONS_BY_CODE: Record<number, EndReason> = { 1: 'idle', 2: 'active', 3: 'fin', 4: 'eof', 5: 'cache' };

function readUint(b: Buffer, o: number, n: number): number {
  if (n === 8) return b.readUInt32BE(o) * UINT32 + b.readUInt32BE(o + 4);
  if (n <= 6) return b.readUIntBE(o, n);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[o + i];
  return v;
}

function readInt(b: Buffer, o: number, n: number): number {
  if (n === 8) return b.readInt32BE(o) * UINT32 + b.readUInt32BE(o + 4);
  if (n <= 6) return b.readIntBE(o, n);
  return readUint(b, o, n);
}

/** NTP-style dateTimeMicroseconds/Nanoseconds (RFC 7011 §6.1.9): seconds since 1900 + fraction */
const NTP_EPOCH_OFFSET_S = 2_208_988_800;
function readNtpMs(b: Buffer, o: number): number {
  return (b.readUInt32BE(o) - NTP_EPOCH_OFFSET_S) * 1000 + (b.readUInt32BE(o + 4) / UINT32) * 1000;
}

function registrySetter(s: ElementSpec, n: number): Setter | undefined {
  const name = s.field.name;
  switch (s.codec) {
    case 'uint':
      return n >= 1 && n <= 8 ? (r, b, o) => { r[name] = readUint(b, o, n); } : undefined;
    case 'int':
      return n >= 1 && n <= 8 ? (r, b, o) => { r[name] = readInt(b, o, n); } : undefined;
    case 'float':
      if (n === 8) return (r, b, o) => { r[name] = b.readDoubleBE(o); };
      return n === 4 ? (r, b, o) => { r[name] = b.readFloatBE(o); } : undefined;
    case 'ms':
      return n === 8 ? (r, b, o) => { r[name] = readUint(b, o, 8); } : undefined;
    case 'ip4':
      return n === 4 ? (r, b, o) => { r[name] = formatIp(b, o, 4); } : undefined;
    case 'ip6':
      return n === 16 ? (r, b, o) => { r[name] = formatIp(b, o, 6); } : undefined;
    case 'bool':
      return n === 1 ? (r, b, o) => { r[name] = b[o] === 1; } : undefined;
    case 'reason':
      return n === 1 ? (_r, b, o) => { pending.endReasonCode = b[o]; } : undefined;
    case 'string':
      if (name === 'endreason') return (_r, b, o, len) => { pending.endReasonText = b.toString('utf8', o, o + len); };
      return (r, b, o, len) => { r[name] = b.toString('utf8', o, o + len); };
    case 'set':
      return (r, b, o, len) => {
        const text = b.toString('utf8', o, o + len);
        r[name] = text === '' ? [] : text.split(';').map((x) => (/^-?\d+$/.test(x) ? Number(x) : x));
      };
  }
}

/** Standard elements other exporters use instead of ours: other time encodings, ICMP type/code. */
function timeSetter(id: number, n: number): Setter | undefined {
  switch (id) {
    case 150: // flowStartSeconds
      return n === 4 ? (r, b, o) => { r.stime = b.readUInt32BE(o) * 1000; } : undefined;
    case 151:
      return n === 4 ? (r, b, o) => { r.etime = b.readUInt32BE(o) * 1000; } : undefined;
    case 154: // flowStartMicroseconds
    case 156: // flowStartNanoseconds
      return n === 8 ? (r, b, o) => { r.stime = readNtpMs(b, o); } : undefined;
    case 155:
    case 157:
      return n === 8 ? (r, b, o) => { r.etime = readNtpMs(b, o); } : undefined;
    case 22: // flowStartSysUpTime (v9 FIRST_SWITCHED)
      return n === 4 ? (_r, b, o) => { pending.startUp = b.readUInt32BE(o); } : undefined;
    case 21: // flowEndSysUpTime (v9 LAST_SWITCHED)
      return n === 4 ? (_r, b, o) => { pending.endUp = b.readUInt32BE(o); } : undefined;
    case 160: // systemInitTimeMilliseconds
      return n === 8 ? (_r, b, o) => { pending.sysInit = readUint(b, o, 8); } : undefined;
    case 32: // icmpTypeCodeIPv4 (v9 ICMP_TYPE): type·256 + code, which flowsig keeps in dstport
    case 139: // icmpTypeCodeIPv6
      return n === 2 ? (r, b, o) => { r.dstport = b.readUInt16BE(o); } : undefined;
    default:
      return undefined;
  }
}

export function createMessageParser(opts: ParserOptions = {}): MessageParser {
  const specs = registrySpecs(opts.pen ?? DEFAULT_PEN);
  const exporters = new Map<string, ExporterState>();
  let recId = 0;

  function setterFor(enterprise: number, id: number, n: number): Setter | undefined {
    if (enterprise === 0) {
      const t = timeSetter(id, n);
      if (t) return t;
      if (id === 161) return undefined; // flowDurationMilliseconds: etime − stime
    }
    const s = specs.get(`${enterprise}:${id}`);
    return s ? registrySetter(s, n) : undefined;
  }

  function exporterFor(address: string, version: number, domain: number): ExporterState {
    const key = `${address}|${version}|${domain}`;
    let e = exporters.get(key);
    if (!e) {
      e = {
        stats: {
          address, version, domain, messages: 0, records: 0, optionsRecords: 0, templates: 0, withdrawals: 0,
          sequenceGaps: 0, lost: 0, malformed: {}, samplingInterval: 0,
        },
        templates: new Map(),
        expected: undefined,
        systemInitMs: undefined,
      };
      exporters.set(key, e);
    }
    return e;
  }

  /** the exporter of a message too damaged to say its domain */
  function damage(e: ExporterState, kind: MalformedKind, offset: number, detail: string, list: Damage[]): void {
    const first = e.stats.malformed[kind] === undefined;
    e.stats.malformed[kind] = (e.stats.malformed[kind] ?? 0) + 1;
    const d = { kind, offset, detail };
    list.push(d);
    opts.onMalformed?.(e.stats, d, first);
  }

  /**
   * `advance`: what the next message's number should add (undefined: unknown). `current`: the counts this
   * message could add under the post-increment reading some exporters use (softflowd 1.1.0 numbers an
   * IPFIX message with the data records sent *including* its own), accepted as in sequence too.
   */
  function sequence(e: ExporterState, seq: number, advance: number | undefined, current: number[] = []): void {
    const postIncrement = e.lastSeq !== undefined && current.some((n) => (e.lastSeq! + n) % UINT32 === seq);
    e.lastSeq = seq;
    if (e.expected !== undefined && seq !== e.expected && !postIncrement) {
      e.stats.sequenceGaps++;
      const missing = (seq - e.expected + UINT32) % UINT32;
      if (missing < UINT32 / 2) e.stats.lost += missing; // else: reordered or the exporter restarted
    }
    e.expected = advance === undefined ? undefined : (seq + advance) % UINT32;
  }

  function newRecord(): FlowRecord {
    return {
      rec_id: 0, stime: 0, etime: 0, duration: 0, ipver: 0, proto: 0, srcip: '', srcport: 0, dstip: '', dstport: 0,
      tos: 0, tcpflags: 0, packets: 0, bytes: 0, l2bytes: 0, input: 0, vlan: 0, tunnel: null, tun_srcip: null, tun_dstip: null,
      endreason: 'eof',
    };
  }

  /** Times relative to sysUptime, defaults, derived fields (from `pending`). */
  function finish(r: FlowRecord, e: ExporterState, uptimeBase: number | undefined): FlowRecord {
    const base = pending.sysInit >= 0 ? pending.sysInit : uptimeBase ?? e.systemInitMs;
    if (pending.startUp >= 0 && base !== undefined) r.stime = base + pending.startUp;
    if (pending.endUp >= 0 && base !== undefined) r.etime = base + pending.endUp;
    if (r.etime === 0) r.etime = r.stime;
    if (r.stime === 0) r.stime = r.etime;
    r.duration = r.etime - r.stime;
    if (r.ipver === 0) r.ipver = r.srcip.includes(':') ? 6 : 4;
    if (pending.endReasonText !== undefined && (END_REASON_WORDS as readonly string[]).includes(pending.endReasonText)) {
      // flowsig's own element: exact
      r.endreason = pending.endReasonText as EndReason;
    } else if (pending.endReasonCode >= 0) {
      const reason = END_REASONS_BY_CODE[pending.endReasonCode] ?? 'eof';
      r.endreason = reason === 'fin' && r.proto === 6 && ((r.tcpflags | (r.rev_tcpflags ?? 0)) & 4) !== 0 ? 'rst' : reason;
    }
    r.rec_id = ++recId;
    return r;
  }

  function parseTemplateSet(e: ExporterState, msg: Buffer, start: number, end: number, version: number, options: boolean, list: Damage[]): void {
    let o = start;
    const ipfix = version === 10;
    while (end - o >= 4) {
      const id = msg.readUInt16BE(o);
      const count = msg.readUInt16BE(o + 2);
      if (ipfix && count === 0) {
        // RFC 7011 §8.1: withdrawal of one template, or of all (id 2) / all options templates (id 3)
        if (id === 2 || id === 3) {
          for (const [tid, t] of e.templates) if (id === 2 || t.options) e.templates.delete(tid);
        } else e.templates.delete(id);
        e.stats.withdrawals++;
        o += 4;
        continue;
      }
      if (id < 256) {
        if (id === 0 && count === 0) break; // padding
        damage(e, 'bad-template', o, `template id ${id} is below 256`, list);
        return;
      }
      let p = o + 4;
      let fieldCount = count;
      let scopeCount = 0;
      if (options) {
        if (ipfix) {
          if (end - p < 2) { damage(e, 'bad-template', o, 'options template header cut short', list); return; }
          scopeCount = msg.readUInt16BE(p);
          p += 2;
          if (scopeCount === 0 || scopeCount > fieldCount) { damage(e, 'bad-template', o, `options template ${id}: scope count ${scopeCount} of ${fieldCount} fields`, list); return; }
        } else {
          // v9: option scope length and option length in bytes
          const scopeBytes = count;
          if (end - p < 2) { damage(e, 'bad-template', o, 'options template header cut short', list); return; }
          const optionBytes = msg.readUInt16BE(p);
          p += 2;
          if (scopeBytes % 4 !== 0 || optionBytes % 4 !== 0) { damage(e, 'bad-template', o, `options template ${id}: scope/option lengths ${scopeBytes}/${optionBytes} not multiples of 4`, list); return; }
          scopeCount = scopeBytes / 4;
          fieldCount = scopeCount + optionBytes / 4;
        }
      }
      const fields: DecodeField[] = [];
      const optionIds: number[] = [];
      let minLength = 0;
      let bad = '';
      for (let i = 0; i < fieldCount; i++) {
        if (end - p < 4) { bad = `template ${id}: field ${i + 1} of ${fieldCount} cut short`; break; }
        let fid = msg.readUInt16BE(p);
        const length = msg.readUInt16BE(p + 2);
        p += 4;
        let enterprise = 0;
        if (ipfix && fid & 0x8000) {
          if (end - p < 4) { bad = `template ${id}: enterprise number of field ${i + 1} cut short`; break; }
          enterprise = msg.readUInt32BE(p);
          p += 4;
          fid &= 0x7fff;
        }
        if (length === 0 || (length === VARIABLE_LENGTH && !ipfix)) { bad = `template ${id}: field ${fid} has length ${length}`; break; }
        const isScope = options && i < scopeCount;
        optionIds.push(isScope ? -1 : enterprise === 0 ? fid : -1);
        fields.push({ length, set: options ? undefined : setterFor(enterprise, fid, length) });
        minLength += length === VARIABLE_LENGTH ? 1 : length;
      }
      if (bad) {
        damage(e, 'bad-template', o, bad, list);
        return;
      }
      e.templates.set(id, { fields, minLength, options, optionIds: options ? optionIds : undefined, scopeCount });
      e.stats.templates++;
      o = p;
    }
  }

  function parseDataSet(
    e: ExporterState, msg: Buffer, start: number, end: number, t: DecodeTemplate, uptimeBase: number | undefined,
    onRecord: (rec: FlowRecord) => void, list: Damage[],
  ): number {
    let o = start;
    let n = 0;
    while (end - o >= t.minLength && t.minLength > 0) {
      const rec = newRecord();
      resetPending();
      let p = o;
      let ok = true;
      for (let i = 0; i < t.fields.length; i++) {
        const f = t.fields[i];
        let len = f.length;
        if (len === VARIABLE_LENGTH) {
          if (p >= end) { ok = false; break; }
          len = msg[p++];
          if (len === 255) {
            if (end - p < 2) { ok = false; break; }
            len = msg.readUInt16BE(p);
            p += 2;
          }
        }
        if (end - p < len) { ok = false; break; }
        if (t.options) readOption(e, t, i, msg, p, len);
        else if (f.set) f.set(rec, msg, p, len);
        p += len;
      }
      if (!ok) {
        damage(e, 'short-record', o, 'a variable-length field runs past the end of its set', list);
        break;
      }
      o = p;
      n++;
      if (t.options) e.stats.optionsRecords++;
      else {
        e.stats.records++;
        onRecord(finish(rec, e, uptimeBase));
      }
    }
    return n;
  }

  function readOption(e: ExporterState, t: DecodeTemplate, i: number, msg: Buffer, p: number, len: number): void {
    const id = t.optionIds![i];
    if ((id === 34 || id === 305) && len >= 1 && len <= 8) e.stats.samplingInterval = readUint(msg, p, len); // samplingInterval, samplingPacketInterval
    else if (id === 160 && len === 8) e.systemInitMs = readUint(msg, p, 8);
  }

  function parseV5(msg: Buffer, address: string, onRecord: (rec: FlowRecord) => void, list: Damage[]): void {
    const domain = msg.length >= 22 ? msg.readUInt16BE(20) : 0;
    const e = exporterFor(address, 5, domain);
    e.stats.messages++;
    if (msg.length < 24) {
      damage(e, 'short-message', 0, `${msg.length} bytes, a v5 header is 24`, list);
      return;
    }
    let count = msg.readUInt16BE(2);
    const uptime = msg.readUInt32BE(4);
    const nowMs = msg.readUInt32BE(8) * 1000 + Math.floor(msg.readUInt32BE(12) / 1_000_000);
    const base = nowMs - uptime;
    const interval = msg.readUInt16BE(22) & 0x3fff;
    if (interval > 0) e.stats.samplingInterval = interval;
    if (24 + count * 48 !== msg.length) {
      damage(e, 'bad-length', 2, `header says ${count} records (${24 + count * 48} bytes), the message has ${msg.length} bytes`, list);
      count = Math.min(count, Math.floor((msg.length - 24) / 48));
    }
    sequence(e, msg.readUInt32BE(16), msg.readUInt16BE(2));
    for (let i = 0; i < count; i++) {
      const o = 24 + i * 48;
      const r = newRecord();
      resetPending();
      r.srcip = formatIp(msg, o, 4);
      r.dstip = formatIp(msg, o + 4, 4);
      r.input = msg.readUInt16BE(o + 12);
      const output = msg.readUInt16BE(o + 14);
      if (output) r.output = output;
      r.packets = msg.readUInt32BE(o + 16);
      r.bytes = msg.readUInt32BE(o + 20);
      pending.startUp = msg.readUInt32BE(o + 24);
      pending.endUp = msg.readUInt32BE(o + 28);
      r.srcport = msg.readUInt16BE(o + 32);
      r.dstport = msg.readUInt16BE(o + 34);
      r.tcpflags = msg[o + 37];
      r.proto = msg[o + 38];
      r.tos = msg[o + 39];
      r.ipver = 4;
      e.stats.records++;
      onRecord(finish(r, e, base));
    }
  }

  function parse(msg: Buffer, address: string, onRecord: (rec: FlowRecord) => void): Damage | undefined {
    const list: Damage[] = [];
    const version = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
    if (version === 5) {
      parseV5(msg, address, onRecord, list);
      return list[0];
    }
    const ipfix = version === 10;
    const headerLength = ipfix ? 16 : 20;
    if (version !== 9 && version !== 10) {
      damage(exporterFor(address, version, 0), msg.length < 2 ? 'short-message' : 'bad-version', 0, msg.length < 2 ? `${msg.length} bytes` : `version ${version}`, list);
      return list[0];
    }
    const domain = msg.length >= headerLength ? msg.readUInt32BE(headerLength - 4) : 0;
    const e = exporterFor(address, version, domain);
    e.stats.messages++;
    if (msg.length < headerLength) {
      damage(e, 'short-message', 0, `${msg.length} bytes, the header is ${headerLength}`, list);
      return list[0];
    }
    let end = msg.length;
    let uptimeBase: number | undefined;
    let truncatedAt = 0; // IPFIX: the header promises more than the datagram holds (cut in transit)
    if (ipfix) {
      const length = msg.readUInt16BE(2);
      if (length > msg.length) truncatedAt = length;
      if (length !== msg.length) {
        damage(e, 'bad-length', 2, `header says ${length} bytes, the message has ${msg.length}`, list);
        if (length >= headerLength && length < msg.length) end = length;
      }
    } else {
      uptimeBase = msg.readUInt32BE(8) * 1000 - msg.readUInt32BE(4);
    }
    const seq = msg.readUInt32BE(ipfix ? 4 + 4 : 12);
    const flowsBefore = e.stats.records;
    let dataRecords = 0;
    let unknownData = false;
    let o = headerLength;
    while (end - o >= 4) {
      const setId = msg.readUInt16BE(o);
      const setLength = msg.readUInt16BE(o + 2);
      if (setLength < 4 || o + setLength > end) {
        damage(e, 'set-overrun', o, `set ${setId} of ${setLength} bytes at offset ${o}, the message ends at ${end}`, list);
        if (setLength < 4) break;
        // a set that ends where the header said the message ends was cut in transit: records before the
        // cut are good. Any other overrun means the length is wrong: nothing in the set is trusted.
        if (setId >= 256 && truncatedAt > 0 && o + setLength <= truncatedAt) {
          const t = e.templates.get(setId);
          if (t) dataRecords += parseDataSet(e, msg, o + 4, end, t, uptimeBase, onRecord, list);
        }
        unknownData = true;
        o = end;
        break;
      }
      const setEnd = o + setLength;
      const templateSet = ipfix ? 2 : 0;
      const optionsSet = ipfix ? 3 : 1;
      if (setId === templateSet || setId === optionsSet) parseTemplateSet(e, msg, o + 4, setEnd, version, setId === optionsSet, list);
      else if (setId >= 256) {
        const t = e.templates.get(setId);
        if (t) dataRecords += parseDataSet(e, msg, o + 4, setEnd, t, uptimeBase, onRecord, list);
        else {
          unknownData = true;
          damage(e, 'unknown-template', o, `data set for template ${setId}, which this exporter has not sent`, list);
        }
      } else damage(e, 'bad-set-id', o, `set id ${setId}`, list);
      o = setEnd;
    }
    if (end - o > 0 && ipfix) damage(e, 'set-overrun', o, `${end - o} bytes after the last set`, list);
    // IPFIX counts data records, v9 counts messages; records we could not read leave the next number unknown
    const flows = e.stats.records - flowsBefore;
    sequence(e, seq, ipfix ? (unknownData ? undefined : dataRecords) : 1, ipfix && !unknownData ? [dataRecords, flows] : []);
    return list[0];
  }

  return {
    parse,
    exporters: () => [...exporters.values()].map((e) => e.stats),
    get records() {
      return recId;
    },
  };
}
