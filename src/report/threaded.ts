/**
 * CSV and NDJSON on a second thread. The metering thread copies each ended
 * flow's raw record (src/flow/raw.ts) into a shared ring (ring.ts); a worker
 * (format-worker.ts) makes the text and writes it. Formatting a record costs
 * about as much as metering the packets of its flow, so on two cores this
 * nearly halves the time of `flows -o ndjson|csv`. The output is byte for
 * byte what the one-thread writers make: the worker runs the same compiled
 * writer on a record rebuilt from the raw one.
 *
 * Tag fields (sets, strings) are not raw numbers: for a tagged flow the
 * metering thread writes the line's tail (the tag fields, which come last in
 * the registry's order) as text into the message, and the worker copies it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FieldDef } from '../flow/fields.js';
import type { RawRecordSink } from '../flow/meter.js';
import { RAW_WORDS } from '../flow/raw.js';
import type { FlowRecord } from '../flow/record.js';
import { memoryOutput } from './output.js';
import { createRingBuffers, RingProducer } from './ring.js';
import { linePartWriter } from './writers.js';

/** message: length unit, raw record, tail length in bytes, tail bytes (padded to units) */
export const MSG_RAW = 1;
export const MSG_TAIL_LENGTH = MSG_RAW + RAW_WORDS;
export const MSG_TAIL = MSG_TAIL_LENGTH + 1;

const RING_BYTES = 16 << 20;

export interface WorkerSetup {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  format: 'csv' | 'ndjson';
  /** every field of the line, in order (tag fields last) */
  fields: readonly string[];
  fd: number;
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
 * A writer of `fields` as `format` to the open descriptor `fd` (closed by the worker unless it is 1),
 * or undefined when it cannot be threaded: no compiled worker, or tag fields not last.
 */
export function openThreadedWriter(format: 'csv' | 'ndjson', fields: readonly FieldDef[], fd: number): ThreadedWriter | undefined {
  const url = formatWorkerUrl();
  const firstTag = fields.findIndex((f) => f.group === 'tag');
  const tagFields = firstTag < 0 ? [] : fields.slice(firstTag);
  if (url === undefined || tagFields.some((f) => f.group !== 'tag')) return undefined;

  const buffers = createRingBuffers(RING_BYTES);
  const ring = new RingProducer(buffers);
  const setup: WorkerSetup = { ...buffers, format, fields: fields.map((f) => f.name), fd };
  const worker = new Worker(url, { workerData: setup });
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve, reject) => {
    worker.on('error', (err) => { failure = err; });
    worker.on('exit', (code) => {
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(`the output thread stopped with exit code ${code}`));
      else resolve();
    });
  });
  const writeTail = linePartWriter(format, tagFields, 'tail');
  const tail = memoryOutput();
  const units = ring.units;
  const bytes = ring.bytes;

  return {
    flow(raw: Float64Array, tags: FlowRecord | undefined): void {
      if (ring.closed) return;
      let tailLength = 0;
      if (tags !== undefined) {
        writeTail(tags, tail);
        tailLength = tail.length;
      }
      const n = MSG_TAIL + ((tailLength + 7) >>> 3);
      const at = ring.reserve(n);
      if (at < 0) return;
      units[at] = n;
      for (let i = 0; i < RAW_WORDS; i++) units[at + MSG_RAW + i] = raw[i];
      units[at + MSG_TAIL_LENGTH] = tailLength;
      if (tailLength > 0) tail.take(bytes, (at + MSG_TAIL) * 8);
      ring.commit(at, n);
    },
    end(): Promise<void> {
      ring.finish();
      return exited;
    },
  };
}
