/** Test helpers: a sink that keeps copies of what it is given, and time formatting. */
import { readFileSync } from 'node:fs';
import { createCaptureParser } from '../../src/capture/open.js';
import { InputError, type CaptureInterface, type PacketSink } from '../../src/capture/types.js';

export interface Packet {
  tsMs: number;
  ifIndex: number;
  linkType: number;
  capLen: number;
  wireLen: number;
  data: Buffer;
}

export function collector(): { sink: PacketSink; packets: Packet[] } {
  const packets: Packet[] = [];
  return {
    packets,
    sink: {
      packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType) {
        packets.push({ tsMs, ifIndex, linkType, capLen, wireLen, data: Buffer.from(buf.subarray(offset, offset + capLen)) });
      },
    },
  };
}

export interface ParseResult {
  packets: Packet[];
  interfaces: CaptureInterface[];
  error: InputError | undefined;
}

/** Push `bytes` through a parser in chunks of `chunkSize` (whole when undefined), collecting packets and the error. */
export function parseBytes(bytes: Buffer, chunkSize?: number, name = 'test'): ParseResult {
  const { sink, packets } = collector();
  const interfaces: CaptureInterface[] = [];
  const parser = createCaptureParser(name, sink, { onInterface: (iface) => interfaces.push(iface) });
  let error: InputError | undefined;
  try {
    const step = chunkSize ?? Math.max(bytes.length, 1);
    for (let pos = 0; pos < bytes.length; pos += step) {
      // A fresh copy each time, then scribbled over: the parser must not keep views into a chunk.
      const chunk = Buffer.from(bytes.subarray(pos, pos + step));
      parser.push(chunk);
      chunk.fill(0xee);
    }
    parser.end();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    error = err;
  }
  return { packets, interfaces, error };
}

export function parseFile(path: string, chunkSize?: number): ParseResult {
  return parseBytes(readFileSync(path), chunkSize, path);
}

/** ISO UTC with microseconds, as MANIFEST.tsv writes times (rounded to the nearest µs). */
export function isoMicros(tsMs: number): string {
  let seconds = Math.floor(tsMs / 1000);
  let micros = Math.round((tsMs - seconds * 1000) * 1000);
  if (micros === 1e6) {
    seconds++;
    micros = 0;
  }
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

export function summary(packets: Packet[]): { first: string; last: string } {
  const times = packets.map((p) => p.tsMs);
  return { first: isoMicros(Math.min(...times)), last: isoMicros(Math.max(...times)) };
}
