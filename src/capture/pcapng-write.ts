/**
 * Writing pcapng: one Section Header Block, one Interface Description Block
 * per interface (if_name, if_tsresol = 9: nanoseconds), then an Enhanced
 * Packet Block per packet. The writer is a PacketSink: `ifIndex` picks the
 * interface, which must have been added first.
 */
import { MAX_CAPTURED_LENGTH } from './pcap.js';
import { createByteOutput } from './pcap-write.js';
import {
  BLOCK_ENHANCED_PACKET,
  BLOCK_INTERFACE_DESCRIPTION,
  BLOCK_SECTION_HEADER,
  BYTE_ORDER_MAGIC,
  EPB_MIN_LENGTH,
  IDB_MIN_LENGTH,
  IF_NAME,
  IF_TSRESOL,
  OPT_END,
  PCAPNG_VERSION_MAJOR,
  PCAPNG_VERSION_MINOR,
  SHB_MIN_LENGTH,
} from './pcapng.js';
import type { PacketSink } from './types.js';

const SHB_USERAPPL = 4;
const TSRESOL_NANOSECONDS = 9;
const USER_APPLICATION = 'flowsig';

export interface PcapngInterfaceOptions {
  linkType: number;
  /** longer packets are cut to this; 262144 by default */
  snapLen?: number;
  name?: string;
}

export interface PcapngWriterOptions {
  interfaces?: PcapngInterfaceOptions[];
  bigEndian?: boolean;
  /** write to this file descriptor instead of keeping the bytes in memory */
  fd?: number;
}

export interface PcapngWriter extends PacketSink {
  /** Describe one more interface; returns its index. */
  addInterface(iface: PcapngInterfaceOptions): number;
  /** PacketSink: `ifIndex` must name an added interface; `linkType` is that interface's and is not checked. */
  packet(buf: Buffer, offset: number, capLen: number, wireLen: number, tsMs: number, ifIndex: number, linkType?: number): void;
  /** Exact timestamps, as the integers a capture device gives. */
  packetAt(buf: Buffer, offset: number, capLen: number, wireLen: number, seconds: number, nanoseconds: number, ifIndex: number): void;
  flush(): void;
  /** Everything written so far, in memory mode. A view: copy it before writing more. */
  toBuffer(): Buffer;
  readonly packets: number;
}

const padded = (n: number) => (n + 3) & ~3;
/** option header + value, padded */
const optionLength = (valueLength: number) => 4 + padded(valueLength);

export function createPcapngWriter(opts: PcapngWriterOptions = {}): PcapngWriter {
  const out = createByteOutput(opts.fd);
  const be = opts.bigEndian === true;
  const snapLens: number[] = [];
  let packets = 0;

  const u32 = (value: number, at: number) => (be ? out.buf.writeUInt32BE(value, at) : out.buf.writeUInt32LE(value, at));
  const u16 = (value: number, at: number) => (be ? out.buf.writeUInt16BE(value, at) : out.buf.writeUInt16LE(value, at));

  /** Start a block of `length` bytes at out.used; returns its position. The trailer is written too. */
  function block(type: number, length: number): number {
    out.ensure(length);
    const at = out.used;
    u32(type, at);
    u32(length, at + 4);
    u32(length, at + length - 4);
    out.used += length;
    return at;
  }

  function option(code: number, value: Buffer, at: number): number {
    u16(code, at);
    u16(value.length, at + 2);
    value.copy(out.buf, at + 4);
    out.buf.fill(0, at + 4 + value.length, at + optionLength(value.length));
    return at + optionLength(value.length);
  }

  function sectionHeader(): void {
    const userAppl = Buffer.from(USER_APPLICATION);
    const at = block(BLOCK_SECTION_HEADER, SHB_MIN_LENGTH + optionLength(userAppl.length) + 4);
    u32(BYTE_ORDER_MAGIC, at + 8);
    u16(PCAPNG_VERSION_MAJOR, at + 12);
    u16(PCAPNG_VERSION_MINOR, at + 14);
    out.buf.fill(0xff, at + 16, at + 24); // section length: not given
    const end = option(SHB_USERAPPL, userAppl, at + 24);
    u32(OPT_END, end);
  }

  function addInterface(iface: PcapngInterfaceOptions): number {
    const name = iface.name === undefined ? undefined : Buffer.from(iface.name);
    const options = (name === undefined ? 0 : optionLength(name.length)) + optionLength(1) + 4;
    const snapLen = iface.snapLen ?? MAX_CAPTURED_LENGTH;
    const at = block(BLOCK_INTERFACE_DESCRIPTION, IDB_MIN_LENGTH + options);
    u16(iface.linkType, at + 8);
    u16(0, at + 10);
    u32(snapLen, at + 12);
    let pos = at + 16;
    if (name !== undefined) pos = option(IF_NAME, name, pos);
    pos = option(IF_TSRESOL, Buffer.from([TSRESOL_NANOSECONDS]), pos);
    u32(OPT_END, pos);
    snapLens.push(snapLen);
    return snapLens.length - 1;
  }

  /**
   * The 64-bit nanosecond count seconds·1e9 + nanoseconds, split in 32-bit
   * words without BigInt: 1e9 = 512·1953125, and seconds·1953125 < 2^53.
   */
  function enhancedPacket(buf: Buffer, offset: number, capLen: number, wireLen: number, seconds: number, nanoseconds: number, ifIndex: number): void {
    if (!(ifIndex >= 0 && ifIndex < snapLens.length)) throw new RangeError(`pcapng writer: interface ${ifIndex} was not added (${snapLens.length} so far)`);
    if (!(seconds >= 0 && seconds <= 0xffffffff)) throw new RangeError(`pcapng writer: timestamps hold 0..2^32-1 seconds since 1970, not ${seconds}`);
    const length = Math.min(capLen, snapLens[ifIndex]);
    const scaled = seconds * 1953125;
    const scaledHigh = Math.floor(scaled / 8388608); // 2^23
    const low = (scaled - scaledHigh * 8388608) * 512 + nanoseconds;
    const carry = Math.floor(low / 4294967296);
    const at = block(BLOCK_ENHANCED_PACKET, EPB_MIN_LENGTH + padded(length));
    u32(ifIndex, at + 8);
    u32(scaledHigh + carry, at + 12);
    u32(low - carry * 4294967296, at + 16);
    u32(length, at + 20);
    u32(wireLen, at + 24);
    buf.copy(out.buf, at + 28, offset, offset + length);
    out.buf.fill(0, at + 28 + length, at + 28 + padded(length));
    packets++;
  }

  sectionHeader();
  for (const iface of opts.interfaces ?? []) addInterface(iface);

  return {
    addInterface,
    packet(buf, offset, capLen, wireLen, tsMs, ifIndex) {
      let seconds = Math.floor(tsMs / 1000);
      let nanoseconds = Math.round((tsMs - seconds * 1000) * 1e6);
      if (nanoseconds >= 1e9) {
        seconds++;
        nanoseconds -= 1e9;
      }
      enhancedPacket(buf, offset, capLen, wireLen, seconds, nanoseconds, ifIndex);
    },
    packetAt: enhancedPacket,
    flush: () => out.flush(),
    toBuffer: () => out.bytes(),
    get packets() {
      return packets;
    },
  };
}
