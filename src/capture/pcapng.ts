/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of blocks, each
 * `type, totalLength, body, totalLength`. A Section Header Block starts a
 * section and fixes its byte order; Interface Description Blocks number the
 * section's interfaces; Enhanced, Simple and (obsolete) Packet Blocks carry
 * packets. Every other block is skipped by its length.
 *
 * Interfaces are numbered within the file: a later section's IDBs continue
 * after the earlier sections' so that two sections never share an index.
 */
import { InputError, type CaptureHooks, type PacketSink, type RecordReader } from './types.js';

// Every block
const BLOCK_TYPE = 0;
const BLOCK_LENGTH = 4;
/** type + length + trailing length */
export const BLOCK_OVERHEAD = 12;
/**
 * Largest block we accept (Wireshark's limit too). A longer length is a
 * damaged file, and refusing it early keeps a pipe reader from waiting for it.
 */
export const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

export const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
export const BLOCK_INTERFACE_DESCRIPTION = 0x00000001;
export const BLOCK_PACKET = 0x00000002;
export const BLOCK_SIMPLE_PACKET = 0x00000003;
export const BLOCK_NAME_RESOLUTION = 0x00000004;
export const BLOCK_INTERFACE_STATISTICS = 0x00000005;
export const BLOCK_ENHANCED_PACKET = 0x00000006;

// Section Header Block
const SHB_BYTE_ORDER_MAGIC = 8;
const SHB_VERSION_MAJOR = 12;
const SHB_VERSION_MINOR = 14;
const SHB_OPTIONS = 24;
export const SHB_MIN_LENGTH = 28;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_VERSION_MAJOR = 1;
export const PCAPNG_VERSION_MINOR = 0;

// Interface Description Block
const IDB_LINKTYPE = 8;
const IDB_SNAPLEN = 12;
const IDB_OPTIONS = 16;
export const IDB_MIN_LENGTH = 20;
export const OPT_END = 0;
export const IF_NAME = 2;
export const IF_TSRESOL = 9;
export const IF_FCSLEN = 13;
export const IF_TSOFFSET = 14;

// Enhanced Packet Block
const EPB_INTERFACE_ID = 8;
const EPB_TS_HIGH = 12;
const EPB_TS_LOW = 16;
const EPB_CAPTURED_LENGTH = 20;
const EPB_ORIGINAL_LENGTH = 24;
const EPB_DATA = 28;
export const EPB_MIN_LENGTH = 32;

// Simple Packet Block
const SPB_ORIGINAL_LENGTH = 8;
const SPB_DATA = 12;
const SPB_MIN_LENGTH = 16;

// Packet Block (obsolete): 16-bit interface id and drop count, then as the EPB
const PB_INTERFACE_ID = 8;
const PB_TS_HIGH = 12;
const PB_TS_LOW = 16;
const PB_CAPTURED_LENGTH = 20;
const PB_ORIGINAL_LENGTH = 24;
const PB_DATA = 28;
const PB_MIN_LENGTH = 32;

const TWO_POW_32 = 4294967296;
const TWO_POW_48 = 281474976710656;

/**
 * One interface and how to turn its timestamps into milliseconds. A
 * timestamp is a 64-bit count of units (1/unitsPerSecond s) split in two
 * 32-bit words; in nanoseconds it exceeds 2^53. With
 *   2^48 = q48·R + r48 and 2^32 = q32·R + r32,
 * hi·2^32 + lo = R·(hiH·q48 + hiL·q32) + (hiH·r48 + hiL·r32 + lo), where
 * hi = hiH·2^16 + hiL. The last term stays below 2^50 for R ≤ 2^32, so the
 * seconds and the remainder come out exact without BigInt.
 */
interface Interface {
  index: number;
  linkType: number;
  snapLen: number;
  unitsPerSecond: number;
  /** the split above is exact (unitsPerSecond ≤ 2^32); otherwise plain floating point */
  exact: boolean;
  q48: number;
  r48: number;
  q32: number;
  r32: number;
  /** milliseconds per unit of the high word, for the floating-point path */
  highWordMs: number;
  offsetMs: number;
}

function createInterface(index: number, linkType: number, snapLen: number, tsresol: number, offsetSeconds: number): Interface {
  const exponent = tsresol & 0x7f;
  const unitsPerSecond = (tsresol & 0x80) !== 0 ? 2 ** exponent : 10 ** exponent;
  const exact = unitsPerSecond <= TWO_POW_32;
  const q48 = Math.floor(TWO_POW_48 / unitsPerSecond);
  const q32 = Math.floor(TWO_POW_32 / unitsPerSecond);
  return {
    index,
    linkType,
    snapLen,
    unitsPerSecond,
    exact,
    q48,
    r48: exact ? TWO_POW_48 - q48 * unitsPerSecond : 0,
    q32,
    r32: exact ? TWO_POW_32 - q32 * unitsPerSecond : 0,
    highWordMs: (TWO_POW_32 * 1000) / unitsPerSecond,
    offsetMs: offsetSeconds * 1000,
  };
}

/** Milliseconds since the epoch of the timestamp `high`·2^32 + `low` on `iface`. */
export function timestampMs(iface: Interface, high: number, low: number): number {
  if (!iface.exact) return iface.offsetMs + high * iface.highWordMs + (low * 1000) / iface.unitsPerSecond;
  const highHigh = high >>> 16;
  const highLow = high & 0xffff;
  const units = highHigh * iface.r48 + highLow * iface.r32 + low;
  const carry = Math.floor(units / iface.unitsPerSecond);
  const seconds = highHigh * iface.q48 + highLow * iface.q32 + carry;
  return seconds * 1000 + iface.offsetMs + ((units - carry * iface.unitsPerSecond) * 1000) / iface.unitsPerSecond;
}

/** Default if_tsresol: microseconds. */
const TSRESOL_MICROSECONDS = 6;

/**
 * A pcapng RecordReader for open.ts. Throws InputError on a damaged block,
 * after every packet before it has reached the sink.
 */
export function createPcapngReader(file: string, sink: PacketSink, hooks: CaptureHooks = {}): RecordReader {
  let le = true;
  let inSection = false;
  const interfaces: Interface[] = [];
  /** index of the current section's interface 0 */
  let sectionBase = 0;
  let packets = 0;
  /** Simple Packet Blocks have no timestamp: they get the previous packet's (0 before any). */
  let lastTsMs = 0;

  const u32 = (buf: Buffer, pos: number) => (le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos));
  const u16 = (buf: Buffer, pos: number) => (le ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos));

  function fail(offset: number, message: string): never {
    throw new InputError(file, offset, message);
  }

  /** Byte order of the SHB at pos, from its byte-order magic. */
  function sectionIsLittleEndian(buf: Buffer, pos: number, offset: number): boolean {
    const magic = buf.readUInt32BE(pos + SHB_BYTE_ORDER_MAGIC);
    if (magic === BYTE_ORDER_MAGIC) return false;
    if (magic === 0x4d3c2b1a) return true;
    return fail(offset + SHB_BYTE_ORDER_MAGIC, `pcapng section header block: byte-order magic 0x${magic.toString(16).padStart(8, '0')} is neither 1a2b3c4d nor 4d3c2b1a`);
  }

  function blockLength(buf: Buffer, pos: number, offset: number): number {
    const type = u32(buf, pos + BLOCK_TYPE);
    let length: number;
    if (type === BLOCK_SECTION_HEADER) {
      const shbLe = sectionIsLittleEndian(buf, pos, offset);
      length = shbLe ? buf.readUInt32LE(pos + BLOCK_LENGTH) : buf.readUInt32BE(pos + BLOCK_LENGTH);
    } else {
      if (!inSection) fail(offset, `expected a pcapng section header block, found block type 0x${type.toString(16)}`);
      length = u32(buf, pos + BLOCK_LENGTH);
    }
    if (length < BLOCK_OVERHEAD || length % 4 !== 0 || length > MAX_BLOCK_LENGTH) {
      const why = length > MAX_BLOCK_LENGTH ? `exceeds the ${MAX_BLOCK_LENGTH}-byte limit` : length % 4 !== 0 ? 'is not a multiple of 4' : `is below the ${BLOCK_OVERHEAD}-byte minimum`;
      fail(offset, `pcapng block of type 0x${type.toString(16)}: length ${length} ${why}`);
    }
    return length;
  }

  function checkMinimum(length: number, minimum: number, name: string, offset: number): void {
    if (length < minimum) fail(offset, `pcapng ${name}: block length ${length} is below its ${minimum}-byte minimum`);
  }

  /** Walk an option list, calling `each` with the value's position and length. */
  function readOptions(buf: Buffer, pos: number, end: number, base: number, name: string, each: (code: number, at: number, length: number) => void): void {
    while (end - pos >= 4) {
      const code = u16(buf, pos);
      const length = u16(buf, pos + 2);
      if (code === OPT_END) return;
      if (length > end - pos - 4) {
        fail(base + pos, `pcapng ${name}: option ${code} has length ${length} but only ${end - pos - 4} bytes are left in the block`);
      }
      each(code, pos + 4, length);
      pos += 4 + ((length + 3) & ~3);
    }
  }

  function startSection(buf: Buffer, pos: number, length: number, base: number): void {
    const offset = base + pos;
    checkMinimum(length, SHB_MIN_LENGTH, 'section header block', offset);
    le = sectionIsLittleEndian(buf, pos, offset);
    const major = u16(buf, pos + SHB_VERSION_MAJOR);
    const minor = u16(buf, pos + SHB_VERSION_MINOR);
    // 1.2 was written by some early tools and is read as 1.0 by libpcap and Wireshark.
    if (major !== PCAPNG_VERSION_MAJOR || minor > 2) {
      fail(offset + SHB_VERSION_MAJOR, `pcapng section header block: version ${major}.${minor} is not supported (expected ${PCAPNG_VERSION_MAJOR}.${PCAPNG_VERSION_MINOR})`);
    }
    readOptions(buf, pos + SHB_OPTIONS, pos + length - 4, base, 'section header block', () => {});
    inSection = true;
    sectionBase = interfaces.length;
  }

  function addInterface(buf: Buffer, pos: number, length: number, base: number): void {
    checkMinimum(length, IDB_MIN_LENGTH, 'interface description block', base + pos);
    const linkType = u16(buf, pos + IDB_LINKTYPE);
    const snapLen = u32(buf, pos + IDB_SNAPLEN);
    let tsresol = TSRESOL_MICROSECONDS;
    let offsetSeconds = 0;
    let name: string | undefined;
    let fcsBytes: number | undefined;
    readOptions(buf, pos + IDB_OPTIONS, pos + length - 4, base, 'interface description block', (code, at, size) => {
      if (code === IF_NAME) name = buf.toString('utf8', at, at + size);
      else if (code === IF_TSRESOL && size >= 1) tsresol = buf[at];
      else if (code === IF_FCSLEN && size >= 1) fcsBytes = buf[at];
      else if (code === IF_TSOFFSET && size >= 8) {
        const high = le ? buf.readInt32LE(at + 4) : buf.readInt32BE(at);
        const low = le ? buf.readUInt32LE(at) : buf.readUInt32BE(at + 4);
        offsetSeconds = high * TWO_POW_32 + low;
      }
    });
    const index = interfaces.length;
    interfaces.push(createInterface(index, linkType, snapLen, tsresol, offsetSeconds));
    hooks.onInterface?.({ index, linkType, snapLen, name, fcsBytes });
  }

  function sectionInterface(id: number, blockName: string, offset: number): Interface {
    const count = interfaces.length - sectionBase;
    if (id >= count) {
      fail(offset, `pcapng ${blockName}: interface ${id} is not described (the section has ${count} interface${count === 1 ? '' : 's'} so far)`);
    }
    return interfaces[sectionBase + id];
  }

  function dataTooLong(name: string, capLen: number, room: number, offset: number): never {
    return fail(offset, `pcapng ${name}: captured length ${capLen} exceeds the ${room} bytes of packet data in the block`);
  }

  function simplePacket(buf: Buffer, pos: number, length: number, base: number): void {
    checkMinimum(length, SPB_MIN_LENGTH, 'simple packet block', base + pos);
    const iface = sectionInterface(0, 'simple packet block', base + pos);
    const wireLen = u32(buf, pos + SPB_ORIGINAL_LENGTH);
    let capLen = Math.min(wireLen, length - SPB_MIN_LENGTH);
    if (iface.snapLen > 0 && iface.snapLen < capLen) capLen = iface.snapLen;
    packets++;
    sink.packet(buf, pos + SPB_DATA, capLen, wireLen, lastTsMs, iface.index, iface.linkType);
  }

  function obsoletePacket(buf: Buffer, pos: number, length: number, base: number): void {
    checkMinimum(length, PB_MIN_LENGTH, 'packet block', base + pos);
    const iface = sectionInterface(u16(buf, pos + PB_INTERFACE_ID), 'packet block', base + pos);
    const capLen = u32(buf, pos + PB_CAPTURED_LENGTH);
    if (capLen > length - PB_MIN_LENGTH) dataTooLong('packet block', capLen, length - PB_MIN_LENGTH, base + pos);
    lastTsMs = timestampMs(iface, u32(buf, pos + PB_TS_HIGH), u32(buf, pos + PB_TS_LOW));
    packets++;
    sink.packet(buf, pos + PB_DATA, capLen, u32(buf, pos + PB_ORIGINAL_LENGTH), lastTsMs, iface.index, iface.linkType);
  }

  function run(buf: Buffer, pos: number, end: number, base: number): number {
    while (end - pos >= BLOCK_OVERHEAD) {
      const length = blockLength(buf, pos, base + pos);
      if (end - pos < length) break;
      const type = u32(buf, pos + BLOCK_TYPE);
      if (type !== BLOCK_SECTION_HEADER && u32(buf, pos + length - 4) !== length) {
        fail(base + pos, `pcapng block of type 0x${type.toString(16)}: trailing length ${u32(buf, pos + length - 4)} does not match the leading length ${length}`);
      }
      if (type === BLOCK_ENHANCED_PACKET) {
        checkMinimum(length, EPB_MIN_LENGTH, 'enhanced packet block', base + pos);
        const id = u32(buf, pos + EPB_INTERFACE_ID);
        const iface = id < interfaces.length - sectionBase ? interfaces[sectionBase + id] : sectionInterface(id, 'enhanced packet block', base + pos);
        const capLen = u32(buf, pos + EPB_CAPTURED_LENGTH);
        if (capLen > length - EPB_MIN_LENGTH) dataTooLong('enhanced packet block', capLen, length - EPB_MIN_LENGTH, base + pos);
        lastTsMs = timestampMs(iface, u32(buf, pos + EPB_TS_HIGH), u32(buf, pos + EPB_TS_LOW));
        packets++;
        sink.packet(buf, pos + EPB_DATA, capLen, u32(buf, pos + EPB_ORIGINAL_LENGTH), lastTsMs, iface.index, iface.linkType);
      } else if (type === BLOCK_SECTION_HEADER) {
        startSection(buf, pos, length, base);
        // The trailer is read in the byte order the SHB just set.
        if (u32(buf, pos + length - 4) !== length) {
          fail(base + pos, `pcapng section header block: trailing length ${u32(buf, pos + length - 4)} does not match the leading length ${length}`);
        }
      } else if (type === BLOCK_INTERFACE_DESCRIPTION) {
        addInterface(buf, pos, length, base);
      } else if (type === BLOCK_SIMPLE_PACKET) {
        simplePacket(buf, pos, length, base);
      } else if (type === BLOCK_PACKET) {
        obsoletePacket(buf, pos, length, base);
      }
      // Name resolution, statistics, decryption secrets, comments, custom and unknown blocks: skipped.
      pos += length;
    }
    return pos;
  }

  return {
    format: 'pcapng',
    get packets() {
      return packets;
    },
    headerLength: () => BLOCK_OVERHEAD,
    recordLength: blockLength,
    run,
    recordName: () => 'pcapng block',
  };
}
