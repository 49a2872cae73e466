/**
 * Opening a capture: recognise pcap or pcapng from the first 4 bytes, then
 * feed chunks through that format's reader. The same push parser serves
 * files, standard input and live `tcpdump -w -` / `dumpcap -w -` pipes.
 *
 * Records are parsed in place inside each chunk. Only a record cut by a
 * chunk boundary is copied, into a carry buffer, and completed from the next
 * chunk before parsing goes back to working in place.
 *
 * Errors: damage throws InputError from push() or end(), after every packet
 * before the damage has reached the sink. The parser is dead afterwards
 * (further calls throw the same error). The CLI prints `err.describe()` and
 * exits 2; the packets already delivered still count.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createPcapReader, isPcapMagic } from './pcap.js';
import { BLOCK_SECTION_HEADER, createPcapngReader } from './pcapng.js';
import { InputError, type CaptureFormat, type CaptureHooks, type CaptureInterface, type PacketSink, type RecordReader } from './types.js';

const MAGIC_LENGTH = 4;
const GZIP_MAGIC = 0x1f8b;

export interface CaptureParser {
  /** Parse a chunk. The chunk may be reused by the caller once push returns. */
  push(chunk: Buffer): void;
  /** No more input: throws InputError when the input stopped inside a record or was empty. */
  end(): void;
  /** undefined until the first 4 bytes have arrived */
  readonly format: CaptureFormat | undefined;
  readonly packets: number;
  readonly bytesRead: number;
  /** interfaces learned so far, by index */
  readonly interfaces: readonly CaptureInterface[];
}

export function createCaptureParser(fileName: string, sink: PacketSink, hooks: CaptureHooks = {}): CaptureParser {
  const interfaces: CaptureInterface[] = [];
  const readerHooks: CaptureHooks = {
    onInterface(iface) {
      interfaces.push(iface);
      hooks.onInterface?.(iface);
    },
  };
  let reader: RecordReader | undefined;
  /** bytes of an unfinished record (or of the magic), file offset carryOffset */
  let carry = Buffer.allocUnsafe(64 * 1024);
  let carryLength = 0;
  let carryOffset = 0;
  let bytesRead = 0;
  let failure: unknown;

  function detect(magicBuf: Buffer, pos: number): RecordReader {
    const magic = magicBuf.readUInt32BE(pos);
    if (isPcapMagic(magic)) return createPcapReader(fileName, sink, readerHooks);
    if (magic === BLOCK_SECTION_HEADER) return createPcapngReader(fileName, sink, readerHooks);
    const hex = magicBuf.toString('hex', pos, pos + MAGIC_LENGTH);
    const hint = magic >>> 16 === GZIP_MAGIC ? ': gzip-compressed, decompress it first' : looksLikeText(magicBuf, pos) ? ': looks like text' : '';
    throw new InputError(fileName, 0, `not a pcap or pcapng file (magic 0x${hex}${hint})`);
  }

  /** Append up to `wanted` bytes of chunk[pos..] to the carry; returns how many were taken. */
  function fill(chunk: Buffer, pos: number, wanted: number): number {
    const take = Math.min(wanted - carryLength, chunk.length - pos);
    if (carryLength + take > carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(carry.length * 2, carryLength + take));
      carry.copy(bigger, 0, 0, carryLength);
      carry = bigger;
    }
    chunk.copy(carry, carryLength, pos, pos + take);
    carryLength += take;
    return take;
  }

  /**
   * Complete the carried record from the chunk and parse it. Returns where
   * in-place parsing of the chunk resumes, or -1 if the chunk was used up.
   */
  function finishCarried(chunk: Buffer): number {
    let pos = 0;
    if (reader === undefined) {
      pos += fill(chunk, pos, MAGIC_LENGTH);
      if (carryLength < MAGIC_LENGTH) return -1;
      reader = detect(carry, 0);
    }
    const headerLength = reader.headerLength();
    if (carryLength < headerLength) {
      pos += fill(chunk, pos, headerLength);
      if (carryLength < headerLength) return -1;
    }
    const length = reader.recordLength(carry, 0, carryOffset);
    pos += fill(chunk, pos, length);
    if (carryLength < length) return -1;
    reader.run(carry, 0, length, carryOffset);
    carryOffset += length;
    carryLength = 0;
    return pos;
  }

  function push(chunk: Buffer): void {
    if (failure !== undefined) throw failure;
    if (chunk.length === 0) return;
    const chunkOffset = bytesRead;
    bytesRead += chunk.length;
    try {
      let pos = 0;
      if (reader === undefined && carryLength === 0 && chunk.length >= MAGIC_LENGTH) {
        reader = detect(chunk, 0);
      } else if (reader === undefined || carryLength > 0) {
        pos = finishCarried(chunk);
        if (pos < 0) return;
      }
      pos = (reader as RecordReader).run(chunk, pos, chunk.length, chunkOffset);
      carryOffset = chunkOffset + pos;
      fill(chunk, pos, chunk.length - pos);
    } catch (err) {
      failure = err;
      throw err;
    }
  }

  function end(): void {
    if (failure !== undefined) throw failure;
    try {
      if (bytesRead === 0) throw new InputError(fileName, 0, 'empty file, expected a pcap or pcapng header');
      if (reader === undefined) {
        throw new InputError(fileName, 0, `file ends after ${bytesRead} byte${bytesRead === 1 ? '' : 's'}, expected a pcap or pcapng header`);
      }
      if (carryLength === 0) return;
      const haveHeader = carryLength >= reader.headerLength();
      const needed = haveHeader ? reader.recordLength(carry, 0, carryOffset) : reader.headerLength();
      throw new InputError(fileName, carryOffset, `file ends in the middle of a ${reader.recordName(haveHeader)} (needed ${needed} bytes, ${carryLength} left)`);
    } catch (err) {
      failure = err;
      throw err;
    }
  }

  return {
    push,
    end,
    get format() {
      return reader?.format;
    },
    get packets() {
      return reader?.packets ?? 0;
    },
    get bytesRead() {
      return bytesRead;
    },
    interfaces,
  };
}

function looksLikeText(buf: Buffer, pos: number): boolean {
  for (let i = pos; i < pos + MAGIC_LENGTH; i++) {
    const c = buf[i];
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c > 0x7e) return false;
  }
  return true;
}

export interface ReadOptions extends CaptureHooks {
  /** Called at most once per chunk with the bytes read so far and the size when known (regular files). */
  onProgress?(bytesRead: number, totalBytes: number | undefined): void;
  /** bytes per read; 1 MiB by default */
  chunkSize?: number;
}

export interface ReadSummary {
  format: CaptureFormat | undefined;
  packets: number;
  bytesRead: number;
  interfaces: readonly CaptureInterface[];
}

export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/**
 * Read a whole capture file (or standard input for `-`) synchronously,
 * chunk by chunk, into `sink`. Throws InputError on damage, after the packets
 * before it were delivered, and when the file cannot be opened or read.
 */
export function readCaptureFile(path: string, sink: PacketSink, opts: ReadOptions = {}): ReadSummary {
  if (path === '-') return readCaptureFd(0, 'standard input', sink, opts);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw systemInputError(path, 'cannot open', err);
  }
  try {
    return readCaptureFd(fd, path, sink, opts);
  } finally {
    closeSync(fd);
  }
}

/** The loop behind readCaptureFile, for an fd the caller owns (a file, a pipe, a FIFO, stdin). */
export function readCaptureFd(fd: number, name: string, sink: PacketSink, opts: ReadOptions = {}): ReadSummary {
  const stat = fstatSync(fd);
  const regular = stat.isFile();
  const totalBytes = regular ? stat.size : undefined;
  const parser = createCaptureParser(name, sink, opts);
  const chunk = Buffer.allocUnsafe(opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  let position = 0;
  for (;;) {
    let n: number;
    try {
      // Numeric positions keep files beyond 2 GiB working; pipes are read where they stand.
      n = regular ? readSync(fd, chunk, 0, chunk.length, position) : readStream(fd, chunk);
    } catch (err) {
      throw systemInputError(name, 'cannot read', err);
    }
    if (n === 0) break;
    position += n;
    parser.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    opts.onProgress?.(position, totalBytes);
  }
  parser.end();
  return summary(parser);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** readSync on a pipe or terminal: waits out EAGAIN (a non-blocking fd) and reports 0 at EOF. */
function readStream(fd: number, chunk: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        Atomics.wait(sleeper, 0, 0, 5);
        continue;
      }
      if (code === 'EOF') return 0;
      throw err;
    }
  }
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  EPERM: 'operation not permitted',
};

function systemInputError(name: string, what: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return err;
  return new InputError(name, undefined, `${what}: ${SYSTEM_ERRORS[code] ?? (err as Error).message}`);
}

/** Read a capture from a stream (a pipe, a socket, a child process's stdout). */
export async function readCaptureStream(
  name: string,
  readable: AsyncIterable<Buffer | Uint8Array | string>,
  sink: PacketSink,
  opts: ReadOptions = {},
): Promise<ReadSummary> {
  const parser = createCaptureParser(name, sink, opts);
  for await (const piece of readable) {
    if (typeof piece === 'string') throw new TypeError(`${name}: capture stream must deliver bytes, not text (remove setEncoding)`);
    parser.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    opts.onProgress?.(parser.bytesRead, undefined);
  }
  parser.end();
  return summary(parser);
}

function summary(parser: CaptureParser): ReadSummary {
  return { format: parser.format, packets: parser.packets, bytesRead: parser.bytesRead, interfaces: parser.interfaces };
}
