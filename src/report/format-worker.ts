/**
 * The output thread of src/report/threaded.ts: takes raw records from the
 * ring, rebuilds each as a FlowRecord, writes the line's head with the
 * compiled writer and its tail (the tag fields) from the decoded tag bytes
 * or, for an untagged flow, from an empty record, and writes the text out.
 */
import { workerData } from 'node:worker_threads';
import { lookupField, type FieldDef } from '../flow/fields.js';
import { createAddrTextCache, createRecordMaker } from '../flow/raw.js';
import type { FlowRecord } from '../flow/record.js';
import '../tag/index.js'; // registers the tag fields
import { openOutputFd } from './output.js';
import { RingConsumer } from './ring.js';
import { createTagDecoder } from './tagcodec.js';
import { MSG_RAW, MSG_TAIL, MSG_TAIL_LENGTH, type WorkerSetup } from './threaded.js';
import { csvHeader, linePartWriter } from './writers.js';

const setup = workerData as WorkerSetup;
const fields: FieldDef[] = setup.fields.map((name) => lookupField(name)!);
const firstTag = fields.findIndex((f) => f.group === 'tag');
const head = linePartWriter(setup.format, firstTag < 0 ? fields : fields.slice(0, firstTag), 'head');
const tail = linePartWriter(setup.format, firstTag < 0 ? [] : fields.slice(firstTag), 'tail');
const untagged = {} as FlowRecord;
const decodeTags = createTagDecoder(firstTag < 0 ? [] : fields.slice(firstTag));
const out = openOutputFd(setup.fd);
const ring = new RingConsumer(setup);
const makeRecord = createRecordMaker(createAddrTextCache(), { biflow: setup.fields.includes('rev_packets') });
const units = ring.units;
const bytes = Buffer.from(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength);

if (setup.format === 'csv') out.write(csvHeader(fields));
ring.run((at) => {
  head(makeRecord(units, at + MSG_RAW), out);
  tail(units[at + MSG_TAIL_LENGTH] === 0 ? untagged : decodeTags(bytes, (at + MSG_TAIL) * 8), out);
  if (out.closed) ring.close();
});
out.end();
