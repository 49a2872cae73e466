/**
 * Test-only classic pcap reader (the real one lives in src/capture/ and is
 * not a dependency of the decoder tests). Little- or big-endian, µs or ns.
 * A record cut off by the end of the file ends the list.
 */
export interface PcapRecord {
  /** the whole file; the record's bytes start at `off` */
  data: Buffer;
  off: number;
  capLen: number;
  wireLen: number;
}

export interface ClassicPcap {
  linkType: number;
  records: PcapRecord[];
  /** the file ended inside a record */
  truncated: boolean;
}

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

export function isClassicPcap(data: Buffer): boolean {
  if (data.length < FILE_HEADER_LEN) return false;
  const le = data.readUInt32LE(0);
  const be = data.readUInt32BE(0);
  return le === MAGIC_MICROSECONDS || le === MAGIC_NANOSECONDS || be === MAGIC_MICROSECONDS || be === MAGIC_NANOSECONDS;
}

export function readClassicPcap(data: Buffer): ClassicPcap {
  if (!isClassicPcap(data)) throw new Error('not a classic pcap file');
  const littleEndian = data.readUInt32LE(0) === MAGIC_MICROSECONDS || data.readUInt32LE(0) === MAGIC_NANOSECONDS;
  const u16 = (off: number) => (littleEndian ? data.readUInt16LE(off) : data.readUInt16BE(off));
  const u32 = (off: number) => (littleEndian ? data.readUInt32LE(off) : data.readUInt32BE(off));
  if (u16(4) !== 2) throw new Error(`pcap version ${u16(4)}.${u16(6)} is not 2.x`);
  // the upper bits of the link-type word hold FCS information
  const linkType = u32(20) & 0xffff;
  const records: PcapRecord[] = [];
  let off = FILE_HEADER_LEN;
  while (off + RECORD_HEADER_LEN <= data.length) {
    const capLen = u32(off + 8);
    const wireLen = u32(off + 12);
    if (off + RECORD_HEADER_LEN + capLen > data.length) return { linkType, records, truncated: true };
    records.push({ data, off: off + RECORD_HEADER_LEN, capLen, wireLen });
    off += RECORD_HEADER_LEN + capLen;
  }
  return { linkType, records, truncated: off !== data.length };
}
