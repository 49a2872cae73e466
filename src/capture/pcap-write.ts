/**
 * Writing classic pcap: the 24-byte file header, then a 16-byte record
 * header and the bytes of each packet. The writer is itself a PacketSink, so
 * copying a capture is `readCaptureFile(input, createPcapWriter(...))`.
 *
 * Output goes to a growing in-memory buffer, or to a file descriptor in
 * ~1 MiB writes when `fd` is given (the caller opens and closes the fd).
 */
import { writeSync } from 'node:fs';
import {
  MAX_CAPTURED_LENGTH,
  PCAP_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  RECORD_HEADER_LENGTH,
} from './pcap.js';
import type { PacketSink } from './types.js';

export interface PcapWriterOptions {
  linkType: number;
  /** longer packets are cut to this; 262144 by default */
  snapLen?: number;
  /** nanosecond timestamps (magic a1b23c4d) instead of microseconds */
  nanosecond?: boolean;
  /** write big-endian (the default is little-endian, what every current host writes) */
  bigEndian?: boolean;
  /** write to this file descriptor instead of keeping the bytes in memory */
  fd?: number;
}

export interface PcapWriter extends PacketSink {
  /** PacketSink: the interface index and link type are the file header's; `tsMs` is rounded to the file's resolution. */
  packet(buf: Buffer, offset: number, capLen: number, wireLen: number, tsMs: number, ifIndex?: number, linkType?: number): void;
  /** Exact timestamps, as the integers a capture device gives. */
  packetAt(buf: Buffer, offset: number, capLen: number, wireLen: number, seconds: number, nanoseconds: number): void;
  /** Push buffered bytes to the fd (no-op in memory). */
  flush(): void;
  /** Everything written so far, in memory mode. A view: copy it before writing more. */
  toBuffer(): Buffer;
  readonly packets: number;
}

/** Encode a pcap file header at buf[pos]. */
export function encodeHeader(opts: PcapWriterOptions, buf: Buffer = Buffer.alloc(PCAP_HEADER_LENGTH), pos = 0): Buffer {
  const magic = opts.nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS;
  const be = opts.bigEndian === true;
  const u32 = (value: number, at: number) => (be ? buf.writeUInt32BE(value, pos + at) : buf.writeUInt32LE(value, pos + at));
  const u16 = (value: number, at: number) => (be ? buf.writeUInt16BE(value, pos + at) : buf.writeUInt16LE(value, pos + at));
  u32(magic, 0);
  u16(PCAP_VERSION_MAJOR, 4);
  u16(PCAP_VERSION_MINOR, 6);
  u32(0, 8); // thiszone: always UTC
  u32(0, 12); // sigfigs
  u32(opts.snapLen ?? MAX_CAPTURED_LENGTH, 16);
  u32(opts.linkType, 20);
  return buf;
}

export function createPcapWriter(opts: PcapWriterOptions): PcapWriter {
  const out = createByteOutput(opts.fd);
  const be = opts.bigEndian === true;
  const snapLen = opts.snapLen ?? MAX_CAPTURED_LENGTH;
  const unitsPerSecond = opts.nanosecond ? 1e9 : 1e6;
  const nsPerUnit = opts.nanosecond ? 1 : 1000;
  let packets = 0;

  out.ensure(PCAP_HEADER_LENGTH);
  encodeHeader(opts, out.buf, out.used);
  out.used += PCAP_HEADER_LENGTH;

  function record(buf: Buffer, offset: number, capLen: number, wireLen: number, seconds: number, fraction: number): void {
    if (!(seconds >= 0 && seconds <= 0xffffffff)) throw new RangeError(`pcap timestamps hold 0..2^32-1 seconds since 1970, not ${seconds}`);
    const length = Math.min(capLen, snapLen);
    out.ensure(RECORD_HEADER_LENGTH + length);
    const b = out.buf;
    const at = out.used;
    if (be) {
      b.writeUInt32BE(seconds, at);
      b.writeUInt32BE(fraction, at + 4);
      b.writeUInt32BE(length, at + 8);
      b.writeUInt32BE(wireLen, at + 12);
    } else {
      b.writeUInt32LE(seconds, at);
      b.writeUInt32LE(fraction, at + 4);
      b.writeUInt32LE(length, at + 8);
      b.writeUInt32LE(wireLen, at + 12);
    }
    buf.copy(b, at + RECORD_HEADER_LENGTH, offset, offset + length);
    out.used = at + RECORD_HEADER_LENGTH + length;
    packets++;
  }

  return {
    packet(buf, offset, capLen, wireLen, tsMs) {
      let seconds = Math.floor(tsMs / 1000);
      let fraction = Math.round((tsMs - seconds * 1000) * (unitsPerSecond / 1000));
      if (fraction >= unitsPerSecond) {
        seconds++;
        fraction -= unitsPerSecond;
      }
      record(buf, offset, capLen, wireLen, seconds, fraction);
    },
    packetAt(buf, offset, capLen, wireLen, seconds, nanoseconds) {
      record(buf, offset, capLen, wireLen, seconds, Math.floor(nanoseconds / nsPerUnit));
    },
    flush: () => out.flush(),
    toBuffer: () => out.bytes(),
    get packets() {
      return packets;
    },
  };
}

/** A growing output buffer that spills to a file descriptor when it has one. Shared by both writers. */
export interface ByteOutput {
  buf: Buffer;
  /** bytes of buf in use */
  used: number;
  /** make room for n more bytes at buf[used] (may replace buf) */
  ensure(n: number): void;
  flush(): void;
  bytes(): Buffer;
}

const FLUSH_SIZE = 1024 * 1024;

export function createByteOutput(fd?: number): ByteOutput {
  const out: ByteOutput = {
    buf: Buffer.allocUnsafe(fd === undefined ? 64 * 1024 : FLUSH_SIZE),
    used: 0,
    ensure(n) {
      if (out.used + n <= out.buf.length) return;
      if (fd !== undefined) {
        out.flush();
        if (n <= out.buf.length) return;
      }
      const bigger = Buffer.allocUnsafe(Math.max(out.buf.length * 2, out.used + n));
      out.buf.copy(bigger, 0, 0, out.used);
      out.buf = bigger;
    },
    flush() {
      if (fd === undefined) return;
      let done = 0;
      while (done < out.used) done += writeSync(fd, out.buf, done, out.used - done);
      out.used = 0;
    },
    bytes() {
      if (fd !== undefined) throw new Error('this writer writes to a file descriptor; its bytes are not kept');
      return out.buf.subarray(0, out.used);
    },
  };
  return out;
}
