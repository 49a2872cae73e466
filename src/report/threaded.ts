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
import { OutputError } from './output.js';
import { createRingBuffers, RingProducer } from './ring.js';
import { createTagEncoder } from './tagcodec.js';

/**
 * message: length unit, raw record (only the words it uses: rawUsedWords), tag bytes' length, tag
 * bytes (tagcodec.ts; padded to units). Short messages matter: every cache line of the ring the
 * metering thread writes was last read by the output thread, and has to come back across cores.
 */
export const MSG_RAW = 1;
/** the longest message without tag bytes */
const MSG_MAX_HEAD = MSG_RAW + RAW_WORDS + 1;

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
}

export interface ThreadedWriter extends RawRecordSink {
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
export function openThreadedWriter(format: 'csv' | 'ndjson', fields: readonly FieldDef[], fd: number, name: string): ThreadedWriter {
  const url = formatWorkerUrl();
  const firstTag = fields.findIndex((f) => f.group === 'tag');
  const tagFields = firstTag < 0 ? [] : fields.slice(firstTag);
  if (url === undefined) throw new Error('the output thread is not built (no format-worker.js)');
  if (tagFields.some((f) => f.group !== 'tag')) throw new Error('threaded output needs the tag fields last');

  const buffers = createRingBuffers(RING_BYTES);
  const ring = new RingProducer(buffers);
  const setup: WorkerSetup = { ...buffers, format, fields: fields.map((f) => f.name), fd, name };
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
    send(_at: number, rec: FlowRecord | undefined): void {
      let at = placed;
      const head = msgTailLengthAt(units, at) - at + 1;
      let n = head;
      let tailLength = 0;
      if (rec !== undefined) {
        tailLength = tags.encode(rec);
        n += (tailLength + 7) >>> 3;
        // the same place when the ring has room there; otherwise the record moves (after a wrap)
        const again = ring.reserve(n);
        if (again < 0) return;
        if (again !== at) units.copyWithin(again + MSG_RAW, at + MSG_RAW, at + head - 1);
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
    end(): Promise<void> {
      ring.finish();
      return exited;
    },
  };
}
