import { describe, expect, it } from 'vitest';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { isoMicros, parseBytes, parseFile } from './collect.js';

// ---- a small pcap builder, independent of pcap-write.ts ----

interface HeaderFields {
  magic?: number;
  le?: boolean;
  major?: number;
  minor?: number;
  snapLen?: number;
  linkField?: number;
}

function header({ magic = 0xa1b2c3d4, le = true, major = 2, minor = 4, snapLen = 65535, linkField = 1 }: HeaderFields = {}): Buffer {
  const b = Buffer.alloc(24);
  const w32 = (v: number, at: number) => (le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  const w16 = (v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  w32(magic, 0);
  w16(major, 4);
  w16(minor, 6);
  w32(snapLen, 16);
  w32(linkField, 20);
  return b;
}

function record(le: boolean, sec: number, frac: number, data: Buffer, wireLen = data.length, extra = 0, swapped = false): Buffer {
  const b = Buffer.alloc(16 + extra + data.length);
  const w32 = (v: number, at: number) => (le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  w32(sec, 0);
  w32(frac, 4);
  w32(swapped ? wireLen : data.length, 8);
  w32(swapped ? data.length : wireLen, 12);
  data.copy(b, 16 + extra);
  return b;
}

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('pcap reader', () => {
  for (const le of [true, false]) {
    const order = le ? 'little' : 'big';
    it(`reads microsecond and nanosecond files, ${order}-endian`, () => {
      const micro = Buffer.concat([header({ le }), record(le, 1_700_000_000, 123_456, bytes(60, 1), 1514), record(le, 1_700_000_001, 999_999, bytes(42, 2))]);
      expect(parseBytes(micro).packets.map((p) => [p.tsMs, p.capLen, p.wireLen, p.ifIndex, p.linkType, p.data[0]])).toEqual([
        [1_700_000_000_123.456, 60, 1514, 0, 1, 1],
        [1_700_000_001_999.999, 42, 42, 0, 1, 2],
      ]);
      const nano = Buffer.concat([header({ le, magic: 0xa1b23c4d, linkField: 113 }), record(le, 1_700_000_000, 123_456_789, bytes(60, 1))]);
      expect(parseBytes(nano).packets.map((p) => [p.tsMs, p.linkType])).toEqual([[1_700_000_000_123.456789, 113]]);
    });

    it(`reads Kuznetzov's modified pcap (24-byte record headers), ${order}-endian`, () => {
      const file = Buffer.concat([header({ le, magic: 0xa1b2cd34 }), record(le, 10, 5, bytes(30, 3), 30, 8), record(le, 11, 6, bytes(50, 4), 60, 8)]);
      expect(parseBytes(file).packets.map((p) => [p.tsMs, p.capLen, p.wireLen, p.data[0], p.data[p.capLen - 1]])).toEqual([
        [10_000.005, 30, 30, 3, 3],
        [11_000.006, 50, 60, 4, 4],
      ]);
    });
  }

  it('swaps the lengths of version 2.2 records and of 2.3 records stored the old way round', () => {
    const v22 = Buffer.concat([header({ minor: 2 }), record(true, 1, 0, bytes(40, 5), 1500, 0, true)]);
    expect(parseBytes(v22).packets.map((p) => [p.capLen, p.wireLen])).toEqual([[40, 1500]]);
    const v23 = Buffer.concat([header({ minor: 3 }), record(true, 1, 0, bytes(40, 5), 1500, 0, true), record(true, 2, 0, bytes(20, 6), 90)]);
    expect(parseBytes(v23).packets.map((p) => [p.capLen, p.wireLen])).toEqual([
      [40, 1500],
      [20, 90],
    ]);
  });

  it('reads the link type from the low 16 bits and the FCS length from the top bits', () => {
    // FCS length 2 (16-bit words) with the "present" bit: 4 bytes of FCS on every Ethernet frame
    const { interfaces, packets } = parseBytes(Buffer.concat([header({ linkField: 0x24000001 }), record(true, 1, 0, bytes(64, 7))]));
    expect(interfaces).toEqual([{ index: 0, linkType: 1, snapLen: 65535, fcsBytes: 4 }]);
    expect(packets[0].linkType).toBe(1);
    // FCS bits without the "present" bit say nothing (the fuzzed nDPI file has 0x40000000)
    expect(parseBytes(header({ linkField: 0x40000000 })).interfaces).toEqual([{ index: 0, linkType: 0, snapLen: 65535, fcsBytes: 0 }]);
  });

  it('accepts a captured length above the snaplen up to 262144 bytes', () => {
    const file = Buffer.concat([header({ snapLen: 68 }), record(true, 1, 0, bytes(9000, 8))]);
    expect(parseBytes(file).packets.map((p) => p.capLen)).toEqual([9000]);
  });

  const damaged: [string, Buffer, number, number | undefined, string][] = [
    ['an empty file', Buffer.alloc(0), 0, 0, 'empty file, expected a pcap or pcapng header'],
    ['a 3-byte file', Buffer.from([0xd4, 0xc3, 0xb2]), 0, 0, 'file ends after 3 bytes, expected a pcap or pcapng header'],
    ['a text file', Buffer.from('Hello, world\n'), 0, 0, 'not a pcap or pcapng file (magic 0x48656c6c: looks like text)'],
    ['a gzip file', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0]), 0, 0, 'not a pcap or pcapng file (magic 0x1f8b0800: gzip-compressed, decompress it first)'],
    ['a binary non-capture', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 0, 0, 'not a pcap or pcapng file (magic 0x7f454c46)'],
    ['a cut file header', header().subarray(0, 10), 0, 0, 'file ends in the middle of a pcap file header (needed 24 bytes, 10 left)'],
    ['version 1.4', header({ major: 1 }), 0, 4, 'pcap file header: version 1.4 is not supported (expected 2.4)'],
    ['reserved link-type bits', header({ linkField: 0x00010001 }), 0, 20, 'pcap file header: link-type field 0x00010001 has reserved bits set (0x00010000); they must be zero'],
    [
      'a captured length beyond 262144',
      Buffer.concat([header(), record(true, 1, 0, bytes(10, 1)), record(true, 2, 0, bytes(10, 1), 9_000_000, 0, true).fill(0, 8, 12).fill(0x40, 10, 11)]),
      1,
      50,
      'pcap record header: captured length 4194304 exceeds snaplen 65535 and the 262144-byte limit',
    ],
    ['a cut record', Buffer.concat([header(), record(true, 1, 0, bytes(10, 1)), record(true, 2, 0, bytes(58, 1)).subarray(0, 30)]), 1, 50, 'file ends in the middle of a packet record (needed 74 bytes, 30 left)'],
    ['a cut record header', Buffer.concat([header(), record(true, 1, 0, bytes(10, 1)), bytes(7, 0)]), 1, 50, 'file ends in the middle of a pcap record header (needed 16 bytes, 7 left)'],
  ];
  for (const [what, file, delivered, offset, message] of damaged) {
    it(`refuses ${what} at offset ${offset}, after ${delivered} packet(s)`, () => {
      for (const chunkSize of [undefined, 1, 5]) {
        const { packets, error } = parseBytes(file, chunkSize);
        expect(error?.offset).toBe(offset);
        expect(error?.message).toBe(message);
        expect(packets.length).toBe(delivered);
      }
    });
  }

  it('stays failed after an error', async () => {
    const { createCaptureParser } = await import('../../src/capture/open.js');
    const parser = createCaptureParser('x', { packet() {} });
    expect(() => parser.push(Buffer.from('nope'))).toThrow('not a pcap or pcapng file');
    expect(() => parser.push(header())).toThrow('not a pcap or pcapng file');
    expect(() => parser.end()).toThrow('not a pcap or pcapng file');
  });
});

describe.skipIf(!HAVE_CORPUS)(`pcap corpus files${HAVE_CORPUS ? '' : ` (${NO_CORPUS_MESSAGE})`}`, () => {
  it('arkime-big-endian-pcap: big-endian microseconds', () => {
    const { packets, interfaces } = parseFile(corpusPath('linktypes/arkime-big-endian-pcap.pcap'));
    expect(interfaces).toEqual([{ index: 0, linkType: 1, snapLen: 65535, fcsBytes: 0 }]);
    expect(packets.map((p) => [isoMicros(p.tsMs), p.capLen, p.wireLen])).toEqual([
      ['2012-05-02T11:31:53.152630Z', 98, 98],
      ['2012-05-02T11:31:57.529201Z', 98, 98],
    ]);
  });

  it('pcapplusplus-big-endian-nanosecond and tcpdump-tcp-handshake-nanosecond: nanoseconds both ways round', () => {
    const be = parseFile(corpusPath('linktypes/pcapplusplus-big-endian-nanosecond.pcap')).packets;
    expect([be[0].tsMs, be[9].tsMs]).toEqual([1766361926167.647291, 1766361926168.451894]);
    const le = parseFile(corpusPath('linktypes/tcpdump-tcp-handshake-nanosecond.pcap'));
    expect(le.interfaces[0].linkType).toBe(113);
    expect(le.packets.map((p) => [p.tsMs, p.capLen])).toEqual([
      [1418145369924.505488, 76],
      [1418145370052.027262, 76],
      [1418145370052.115157, 68],
    ]);
  });

  it('reads each raw-IP link type as the file states it', () => {
    const linkType = (path: string) => parseFile(corpusPath(path)).packets[0].linkType;
    expect(linkType('linktypes/tcpdump-linktype-raw-ipv4.pcap')).toBe(101);
    expect(linkType('linktypes/tcpdump-linktype-ipv4.pcap')).toBe(228);
    expect(linkType('linktypes/tcpdump-linktype-ipv6.pcap')).toBe(229);
    expect(linkType('linktypes/zeek-linux-sll2.pcap')).toBe(276);
    // MANIFEST's description says LINKTYPE_PPP (9) and Wireshark shows "PPP", but the header holds PPP_HDLC (50)
    expect(linkType('linktypes/tcpdump-ppp-ip-udp-dns.pcap')).toBe(50);
    expect(linkType('linktypes/pcapplusplus-null-loopback-v4-v6.pcap')).toBe(0);
  });

  it('zeek-tcp-snaplen68: records cut to the 68-byte snaplen keep their wire length', () => {
    const { packets } = parseFile(corpusPath('malformed/zeek-tcp-snaplen68.pcap'));
    expect(packets.length).toBe(24);
    expect(packets.every((p) => p.capLen <= 68 && p.wireLen > p.capLen)).toBe(true);
    expect(packets.reduce((sum, p) => sum + p.wireLen, 0)).toBe(1993);
  });
});
