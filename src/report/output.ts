/**
 * A buffered, synchronous byte sink for standard output or a file. Records
 * are written in large chunks; a closed pipe (`| head`) ends output quietly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface TextOutput {
  write(text: string): void;
  end(): void;
  /** true once the reader went away (EPIPE); writers stop producing */
  readonly closed: boolean;
}

const FLUSH_AT = 1 << 16;

export function openTextOutput(path: string | undefined): TextOutput {
  const fd = path === undefined || path === '-' ? 1 : openSync(path, 'w');
  let pending: string[] = [];
  let pendingLength = 0;
  let closed = false;

  function flush(): void {
    if (pendingLength === 0 || closed) return;
    const data = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingLength = 0;
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(fd, data, off, data.length - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue; // non-blocking pipe: the reader is slower than us
        if (code === 'EPIPE') {
          closed = true;
          return;
        }
        throw err;
      }
    }
  }

  return {
    write(text: string) {
      if (closed) return;
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength >= FLUSH_AT) flush();
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
