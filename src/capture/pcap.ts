/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then
 * records of a 16-byte header and the packet bytes. Both byte orders,
 * microsecond and nanosecond magics, and Alexey Kuznetzov's "modified" pcap
 * whose record header carries 8 more bytes.
 *
 * The reader parses records in place inside the caller's chunk; open.ts
 * carries a record that spans two chunks.
 */
import { InputError, type CaptureHooks, type PacketSink, type RecordReader } from './types.js';

// File header
const MAGIC = 0;
const VERSION_MAJOR = 4;
const VERSION_MINOR = 6;
const SNAPLEN = 16;
const LINKTYPE = 20;
export const PCAP_HEADER_LENGTH = 24;

// Record header
const TS_SEC = 0;
const TS_FRAC = 4;
const INCL_LEN = 8;
const ORIG_LEN = 12;
export const RECORD_HEADER_LENGTH = 16;
/** modified pcap adds ifindex (4), protocol (2), pkt_type (1), padding (1) */
export const MODIFIED_RECORD_HEADER_LENGTH = 24;

/** As read big-endian from the first 4 bytes of a file written on a big-endian host. */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

/**
 * Largest captured length we accept, whatever the header's snaplen says:
 * libpcap's and Wireshark's maximum snaplen. Anything longer is a damaged
 * record header, and refusing it early keeps a pipe reader from waiting for
 * megabytes that will never form a packet.
 */
export const MAX_CAPTURED_LENGTH = 262144;

// The link-type field: LINKTYPE in the low 16 bits, FCS information on top.
const LINKTYPE_MASK = 0x0000ffff;
const LINKTYPE_RESERVED_MASK = 0x03ff0000;
const LINKTYPE_FCS_PRESENT = 0x04000000;
const LINKTYPE_FCS_SHIFT = 28;

/** Version 2.2 and older wrote orig_len before incl_len; 2.3 files may have either order. */
const enum Lengths {
  InOrder = 0,
  Swapped = 1,
  MaybeSwapped = 2,
}

export interface PcapHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  modified: boolean;
  versionMajor: number;
  versionMinor: number;
  snapLen: number;
  linkType: number;
  /** bytes of FCS at the end of each packet, when the link-type field says (0 when unknown) */
  fcsBytes: number;
}

/** Whether these 4 bytes (read big-endian) start a pcap file. */
export function isPcapMagic(magic: number): boolean {
  return pcapMagicKind(magic) !== undefined;
}

function pcapMagicKind(magic: number): { littleEndian: boolean; nanosecond: boolean; modified: boolean } | undefined {
  const swapped = (((magic & 0xff) << 24) | ((magic & 0xff00) << 8) | ((magic >>> 8) & 0xff00) | (magic >>> 24)) >>> 0;
  for (const [value, littleEndian] of [
    [magic, false],
    [swapped, true],
  ] as const) {
    if (value === PCAP_MAGIC_MICROSECONDS) return { littleEndian, nanosecond: false, modified: false };
    if (value === PCAP_MAGIC_NANOSECONDS) return { littleEndian, nanosecond: true, modified: false };
    if (value === PCAP_MAGIC_MODIFIED) return { littleEndian, nanosecond: false, modified: true };
  }
  return undefined;
}

/** Decode and check the 24-byte file header at `pos` (file offset `offset`). */
export function decodeHeader(buf: Buffer, pos: number, file: string, offset: number): PcapHeader {
  const kind = pcapMagicKind(buf.readUInt32BE(pos + MAGIC));
  if (kind === undefined) {
    throw new InputError(file, offset, `not a pcap file (magic 0x${buf.toString('hex', pos, pos + 4)})`);
  }
  const le = kind.littleEndian;
  const versionMajor = le ? buf.readUInt16LE(pos + VERSION_MAJOR) : buf.readUInt16BE(pos + VERSION_MAJOR);
  const versionMinor = le ? buf.readUInt16LE(pos + VERSION_MINOR) : buf.readUInt16BE(pos + VERSION_MINOR);
  if (versionMajor !== PCAP_VERSION_MAJOR) {
    throw new InputError(
      file,
      offset + VERSION_MAJOR,
      `pcap file header: version ${versionMajor}.${versionMinor} is not supported (expected ${PCAP_VERSION_MAJOR}.${PCAP_VERSION_MINOR})`,
    );
  }
  const snapLen = le ? buf.readUInt32LE(pos + SNAPLEN) : buf.readUInt32BE(pos + SNAPLEN);
  const linkField = le ? buf.readUInt32LE(pos + LINKTYPE) : buf.readUInt32BE(pos + LINKTYPE);
  const reserved = (linkField & LINKTYPE_RESERVED_MASK) >>> 0;
  if (reserved !== 0) {
    // libpcap and Wireshark refuse these too: the field is not a link type we can trust.
    throw new InputError(
      file,
      offset + LINKTYPE,
      `pcap file header: link-type field 0x${hex32(linkField)} has reserved bits set (0x${hex32(reserved)}); they must be zero`,
    );
  }
  const fcsBytes = (linkField & LINKTYPE_FCS_PRESENT) !== 0 ? (linkField >>> LINKTYPE_FCS_SHIFT) * 2 : 0;
  return { ...kind, versionMajor, versionMinor, snapLen, linkType: linkField & LINKTYPE_MASK, fcsBytes };
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * A pcap RecordReader for open.ts: the first record it reads is the file
 * header, then packet records. Throws InputError on a bad header.
 */
export function createPcapReader(file: string, sink: PacketSink, hooks: CaptureHooks = {}): RecordReader {
  let header: PcapHeader | undefined;
  let le = true;
  let nanosecond = false;
  let recordHeaderLength = RECORD_HEADER_LENGTH;
  let lengths = Lengths.InOrder;
  let linkType = 0;
  let snapLen = 0;
  let packets = 0;

  function start(buf: Buffer, pos: number, offset: number): void {
    header = decodeHeader(buf, pos, file, offset);
    le = header.littleEndian;
    nanosecond = header.nanosecond;
    recordHeaderLength = header.modified ? MODIFIED_RECORD_HEADER_LENGTH : RECORD_HEADER_LENGTH;
    if (header.versionMinor < 3) lengths = Lengths.Swapped;
    else if (header.versionMinor === 3) lengths = Lengths.MaybeSwapped;
    linkType = header.linkType;
    snapLen = header.snapLen;
    hooks.onInterface?.({ index: 0, linkType, snapLen, fcsBytes: header.fcsBytes });
  }

  function capturedLength(buf: Buffer, pos: number): number {
    const incl = le ? buf.readUInt32LE(pos + INCL_LEN) : buf.readUInt32BE(pos + INCL_LEN);
    if (lengths === Lengths.InOrder) return incl;
    const orig = le ? buf.readUInt32LE(pos + ORIG_LEN) : buf.readUInt32BE(pos + ORIG_LEN);
    return lengths === Lengths.Swapped || incl > orig ? orig : incl;
  }

  function tooLong(capLen: number, offset: number): InputError {
    const limit = snapLen > 0 && snapLen < MAX_CAPTURED_LENGTH ? `snaplen ${snapLen} and the ${MAX_CAPTURED_LENGTH}-byte limit` : `the ${MAX_CAPTURED_LENGTH}-byte limit`;
    return new InputError(file, offset, `pcap record header: captured length ${capLen} exceeds ${limit}`);
  }

  function recordLength(buf: Buffer, pos: number, offset: number): number {
    if (header === undefined) return PCAP_HEADER_LENGTH;
    const capLen = capturedLength(buf, pos);
    if (capLen > MAX_CAPTURED_LENGTH) throw tooLong(capLen, offset);
    return recordHeaderLength + capLen;
  }

  function run(buf: Buffer, pos: number, end: number, base: number): number {
    if (header === undefined) {
      if (end - pos < PCAP_HEADER_LENGTH) return pos;
      start(buf, pos, base + pos);
      pos += PCAP_HEADER_LENGTH;
    }
    const hdrLen = recordHeaderLength;
    while (end - pos >= hdrLen) {
      let capLen: number;
      let wireLen: number;
      let sec: number;
      let frac: number;
      // plain byte reads: Buffer.readUInt32* validate their arguments on every call
      if (le) {
        sec = u32le(buf, pos + TS_SEC);
        frac = u32le(buf, pos + TS_FRAC);
        capLen = u32le(buf, pos + INCL_LEN);
        wireLen = u32le(buf, pos + ORIG_LEN);
      } else {
        sec = u32be(buf, pos + TS_SEC);
        frac = u32be(buf, pos + TS_FRAC);
        capLen = u32be(buf, pos + INCL_LEN);
        wireLen = u32be(buf, pos + ORIG_LEN);
      }
      if (lengths !== Lengths.InOrder && (lengths === Lengths.Swapped || capLen > wireLen)) {
        const incl = wireLen;
        wireLen = capLen;
        capLen = incl;
      }
      if (capLen > MAX_CAPTURED_LENGTH) throw tooLong(capLen, base + pos);
      if (end - pos - hdrLen < capLen) break;
      // One rounding each: sec*1e6 + µs is an exact integer below 2^53, and
      // sec*1000 is exact. A fraction beyond one second (fuzzed files) simply adds up.
      const tsMs = nanosecond ? sec * 1000 + frac / 1e6 : (sec * 1e6 + frac) / 1000;
      packets++;
      sink.packet(buf, pos + hdrLen, capLen, wireLen, tsMs, 0, linkType);
      pos += hdrLen + capLen;
    }
    return pos;
  }

  return {
    format: 'pcap',
    get packets() {
      return packets;
    },
    headerLength: () => (header === undefined ? PCAP_HEADER_LENGTH : recordHeaderLength),
    recordLength,
    run,
    recordName: (haveHeader) => (header === undefined ? 'pcap file header' : haveHeader ? 'packet record' : 'pcap record header'),
  };
}

function u32le(buf: Buffer, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

function u32be(buf: Buffer, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}
