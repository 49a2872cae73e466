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

/** Standard output (`path` undefined or "-") or a new file. */
export function openTextOutput(path: string | undefined): TextOutput {
  return openOutputFd(path === undefined || path === '-' ? 1 : openSync(path, 'w'));
}

/** A TextOutput on an open file descriptor (closed at `end` unless it is standard output). */
export function openOutputFd(fd: number): TextOutput {
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
        throw err;
      }
    }
    pos = 0;
  }

  function room(n: number): void {
    if (pos + n > BUFFER_SIZE) flush();
  }

  function uint(n: number): void {
    if (n < 2147483648) {
      // small integers (ports, counters): int32 arithmetic
      let digits = 1;
      for (let v = n; v >= 10; v = (v / 10) | 0) digits++;
      let at = pos + digits;
      pos = at;
      let v = n | 0;
      do {
        const q = (v / 10) | 0;
        buf[--at] = 48 + v - q * 10;
        v = q;
      } while (v > 0);
      return;
    }
    // larger (epoch milliseconds): split into two int32-sized halves
    const high = Math.floor(n / 1e9);
    uint(high);
    let low = n - high * 1e9;
    let at = pos + 9;
    pos = at;
    for (let i = 0; i < 9; i++) {
      const q = (low / 10) | 0;
      buf[--at] = 48 + low - q * 10;
      low = q;
    }
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
      if (Number.isSafeInteger(n) && n >= 0) uint(n);
      else pos += buf.write(String(n), pos, 'latin1');
    },
    micro(ms) {
      room(HEADROOM);
      const micros = Math.round(ms * 1000);
      if (!Number.isSafeInteger(micros) || micros < 0) {
        pos += buf.write(String(Math.round(ms * 1000) / 1000), pos, 'latin1');
        return;
      }
      uint(Math.floor(micros / 1000));
      let frac = micros % 1000;
      if (frac === 0) return;
      buf[pos++] = 46; // '.'
      buf[pos++] = 48 + Math.floor(frac / 100);
      frac %= 100;
      if (frac === 0) return;
      buf[pos++] = 48 + Math.floor(frac / 10);
      frac %= 10;
      if (frac !== 0) buf[pos++] = 48 + frac;
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
