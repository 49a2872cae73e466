import { describe, expect, it } from 'vitest';
import { putMicro, putNumber, putUint } from '../../src/report/output.js';

/** The digit-at-a-time formatting output.ts had before the two-digit table: the reference. */
function referenceUint(n: number): string {
  if (n < 2147483648) return String(n);
  const high = Math.floor(n / 1e9);
  return referenceUint(high) + String(n - high * 1e9).padStart(9, '0');
}
function referenceMicro(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!Number.isSafeInteger(micros) || micros < 0) return String(Math.round(ms * 1000) / 1000);
  let text = referenceUint(Math.floor(micros / 1000));
  let frac = micros % 1000;
  if (frac === 0) return text;
  text += `.${Math.floor(frac / 100)}`;
  frac %= 100;
  if (frac === 0) return text;
  text += String(Math.floor(frac / 10));
  frac %= 10;
  return frac !== 0 ? text + String(frac) : text;
}

const buf = Buffer.alloc(64);
const put = (f: (b: Buffer, p: number, n: number) => number, n: number): string => {
  const end = f(buf, 3, n);
  return buf.toString('latin1', 3, end);
};

const EDGES = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000, 99999, 100000, 999999, 1000000, 9999999,
  10000000, 99999999, 100000000, 999999999, 1000000000, 2147483647, 2147483648, 4294967295, 4294967296,
  1e12, 1e15, 2 ** 53 - 1, 1732406400000, 1732406400001, 1999999999999, 1000000000000, 1000000009999];

describe('number and time text (two digits per step)', () => {
  it('writes integers as String does, edges and a spread of magnitudes', () => {
    const values = [...EDGES];
    let x = 1;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      values.push(x, x % 1000, x % 100000, x * 1000 + (x % 1000), Math.floor(x * 4194304.123) % (2 ** 53));
    }
    for (const n of values) {
      expect(put(putUint, n)).toBe(String(n));
      expect(put(putNumber, n)).toBe(String(n));
    }
  });

  it('writes negatives, non-integers and unsafe integers with String', () => {
    for (const n of [-1, -0.5, 1.5, 0.1, 2 ** 53, 1e21, NaN, Infinity, -Infinity, -2147483648]) {
      expect(put(putNumber, n)).toBe(String(n));
    }
  });

  it('writes milliseconds with microseconds as before: every fraction, epoch times, negatives', () => {
    const values: number[] = [0, 0.0004, 0.0005, 1.5, 17, -1, -0.25, NaN, 1e20, 9007199254740.993];
    for (let f = 0; f < 1000; f++) {
      values.push(f / 1000, 1732406400000 + f / 1000, 2147483 + f / 1000, 2147484 + f / 1000, 999999999 + f / 1000,
        1732406400123 + f / 1000 + 0.0004, f + 0.0006);
    }
    for (const ms of values) expect(put(putMicro, ms), String(ms)).toBe(referenceMicro(ms));
  });
});
