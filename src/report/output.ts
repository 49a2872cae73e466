/**
 * A buffered, synchronous byte sink for standard output or a file. Writers
 * put text straight into one large Buffer (numbers digit by digit, ASCII
 * words with latin1 writes), so a record costs no intermediate strings; the
 * buffer goes out with writeSync when full. A closed pipe (`| head`) ends
 * output quietly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface TextOutput {
  /** any text (UTF-8) */
  write(text: string): void;
  /** text known to be ASCII (addresses, field names, enum words): no encoding work */
  ascii(text: string): void;
  /** pre-encoded bytes (short: field names) */
  bytes(data: Uint8Array): void;
  /** one byte (an ASCII character code) */
  byte(code: number): void;
  /** a non-negative integer or any number (integers are written digit by digit) */
  number(n: number): void;
  /** milliseconds rounded to microseconds, without trailing zeros: 1500.25, 17 */
  micro(ms: number): void;
  end(): void;
  /** write out what is buffered now (live capture: records appear as flows end, not when 1 MiB is full) */
  flush?(): void;
  /** true once the reader went away (EPIPE); writers may stop producing */
  readonly closed: boolean;
}

const BUFFER_SIZE = 1 << 20;
/** flush before an item that might not fit */
const HEADROOM = 1 << 12;

/** "00".."99": integers are written two digits per division (half the divisions of one at a time) */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');
/** the text after the point of 0..999 thousandths without trailing zeros (".5", ".25", ".125"; "" for 0), 4 bytes each */
const FRACTIONS = new Uint8Array(4000);
const FRACTION_LENGTHS = new Uint8Array(1000);
for (let f = 1; f < 1000; f++) {
  const text = `.${String(f).padStart(3, '0').replace(/0+$/, '')}`;
  for (let i = 0; i < text.length; i++) FRACTIONS[f * 4 + i] = text.charCodeAt(i);
  FRACTION_LENGTHS[f] = text.length;
}

/** Decimal digits of an integer 0 ≤ v < 2^31. */
function digitCount(v: number): number {
  if (v < 100000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

/** Writes the int32 0 ≤ v < 2^31 as exactly `digits` digits (zero-padded) ending before `end`. */
function putDigits(buf: Uint8Array, end: number, v: number): void {
  let at = end;
  while (v >= 100) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    buf[--at] = DIGIT_PAIRS[r + 1];
    buf[--at] = DIGIT_PAIRS[r];
    v = q;
  }
  if (v >= 10) {
    buf[--at] = DIGIT_PAIRS[(v << 1) + 1];
    buf[--at] = DIGIT_PAIRS[v << 1];
  } else {
    buf[--at] = 48 + v;
  }
}

/** Writes the safe integer n ≥ 0 at `pos`; returns the position after it. */
export function putUint(buf: Uint8Array, pos: number, n: number): number {
  if (n < 2147483648) {
    // small integers (ports, counters): int32 arithmetic
    const end = pos + digitCount(n);
    putDigits(buf, end, n | 0);
    return end;
  }
  // larger (epoch milliseconds): an int32-sized high part, then nine digits
  const high = Math.floor(n / 1e9);
  pos = putUint(buf, pos, high);
  const low = n - high * 1e9;
  // zero padding: write the digits of low, then fill the leading zeros
  const digits = digitCount(low);
  for (let i = 0; i < 9 - digits; i++) buf[pos + i] = 48;
  putDigits(buf, pos + 9, low);
  return pos + 9;
}

/** `n` as TextOutput.number writes it, at `pos`; returns the position after it. */
export function putNumber(buf: Buffer, pos: number, n: number): number {
  if (Number.isSafeInteger(n) && n >= 0) return putUint(buf, pos, n);
  return pos + buf.write(String(n), pos, 'latin1');
}

/** `ms` as TextOutput.micro writes it, at `pos`; returns the position after it. */
export function putMicro(buf: Buffer, pos: number, ms: number): number {
  const micros = Math.round(ms * 1000);
  if (!Number.isSafeInteger(micros) || micros < 0) {
    return pos + buf.write(String(Math.round(ms * 1000) / 1000), pos, 'latin1');
  }
  const whole = Math.floor(micros / 1000);
  pos = putUint(buf, pos, whole);
  const frac = micros - whole * 1000;
  const n = FRACTION_LENGTHS[frac];
  for (let i = 0; i < n; i++) buf[pos + i] = FRACTIONS[frac * 4 + i];
  return pos + n;
}

/** A TextOutput on a descriptor, with direct access to its buffer for compiled writers. */
export interface FdOutput extends TextOutput {
  /**
   * Lets `put` write at most `max` (≤ 4096) bytes into the buffer at `pos`: it returns the position
   * after what it wrote. One call per record instead of one per value.
   */
  fill<A, B>(max: number, put: (buf: Buffer, pos: number, a: A, b: B) => number, a: A, b: B): void;
  /** the bytes `src[from..to)`, without making a subarray (any length) */
  copy(src: Uint8Array, from: number, to: number): void;
}

/** Writing the output failed (a full disk, an I/O error): a one-line message, exit code 1. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/** Standard output (`path` undefined or "-") or a new file. */
export function openTextOutput(path: string | undefined): TextOutput {
  const stdout = path === undefined || path === '-';
  return openOutputFd(stdout ? 1 : openSync(path, 'w'), stdout ? 'standard output' : path);
}

/** A TextOutput on an open file descriptor (closed at `end` unless it is standard output). */
export function openOutputFd(fd: number, name = 'standard output'): FdOutput {
  const buf = Buffer.allocUnsafe(BUFFER_SIZE);
  let pos = 0;
  let closed = false;

  function flush(): void {
    let off = 0;
    while (off < pos && !closed) {
      try {
        off += writeSync(fd, buf, off, pos - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue; // non-blocking pipe: the reader is slower than us
        if (code === 'EPIPE') {
          closed = true;
          break;
        }
        // a full disk, an I/O error: the user's to fix, not a bug
        throw new OutputError(`writing ${name}: ${(err as Error).message}`);
      }
    }
    pos = 0;
  }

  function room(n: number): void {
    if (pos + n > BUFFER_SIZE) flush();
  }

  return {
    flush,
    write(text) {
      if (pos + text.length * 3 > BUFFER_SIZE) {
        flush();
        if (text.length * 3 > BUFFER_SIZE) {
          const data = Buffer.from(text, 'utf8');
          for (let off = 0; off < data.length; off += BUFFER_SIZE) {
            const part = data.subarray(off, off + BUFFER_SIZE);
            part.copy(buf, 0);
            pos = part.length;
            flush();
          }
          return;
        }
      }
      pos += buf.write(text, pos, 'utf8');
    },
    ascii(text) {
      // short ASCII strings: a plain loop beats a native Buffer.write call
      if (text.length > 64) {
        this.write(text);
        return;
      }
      room(text.length);
      for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    },
    bytes(data) {
      room(data.length);
      for (let i = 0; i < data.length; i++) buf[pos++] = data[i];
    },
    byte(code) {
      room(1);
      buf[pos++] = code;
    },
    number(n) {
      room(HEADROOM);
      pos = putNumber(buf, pos, n);
    },
    micro(ms) {
      room(HEADROOM);
      pos = putMicro(buf, pos, ms);
    },
    copy(src, from, to) {
      while (to - from > BUFFER_SIZE - pos) {
        const part = BUFFER_SIZE - pos;
        buf.set(src.subarray(from, from + part), pos);
        pos += part;
        from += part;
        flush();
      }
      const n = to - from;
      // short runs (words, names): a plain loop beats making a subarray for a native copy
      if (n > 64) buf.set(src.subarray(from, to), pos);
      else for (let i = 0; i < n; i++) buf[pos + i] = src[from + i];
      pos += n;
    },
    fill(max, put, a, b) {
      room(max);
      pos = put(buf, pos, a, b);
    },
    end() {
      flush();
      if (fd !== 1) closeSync(fd);
    },
    get closed() {
      return closed;
    },
  };
}
