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
import { openOutputFd, OutputError } from './output.js';
import { RAW_HEAD_MAX, rawHeadWriter } from './rawwriter.js';
import { RingConsumer } from './ring.js';
import { createTagDecoder, createTagEncoder, createTagTailWriter } from './tagcodec.js';
import { MSG_BEGIN, MSG_CLAT, MSG_FLOW, MSG_RAW, msgTailLengthAt, readBegin, readClatHost, type WorkerSetup } from './threaded.js';
import { newPacketView } from '../decode/view.js';
import { parsePref64List } from '../tag/index.js';
import { createLateTagger, OFF_THREAD_FIELDS } from '../tag/offthread.js';
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

  const late = setup.pref64 !== undefined && tailFields.length > 0 ? lateTags(setup.pref64, tailFields) : undefined;

  ring.started();
  if (setup.format === 'csv') out.write(csvHeader(fields));
  ring.run((at) => {
    const flow = units[at + MSG_FLOW];
    if (flow < 0) {
      late!.event(at, flow);
      return;
    }
    writeHead(at + MSG_RAW);
    // the unit holding the tag bytes' length; the bytes follow it
    const tailAt = msgTailLengthAt(units, at);
    const tagLength = units[tailAt];
    if (late !== undefined && late.tail(flow, at + MSG_RAW, (tailAt + 1) * 8, tagLength)) {
      // written with the output thread's own tags
    } else if (tagLength === 0) out.copy(untaggedTail, 0, untaggedTail.length);
    else tail(bytes, (tailAt + 1) * 8, out);
    if (out.closed) ring.close();
  });
  out.end();

  /**
   * The nat64 and xlat tags (src/tag/offthread.ts): `event` takes the metering thread's MSG_BEGIN and
   * MSG_CLAT messages; `tail` writes the tail of a record that has those tags (false when it has none).
   */
  function lateTags(pref64: readonly string[], tagFields: readonly FieldDef[]) {
    const decode = createTagDecoder(tagFields);
    /** the tag bytes of the record being ended (start, length; 0: untagged) */
    let tagStart = 0, tagLength = 0;
    const tagger = createLateTagger(parsePref64List(pref64), () => (tagLength === 0 ? undefined : decode(bytes, tagStart)));
    const appended = createTagEncoder(tagFields, OFF_THREAD_FIELDS);
    const whole = createTagEncoder(tagFields);
    const view = newPacketView();
    const addrs = Buffer.alloc(32);
    return {
      event(at: number, kind: number): void {
        if (kind === MSG_BEGIN) {
          const ts = readBegin(units, bytes, at, view, addrs);
          tagger.begin(units[at + 2], view, addrs, ts);
        } else if (kind === MSG_CLAT) tagger.clatHost(readClatHost(units, bytes, at));
        else throw new Error(`output thread: unknown message kind ${kind}`);
      },
      tail(flow: number, rawAt: number, start: number, length: number): boolean {
        tagStart = start;
        tagLength = length;
        const rec = tagger.end(flow, units, rawAt);
        if (rec === undefined) return false;
        if (rec.literal !== undefined) {
          // xlat rewrote a field the metering thread encoded: the whole tail again
          const all = decode(bytes, start);
          all.sdp_ipv4_literal = rec.literal;
          for (const name of OFF_THREAD_FIELDS) all[name] = rec[name];
          whole.encode(all);
          tail(whole.bytes, 0, out);
        } else {
          // the metering thread's fields (without their end byte), then these
          appended.encode(rec, bytes, start, length > 0 ? length - 1 : 0);
          tail(appended.bytes, 0, out);
        }
        return true;
      },
    };
  }
}
