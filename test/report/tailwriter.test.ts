/**
 * The worker writes a line's tail straight from the encoded tag bytes (tagcodec.ts createTagTailWriter).
 * Its text must be what the record writer makes of the decoded record, for plain words and lists (the
 * fast copies) and for everything else (quotes, commas, backslashes, controls, non-ASCII, numbers and
 * booleans in fields of every type, null, empty lists): every kind of value in a field of every type.
 */
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FieldDef } from '../../src/flow/fields.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { openOutputFd } from '../../src/report/output.js';
import { createTagDecoder, createTagEncoder, createTagTailWriter } from '../../src/report/tagcodec.js';
import { linePartWriter } from '../../src/report/writers.js';

const TYPES = ['enum', 'ip', 'int', 'time', 'duration', 'bool', 'string', 'set'] as const;
// enum fields know two of the values below (sent as their index), the others travel as strings
const FIELDS = TYPES.flatMap((type) => [0, 1].map((k) => ({
  name: `t_${type}_${k}`, aliases: [], type, group: 'tag', description: '', values: type === 'enum' ? ['sip', 'nat64-v6'] : undefined,
}))) as unknown as FieldDef[];

const VALUES: unknown[] = [
  'sip', 'nat64-v6', '192.0.2.1', '2001:db8::1', '', 'a b', 'x'.repeat(300), 'with "quote"', 'with,comma', 'back\\slash', 'tab\there',
  'line\nbreak', 'Grüße', '日本', '~', '\x7f', 17, 0, -1, 1.5, 1718000000097.609, 2 ** 53, NaN, true, false, null,
  [], ['INVITE', 'ACK'], ['a,b', 'c'], ['say "hi"'], [200, 180], ['x', 5], ['é'], ['a;b', 'c'],
];

describe('the tag tail writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowsig-tailwriter-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // records: each value in each field, some with several fields, some with none
  const records: Record<string, unknown>[] = [{}];
  FIELDS.forEach((f, i) => {
    VALUES.forEach((v, k) => {
      const rec: Record<string, unknown> = { [f.name]: v };
      if (k % 3 === 0) rec[FIELDS[(i + 5) % FIELDS.length].name] = VALUES[(k + 7) % VALUES.length];
      if (k % 4 === 0) rec[FIELDS[(i + 11) % FIELDS.length].name] = VALUES[(k + 1) % VALUES.length];
      records.push(rec);
    });
  });

  for (const format of ['ndjson', 'csv'] as const) {
    it(`${format}: the record writer's bytes for every kind of value`, () => {
      const enc = createTagEncoder(FIELDS);
      const dec = createTagDecoder(FIELDS);
      const tail = createTagTailWriter(format, FIELDS);
      const recordTail = linePartWriter(format, FIELDS, 'tail');
      const viaBytes = join(dir, `${format}-bytes`);
      const viaRecord = join(dir, `${format}-record`);
      const a = openOutputFd(openSync(viaBytes, 'w'));
      const b = openOutputFd(openSync(viaRecord, 'w'));
      // only records the record writer can write: it fails on a list in an ip or enum field (ascii of a
      // list), on text in a CSV set field (join of a string); no tagger makes those
      const scratch = openOutputFd(openSync('/dev/null', 'w'));
      const writable = records.filter((rec) => {
        try {
          recordTail(dec(Buffer.from(enc.bytes.subarray(0, enc.encode(rec as FlowRecord))), 0), scratch);
          return true;
        } catch {
          return false;
        }
      });
      scratch.end();
      expect(writable.length).toBeGreaterThan(records.length * 0.7);
      for (const rec of writable) {
        const n = enc.encode(rec as FlowRecord);
        const bytes = Buffer.alloc(n + 3);
        enc.bytes.copy(bytes, 3, 0, n);
        tail(bytes, 3, a);
        recordTail(dec(bytes, 3), b);
      }
      a.end();
      b.end();
      const want = readFileSync(viaRecord, 'latin1');
      expect(want.length).toBeGreaterThan(records.length * 3);
      expect(readFileSync(viaBytes, 'latin1')).toBe(want);
    });
  }
});
