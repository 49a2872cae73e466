/**
 * The worker writes a line's head straight from the raw record (src/report/rawwriter.ts). Its text must
 * be what the record writer makes of the record createRecordMaker builds from the same raw record, for
 * every kind of value: IPv4, IPv6 (compressed, IPv4-mapped), tunnels (null fields), every end reason,
 * fractional and epoch times, large counters, and field lists with fields a raw record does not hold.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TUNNEL_NAMES } from '../../src/decode/view.js';
import { END_REASONS, lookupField, type FieldDef } from '../../src/flow/fields.js';
import {
  createAddrTextCache, createRecordMaker, newRawRecord, RAW_BYTES, RAW_DST, RAW_DSTPORT, RAW_ENDREASON, RAW_ETIME, RAW_INPUT,
  RAW_IPVER, RAW_L2BYTES, RAW_PACKETS, RAW_PROTO, RAW_REC_ID, RAW_REV_BYTES, RAW_REV_L2BYTES, RAW_REV_PACKETS, RAW_REV_TCPFLAGS,
  RAW_SRC, RAW_SRCPORT, RAW_STIME, RAW_TCPFLAGS, RAW_TOS, RAW_TUN_DST, RAW_TUN_IPVER, RAW_TUN_SRC, RAW_TUNNEL, RAW_VLAN, RAW_WORDS, RAW_BIFLOW, rawUsedWords,
} from '../../src/flow/raw.js';
import { openOutputFd } from '../../src/report/output.js';
import { RAW_HEAD_MAX, rawHeadWriter } from '../../src/report/rawwriter.js';
import { linePartWriter } from '../../src/report/writers.js';

const BASE = ['rec_id', 'stime', 'etime', 'duration', 'ipver', 'proto', 'srcip', 'srcport', 'dstip', 'dstport', 'tos', 'tcpflags',
  'packets', 'bytes', 'l2bytes', 'input', 'vlan', 'tunnel', 'tun_srcip', 'tun_dstip', 'endreason'];
const REV = ['rev_packets', 'rev_bytes', 'rev_l2bytes', 'rev_tcpflags'];

const V6 = [
  [0x20010db8, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0xffff, 0xc0000201], [0x20010db8, 0, 1, 0],
  [0x20010db8, 0x00000001, 0, 0x00010001], [0xfe800000, 0, 0x02000000, 0xabcd], [0x0064ff9b, 0, 0, 0x08080808],
];

function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
}

/** Raw records of every kind, in one Float64Array. */
function rawRecords(n: number, biflow: boolean): Float64Array {
  const rnd = lcg(7);
  const raws = new Float64Array(n * 38);
  for (let k = 0; k < n; k++) {
    const r = newRawRecord();
    const v6 = k % 3 === 0;
    r[RAW_REC_ID] = k + 1;
    r[RAW_STIME] = k % 5 === 0 ? rnd() % 100000 / 1000 : 1732406400000 + (rnd() % 1000000) / 1000;
    r[RAW_ETIME] = r[RAW_STIME] + (k % 4 === 0 ? 0 : (rnd() % 10000000) / 997);
    r[RAW_IPVER] = v6 ? 6 : 4;
    r[RAW_PROTO] = [6, 17, 1, 58, 47][k % 5];
    r[RAW_SRCPORT] = rnd() % 65536;
    r[RAW_DSTPORT] = k % 7 === 0 ? 0 : rnd() % 65536;
    r[RAW_TOS] = k % 256;
    r[RAW_TCPFLAGS] = rnd() % 256;
    r[RAW_PACKETS] = k % 11 === 0 ? 2 ** 40 + k : 1 + (rnd() % 1000);
    r[RAW_BYTES] = k % 13 === 0 ? 2 ** 33 * 3 + rnd() : rnd();
    r[RAW_L2BYTES] = r[RAW_BYTES] + 14;
    r[RAW_INPUT] = k % 3;
    r[RAW_VLAN] = k % 9 === 0 ? 4094 : 0;
    r[RAW_TUNNEL] = k % 4 === 1 ? 1 + (k % (TUNNEL_NAMES.length - 1)) : 0;
    r[RAW_ENDREASON] = k % END_REASONS.length;
    const addr = (at: number, six: boolean): void => {
      if (six) V6[rnd() % V6.length].forEach((w, i) => { r[at + i] = w | 0; });
      else r[at] = rnd() | (k % 2 === 0 ? 0x80000000 : 0);
      if (six && k % 5 === 0) for (let i = 1; i < 4; i++) r[at + i] = rnd() | 0;
    };
    addr(RAW_SRC, v6);
    addr(RAW_DST, v6);
    r[RAW_TUN_IPVER] = k % 2 === 0 ? 6 : 4;
    addr(RAW_TUN_SRC, r[RAW_TUN_IPVER] === 6);
    addr(RAW_TUN_DST, r[RAW_TUN_IPVER] === 6);
    if (biflow) {
      r[RAW_REV_PACKETS] = rnd() % 100;
      r[RAW_REV_BYTES] = rnd();
      r[RAW_REV_L2BYTES] = rnd();
      r[RAW_REV_TCPFLAGS] = rnd() % 256;
    }
    raws.set(r, k * 38);
  }
  return raws;
}

describe('the raw head writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowsig-rawwriter-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const N = 3000;

  const cases: [string, string[], boolean][] = [
    ['base fields', BASE, false],
    ['biflow', [...BASE, ...REV], true],
    ['a nullable field first, a collector field, reordered', ['tunnel', 'output', 'srcip', 'tun_dstip', 'stime', 'tun_srcip', 'endreason', 'packets'], false],
    ['only nullable fields', ['tun_srcip', 'tunnel', 'tun_dstip'], false],
    ['reverse fields without biflow', ['srcip', 'rev_packets', 'dstip'], false],
  ];
  for (const format of ['ndjson', 'csv'] as const) {
    for (const [name, names, biflow] of cases) {
      it(`${format}, ${name}: the record writer's bytes`, () => {
        const fields = names.map((n) => lookupField(n)!) as FieldDef[];
        const raws = rawRecords(N, biflow);
        const raw = rawHeadWriter(format, fields, biflow);
        expect(raw).toBeDefined();
        const viaRaw = join(dir, `${format}-${name}-raw`);
        const viaRecord = join(dir, `${format}-${name}-record`);
        const a = openOutputFd(openSync(viaRaw, 'w'));
        const b = openOutputFd(openSync(viaRecord, 'w'));
        const head = linePartWriter(format, fields, 'head');
        const make = createRecordMaker(createAddrTextCache(), { biflow });
        for (let k = 0; k < N; k++) {
          a.fill(RAW_HEAD_MAX, raw!, raws, k * 38);
          a.byte(10);
          head(make(raws, k * 38), b);
          b.byte(10);
        }
        a.end();
        b.end();
        const want = readFileSync(viaRecord, 'latin1');
        expect(want.split('\n').length).toBe(N + 1);
        expect(readFileSync(viaRaw, 'latin1')).toBe(want);
      });
    }
  }
});

describe('raw record length in the ring', () => {
  it('is the base fields, plus the biflow counters when carried, plus the tunnel fields when tunneled (those last)', () => {
    const r = new Float64Array(RAW_WORDS + 2);
    const at = 2;
    expect(rawUsedWords(r, at)).toBe(25);
    r[at + RAW_BIFLOW] = 1;
    expect(rawUsedWords(r, at)).toBe(29);
    r[at + RAW_TUNNEL] = 1;
    expect(rawUsedWords(r, at)).toBe(38);
    r[at + RAW_BIFLOW] = 0;
    expect(rawUsedWords(r, at)).toBe(38);
    // every field the count leaves out lies beyond it
    expect(Math.min(RAW_REV_PACKETS, RAW_REV_BYTES, RAW_REV_L2BYTES, RAW_REV_TCPFLAGS)).toBeGreaterThanOrEqual(25);
    expect(Math.max(RAW_REV_PACKETS, RAW_REV_BYTES, RAW_REV_L2BYTES, RAW_REV_TCPFLAGS)).toBeLessThan(29);
    expect(Math.min(RAW_TUN_IPVER, RAW_TUN_SRC, RAW_TUN_DST)).toBeGreaterThanOrEqual(29);
  });
});
