/**
 * What every packet source (pcap, pcapng, live capture) hands downstream.
 *
 * The hot path passes primitives, never a per-packet object: a source calls
 * `sink.packet(...)` once per packet with a view into its own chunk buffer.
 * The bytes are only valid during that call.
 */
import { openSync } from 'node:fs';

export interface PacketSink {
  /**
   * @param buf      buffer holding the packet bytes (shared, reused by the source)
   * @param offset   where the packet's link-layer header starts in `buf`
   * @param capLen   bytes captured (available in `buf`)
   * @param wireLen  original length on the wire
   * @param tsMs     capture time, epoch milliseconds; the fraction keeps sub-ms
   * @param ifIndex  ingress interface index (pcapng IDB order; 0 for classic pcap)
   * @param linkType LINKTYPE_* value of that interface
   */
  packet(buf: Buffer, offset: number, capLen: number, wireLen: number, tsMs: number, ifIndex: number, linkType: number): void;
}

/** Interface description learned from a capture (pcapng IDB, pcap header, or a live device). */
export interface CaptureInterface {
  index: number;
  linkType: number;
  snapLen: number;
  name?: string;
  /** bytes of frame check sequence at the end of every packet, when the file says (pcap link-type field, pcapng if_fcslen) */
  fcsBytes?: number;
}

/**
 * Bad input: a user mistake or a damaged file, never a bug. The CLI prints
 * `flowsig: FILE: offset N: MESSAGE` (or line:column for text) and exits 2.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    /** byte offset in the file where the damage starts, if known */
    readonly offset: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }

  /** The one line the user sees. */
  describe(): string {
    const where = this.offset === undefined ? '' : ` offset ${this.offset}:`;
    return `${this.file}:${where} ${this.message}`;
  }
}

/** What a capture parser reports besides packets. All optional, none on the hot path. */
export interface CaptureHooks {
  /** An interface became known: the pcap file header, or a pcapng Interface Description Block. */
  onInterface?(iface: CaptureInterface): void;
}

/** The container format of a capture file. */
export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * How the chunk driver (open.ts) talks to one container format (pcap.ts,
 * pcapng.ts). The driver owns chunking and carrying partial records over
 * chunk boundaries; the format owns everything inside a record.
 */
export interface RecordReader {
  readonly format: CaptureFormat;
  /** Packets delivered to the sink so far. */
  readonly packets: number;
  /** Bytes needed at the start of the next record to learn its total length. */
  headerLength(): number;
  /** Total length of the record at `pos` (file offset `offset`); throws InputError when its header is bad. */
  recordLength(buf: Buffer, pos: number, offset: number): number;
  /**
   * Deliver every whole record in buf[pos, end), `base` being the file offset
   * of buf[0]. Returns where the first incomplete record starts (end if none).
   */
  run(buf: Buffer, pos: number, end: number, base: number): number;
  /** What the next record is called in "file ends in the middle of a ..." */
  recordName(haveHeader: boolean): string;
}

/** Opens an input file for reading; a missing, unreadable or directory path is an InputError (one line, exit 2). */
export function openInput(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new InputError(path, undefined, `cannot open: ${why}`);
  }
}

