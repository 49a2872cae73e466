/**
 * The output thread of src/report/threaded.ts: takes raw records from the
 * ring, writes each line's head (the base fields) straight from the raw
 * record (rawwriter.ts) and its tail (the tag fields) straight from the
 * encoded tag bytes (tagcodec.ts createTagTailWriter) — or, for an
 * untagged flow, the tail's constant text — and writes the text out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lookupField, type FieldDef } from '../flow/fields.js';
import { createAddrTextCache, createRecordMaker } from '../flow/raw.js';
import '../tag/index.js'; // registers the tag fields
import { openOutputFd, OutputError } from './output.js';
import { RAW_HEAD_MAX, rawHeadWriter } from './rawwriter.js';
import { RingConsumer } from './ring.js';
import { createTagTailWriter } from './tagcodec.js';
import { MSG_RAW, msgTailLengthAt, type WorkerSetup } from './threaded.js';
import { csvHeader, emptyTailText, linePartWriter } from './writers.js';

const setup = workerData as WorkerSetup;
const ring = new RingConsumer(setup);
try {
  run();
} catch (err) {
  // the metering thread must not wait for room that will never come; it learns the error at the end
  ring.close();
  // a failed write (full disk) is the user's to fix: its message, not a stack trace
  if (err instanceof OutputError) parentPort!.postMessage({ outputError: err.message });
  else throw err;
}

function run(): void {
  const fields: FieldDef[] = setup.fields.map((name) => lookupField(name)!);
  const firstTag = fields.findIndex((f) => f.group === 'tag');
  const headFields = firstTag < 0 ? fields : fields.slice(0, firstTag);
  const tailFields = firstTag < 0 ? [] : fields.slice(firstTag);
  const biflow = setup.fields.includes('rev_packets');
  const tail = createTagTailWriter(setup.format, tailFields);
  const untaggedTail = Buffer.from(emptyTailText(setup.format, tailFields), 'latin1');
  const out = openOutputFd(setup.fd, setup.name);
  const units = ring.units;
  const bytes = Buffer.from(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength);

  /** the head from the raw record when the raw writer knows every field; otherwise from a made record */
  const rawHead = rawHeadWriter(setup.format, headFields, biflow);
  const recordHead = linePartWriter(setup.format, headFields, 'head');
  const makeRecord = createRecordMaker(createAddrTextCache(), { biflow });
  const writeHead = rawHead !== undefined
    ? (at: number): void => out.fill(RAW_HEAD_MAX, rawHead, units, at)
    : (at: number): void => recordHead(makeRecord(units, at), out);

  ring.started();
  if (setup.format === 'csv') out.write(csvHeader(fields));
  ring.run((at) => {
    writeHead(at + MSG_RAW);
    // the unit holding the tag bytes' length; the bytes follow it
    const tailAt = msgTailLengthAt(units, at);
    if (units[tailAt] === 0) out.copy(untaggedTail, 0, untaggedTail.length);
    else tail(bytes, (tailAt + 1) * 8, out);
    if (out.closed) ring.close();
  });
  out.end();
}
