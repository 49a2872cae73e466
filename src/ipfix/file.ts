/**
 * IPFIX files (RFC 5655): IPFIX messages back to back. The reader is a push parser (chunks in,
 * records out) so `flowsig query` can sniff and stream it like captures and flow files; damage
 * stops reading with an InputError naming the file offset, after every record before it was passed on.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { InputError } from '../capture/types.js';
import type { FlowRecord } from '../flow/record.js';
import { createMessageParser, describeMalformed, type MessageParser, type ParserOptions } from './decode.js';
import { createExporter, type Exporter, type ExporterOptions } from './encode.js';

const IPFIX_VERSION = 10;
const HEADER = 16;

/** true when `head` starts like an IPFIX message (version 10, a plausible length) */
export function looksLikeIpfix(head: Buffer): boolean {
  return head.length >= HEADER && head.readUInt16BE(0) === IPFIX_VERSION && head.readUInt16BE(2) >= HEADER;
}

export interface IpfixFileParser {
  push(chunk: Buffer): void;
  end(): void;
  readonly parser: MessageParser;
  readonly messages: number;
}

export function createIpfixFileParser(name: string, onRecord: (rec: FlowRecord) => void, opts: Omit<ParserOptions, 'onMalformed'> = {}): IpfixFileParser {
  const parser = createMessageParser(opts);
  let pending: Buffer = Buffer.alloc(0);
  let offset = 0; // file offset of pending[0]
  let messages = 0;

  function consume(final: boolean): void {
    let o = 0;
    while (pending.length - o >= (final ? 1 : HEADER)) {
      if (pending.length - o < HEADER) throw new InputError(name, offset + o, `truncated IPFIX message header: ${pending.length - o} of ${HEADER} bytes`);
      const version = pending.readUInt16BE(o);
      if (version !== IPFIX_VERSION) throw new InputError(name, offset + o, `expected an IPFIX message (version 10), found version ${version}`);
      const length = pending.readUInt16BE(o + 2);
      if (length < HEADER) throw new InputError(name, offset + o + 2, `IPFIX message length ${length} is below the 16-byte header`);
      if (pending.length - o < length) {
        if (final) throw new InputError(name, offset + o, `truncated IPFIX message: ${pending.length - o} of ${length} bytes`);
        break;
      }
      const damage = parser.parse(pending.subarray(o, o + length), name, onRecord);
      messages++;
      if (damage) throw new InputError(name, offset + o + damage.offset, `${describeMalformed(damage.kind)}: ${damage.detail}`);
      o += length;
    }
    pending = pending.subarray(o);
    offset += o;
  }

  return {
    push(chunk) {
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      consume(false);
    },
    end() {
      consume(true);
    },
    parser,
    get messages() {
      return messages;
    },
  };
}

/** An exporter writing an IPFIX file (no template refresh: a file's reader has every message). */
export function createIpfixFileWriter(path: string, opts: Omit<ExporterOptions, 'protocol'>): { exporter: Exporter; close(): void } {
  const fd = path === '-' ? 1 : openSync(path, 'w');
  const exporter = createExporter({ ...opts, protocol: 'ipfix', mtu: opts.mtu ?? 65_535, templateRefreshPackets: 0, templateRefreshMs: Number.POSITIVE_INFINITY }, (msg) => {
    let off = 0;
    while (off < msg.length) off += writeSync(fd, msg, off, msg.length - off);
  });
  return {
    exporter,
    close() {
      exporter.flush();
      if (fd !== 1) closeSync(fd);
    },
  };
}
