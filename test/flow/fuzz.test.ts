/**
 * Fuzzing the whole packet → flow path with mutated corpus captures:
 * truncation, flipped length fields, random bytes. Whatever the damage, the
 * only acceptable outcomes are records plus (maybe) one InputError — never
 * another exception, never a hang (each case runs to the end of its input).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCaptureParser } from '../../src/capture/open.js';
import { InputError } from '../../src/capture/types.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import { CORPUS_DIR, HAVE_CORPUS } from '../corpus.js';
import { mulberry32 } from '../../scripts/bench/random.js';


function corpusCaptures(): string[] {
  if (!HAVE_CORPUS) return [];
  const out: string[] = [];
  for (const dir of readdirSync(CORPUS_DIR, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(CORPUS_DIR, dir.name))) {
      if (/\.(pcap|pcapng)$/.test(f)) out.push(join(dir.name, f));
    }
  }
  return out.sort();
}

type Mutation = (data: Buffer, rand: () => number) => Buffer;

const MUTATIONS: Record<string, Mutation> = {
  truncate: (d, r) => d.subarray(0, Math.floor(r() * d.length)),
  randomBytes: (d, r) => {
    const c = Buffer.from(d);
    const n = 1 + Math.floor(r() * 16);
    for (let i = 0; i < n; i++) c[Math.floor(r() * c.length)] = Math.floor(r() * 256);
    return c;
  },
  /** overwrite an aligned 32-bit word (record/block lengths, captured lengths) with a hostile value */
  flipLength: (d, r) => {
    const c = Buffer.from(d);
    const at = Math.floor((r() * c.length) / 4) * 4;
    const hostile = [0, 1, 0xffff, 0x7fffffff, 0xffffffff, c.length, 12, 16][Math.floor(r() * 8)];
    if (at + 4 <= c.length) c.writeUInt32LE(hostile >>> 0, at);
    return c;
  },
  /** damage inside packets only: keep the file header, garble bytes past it */
  garblePayloads: (d, r) => {
    const c = Buffer.from(d);
    for (let i = 64; i < c.length; i++) if (r() < 0.02) c[i] ^= 1 << Math.floor(r() * 8);
    return c;
  },
};

function run(name: string, data: Buffer): { records: number; error?: string } {
  let records = 0;
  const p = createFlowPipeline({ meter: { biflow: false } }, () => { records++; });
  const parser = createCaptureParser(name, p.sink);
  let error: string | undefined;
  try {
    // odd chunk sizes so that records straddle chunk boundaries
    for (let off = 0; off < data.length; off += 4093) parser.push(data.subarray(off, off + 4093));
    parser.end();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    error = err.describe();
  }
  p.meter.flush();
  return { records, error };
}

describe.skipIf(!HAVE_CORPUS)('fuzz: mutated corpus captures never crash or hang the pipeline', () => {
  const files = corpusCaptures();
  for (const [mutationName, mutate] of Object.entries(MUTATIONS)) {
    it(`${mutationName}: 12 seeded variants of each of ${files.length} captures`, () => {
      let inputErrors = 0;
      for (const [fileIndex, file] of files.entries()) {
        const data = readFileSync(join(CORPUS_DIR, file));
        for (let variant = 0; variant < 12; variant++) {
          const rand = mulberry32(fileIndex * 1000 + variant + mutationName.length * 100_000);
          const result = run(file, mutate(data, rand));
          if (result.error) {
            inputErrors++;
            expect(result.error.split('\n')).toHaveLength(1);
            expect(result.error.startsWith(`${file}: `)).toBe(true);
          }
        }
      }
      // the mutations do damage files; most truncations must be reported
      if (mutationName === 'truncate') expect(inputErrors).toBeGreaterThan(files.length * 6);
    });
  }
});
