/**
 * CSV and NDJSON on a second thread. The metering thread copies each ended
 * flow's raw record (src/flow/raw.ts) into a shared ring (ring.ts); a worker
 * (format-worker.ts) makes the text and writes it. Formatting a record costs
 * about as much as metering the packets of its flow, so on two cores this
 * nearly halves the time of `flows -o ndjson|csv`. The output is byte for
 * byte what the one-thread writers make: the worker writes straight from the
 * raw record and the tag bytes (rawwriter.ts, tagcodec.ts), reading the raw
 * units as the record maker does (one table, raw.ts rawFieldReads) and
 * formatting with the record writers' rules (writers.ts valueCode, output.ts
 * put*); tests compare the two paths value kind by value kind.
 *
 * The meter writes each raw record straight into the ring. Tag fields (sets,
 * strings) are not raw numbers: for a tagged flow the metering thread
 * encodes them as bytes after the raw record (tagcodec.ts), and the worker
 * decodes and formats them with the writer of the line's tail (tag fields
 * come last in the registry's order).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FieldDef } from '../flow/fields.js';
import type { RawRecordSink } from '../flow/meter.js';
import { RAW_WORDS, rawUsedWords } from '../flow/raw.js';
import type { FlowRecord } from '../flow/record.js';
import type { PacketView } from '../decode/view.js';
import type { OffThreadEvents } from '../tag/offthread.js';
import { OutputError } from './output.js';
import { createRingBuffers, RingProducer } from './ring.js';
import { createTagEncoder } from './tagcodec.js';

/**
 * A record's message: length unit, the flow's slot number, raw record (only the words it uses:
 * rawUsedWords), tag bytes' length, tag bytes (tagcodec.ts; padded to units). Short messages matter:
 * every cache line of the ring the metering thread writes was last read by the output thread, and has
 * to come back across cores.
 *
 * With tags, two more kinds of message carry what the output thread's taggers need (src/tag/
 * offthread.ts), told apart by a negative second unit: MSG_BEGIN (a flow xlat may claim began: slot,
 * time, tunnel type + 16·IP version + 256·protocol, 65536·source port + destination port, then the
 * source and destination address bytes, 4 or 16 each) and MSG_CLAT (a CLAT host: byte length, UTF-8).
 */
export const MSG_FLOW = 1;
export const MSG_RAW = 2;
/** the longest message without tag bytes */
const MSG_MAX_HEAD = MSG_RAW + RAW_WORDS + 1;
export const MSG_BEGIN = -1;
export const MSG_CLAT = -2;
const BEGIN_ADDRS = 6;

/** where the tag bytes' length is in the message at `at` */
export function msgTailLengthAt(units: Float64Array, at: number): number {
  return at + MSG_RAW + rawUsedWords(units, at + MSG_RAW);
}

const RING_BYTES = 16 << 20;
/** tag bytes up to this many are copied into the ring by a loop */
const SHORT_COPY = 128;

export interface WorkerSetup {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  format: 'csv' | 'ndjson';
  /** every field of the line, in order (tag fields last) */
  fields: readonly string[];
  fd: number;
  /** the output's name for messages ("standard output", a path) */
  name: string;
  /** with tags: the NAT64 prefixes, for the nat64 and xlat tags the output thread sets */
  pref64?: readonly string[];
}

/** Reads a MSG_BEGIN message at `units[at]`: sets `view` and the addresses in `addrs` (source at 0, destination at 16); returns the time. */
export function readBegin(units: Float64Array, bytes: Uint8Array, at: number, view: PacketView, addrs: Uint8Array): number {
  const meta = units[at + 4], ports = units[at + 5];
  view.tunnelType = meta & 15;
  view.ipVersion = (meta >>> 4) & 15;
  view.proto = meta >>> 8;
  view.srcPort = Math.floor(ports / 65536);
  view.dstPort = ports % 65536;
  view.srcOff = 0;
  view.dstOff = 16;
  const from = (at + BEGIN_ADDRS) * 8, len = view.ipVersion === 6 ? 16 : 4;
  for (let i = 0; i < len; i++) {
    addrs[i] = bytes[from + i];
    addrs[16 + i] = bytes[from + len + i];
  }
  return units[at + 3];
}

/** The host of a MSG_CLAT message at `units[at]`. */
export function readClatHost(units: Float64Array, bytes: Uint8Array, at: number): string {
  const from = (at + 3) * 8;
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, units[at + 2]).toString('utf8');
}

export interface ThreadedWriter extends RawRecordSink, OffThreadEvents {
  /** all records are written and the worker is gone (rejects with the worker's error) */
  end(): Promise<void>;
}

/** The compiled worker, beside this module once built; undefined when running from sources (tests under vitest). */
export function formatWorkerUrl(): URL | undefined {
  const url = new URL('./format-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * A writer of `fields` (tag fields last, as meterFields orders them) as `format` to the open descriptor
 * `fd` named `name` (closed by the worker unless it is 1); the caller checked formatWorkerUrl(). `end`
 * rejects with an OutputError when writing failed (a full disk), with the worker's error otherwise.
 */
export function openThreadedWriter(format: 'csv' | 'ndjson', fields: readonly FieldDef[], fd: number, name: string, pref64?: readonly string[]): ThreadedWriter {
  const url = formatWorkerUrl();
  const firstTag = fields.findIndex((f) => f.group === 'tag');
  const tagFields = firstTag < 0 ? [] : fields.slice(firstTag);
  if (url === undefined) throw new Error('the output thread is not built (no format-worker.js)');
  if (tagFields.some((f) => f.group !== 'tag')) throw new Error('threaded output needs the tag fields last');

  const buffers = createRingBuffers(RING_BYTES);
  const ring = new RingProducer(buffers);
  const setup: WorkerSetup = { ...buffers, format, fields: fields.map((f) => f.name), fd, name, pref64 };
  const worker = new Worker(url, { workerData: setup });
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve, reject) => {
    worker.on('error', (err) => { failure = err; });
    // the worker's one-line report of a failed write (format-worker.ts)
    worker.on('message', (m: { outputError?: string }) => {
      if (m.outputError !== undefined) failure = new OutputError(m.outputError);
    });
    worker.on('exit', (code) => {
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(`the output thread stopped with exit code ${code}`));
      else resolve();
    });
  });
  const tags = createTagEncoder(tagFields);
  const units = ring.units;
  const bytes = ring.bytes;
  /** the reservation place() made */
  let placed = -1;

  return {
    units,
    place(): number {
      if (ring.closed) return -1;
      placed = ring.reserve(MSG_MAX_HEAD);
      return placed < 0 ? -1 : placed + MSG_RAW;
    },
    send(_at: number, rec: FlowRecord | undefined, flow: number): void {
      let at = placed;
      units[at + MSG_FLOW] = flow;
      const head = msgTailLengthAt(units, at) - at + 1;
      let n = head;
      let tailLength = 0;
      if (rec !== undefined) {
        tailLength = tags.encode(rec);
        n += (tailLength + 7) >>> 3;
        // the same place when the ring has room there; otherwise the record moves (after a wrap)
        const again = ring.reserve(n);
        if (again < 0) return;
        if (again !== at) units.copyWithin(again + MSG_FLOW, at + MSG_FLOW, at + head - 1);
        at = again;
        const src = tags.bytes, to = (at + head) * 8;
        // most tag bytes are a few dozen: a loop costs less than the native copy's call
        if (tailLength <= SHORT_COPY) for (let i = 0; i < tailLength; i++) bytes[to + i] = src[i];
        else src.copy(bytes, to, 0, tailLength);
      }
      units[at] = n;
      units[at + head - 1] = tailLength;
      ring.commit(at, n);
    },
    flowBegins(flow, view, buf, tsMs) {
      const len = view.ipVersion === 6 ? 16 : 4;
      // two addresses of `len` bytes: 2·len / 8 units (1 for IPv4, 4 for IPv6)
      const n = BEGIN_ADDRS + (len >>> 2);
      const at = ring.reserve(n);
      if (at < 0) return;
      units[at] = n;
      units[at + 1] = MSG_BEGIN;
      units[at + 2] = flow;
      units[at + 3] = tsMs;
      units[at + 4] = view.tunnelType | (view.ipVersion << 4) | (view.proto << 8);
      units[at + 5] = view.srcPort * 65536 + view.dstPort;
      const to = (at + BEGIN_ADDRS) * 8, src = view.srcOff, dst = view.dstOff;
      for (let i = 0; i < len; i++) {
        bytes[to + i] = buf[src + i];
        bytes[to + len + i] = buf[dst + i];
      }
      ring.commit(at, n);
    },
    clatHost(host) {
      const text = Buffer.from(host, 'utf8');
      const n = 3 + ((text.length + 7) >>> 3);
      const at = ring.reserve(n);
      if (at < 0) return;
      units[at] = n;
      units[at + 1] = MSG_CLAT;
      units[at + 2] = text.length;
      text.copy(bytes, (at + 3) * 8);
      ring.commit(at, n);
    },
    end(): Promise<void> {
      ring.finish();
      return exited;
    },
  };
}
