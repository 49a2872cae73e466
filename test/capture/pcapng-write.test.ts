import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createPcapngWriter, type PcapngWriter } from '../../src/capture/pcapng-write.js';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { collector, parseBytes, type Packet } from './collect.js';

const frame = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

describe('pcapng writer', () => {
  for (const bigEndian of [false, true]) {
    it(`round-trips interfaces, packets, ifIndex, linkType and nanosecond times (${bigEndian ? 'big' : 'little'}-endian)`, () => {
      const writer = createPcapngWriter({ bigEndian, interfaces: [{ linkType: 1, name: 'eth0' }, { linkType: 101, name: 'tun0', snapLen: 100 }] });
      writer.packetAt(frame(61, 1), 0, 61, 61, 1_767_663_089, 500_330_493, 0);
      writer.packetAt(frame(200, 2), 0, 200, 300, 4_294_967_295, 999_999_999, 1); // the largest time it holds; cut to snaplen 100
      expect(writer.addInterface({ linkType: 276 })).toBe(2);
      writer.packet(frame(10, 3), 0, 10, 10, 1_700_000_000_123.4567, 2);
      writer.packet(frame(0, 4), 0, 0, 64, 0, 0);

      const { packets, interfaces, error } = parseBytes(writer.toBuffer());
      expect(error).toBeUndefined();
      expect(interfaces).toEqual([
        { index: 0, linkType: 1, snapLen: 262144, name: 'eth0', fcsBytes: undefined },
        { index: 1, linkType: 101, snapLen: 100, name: 'tun0', fcsBytes: undefined },
        { index: 2, linkType: 276, snapLen: 262144, name: undefined, fcsBytes: undefined },
      ]);
      expect(packets.map((p) => [p.tsMs, p.ifIndex, p.linkType, p.capLen, p.wireLen, p.data.equals(frame(p.capLen, packets.indexOf(p) + 1))])).toEqual([
        [1767663089500.330493, 0, 1, 61, 61, true],
        [4294967295999.999999, 1, 101, 100, 300, true],
        [1700000000123.4567, 2, 276, 10, 10, true],
        [0, 0, 1, 0, 64, true],
      ]);
      expect(writer.packets).toBe(4);
    });
  }

  it('splits a nanosecond count beyond 2^53 into exact 32-bit words', () => {
    const writer = createPcapngWriter({ interfaces: [{ linkType: 1 }] });
    const before = writer.toBuffer().length;
    writer.packetAt(frame(4, 0), 0, 4, 4, 1_767_663_089, 500_330_493, 0);
    const epb = writer.toBuffer().subarray(before);
    const units = 1_767_663_089_500_330_493n;
    expect([epb.readUInt32LE(0), epb.readUInt32LE(4), epb.readUInt32LE(12), epb.readUInt32LE(16)]).toEqual([6, 36, Number(units >> 32n), Number(units & 0xffffffffn)]);
    expect(epb.readUInt32LE(32)).toBe(36);
  });

  it('refuses a packet for an interface it has not described', () => {
    const writer = createPcapngWriter({ interfaces: [{ linkType: 1 }] });
    expect(() => writer.packet(frame(4, 0), 0, 4, 4, 0, 1)).toThrow('interface 1 was not added (1 so far)');
  });
});

describe.skipIf(!HAVE_CORPUS)(`pcapng corpus round trips${HAVE_CORPUS ? '' : ` (${NO_CORPUS_MESSAGE})`}`, () => {
  /** Read a corpus file into a pcapng writer (interfaces as they are learned), then read that back. */
  function copy(path: string): { original: Packet[]; copied: Packet[] } {
    const writer: PcapngWriter = createPcapngWriter();
    const { sink, packets: original } = collector();
    readCaptureFile(corpusPath(path), {
      packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType) {
        sink.packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType);
        writer.packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType);
      },
    }, {
      onInterface: (iface) => writer.addInterface({ linkType: iface.linkType, name: iface.name }),
    });
    return { original, copied: parseBytes(writer.toBuffer()).packets };
  }

  for (const [path, count] of [
    ['pcapng/pcapplusplus-many-interfaces-ether-null-raw.pcapng', 64],
    ['pcapng/zeek-multi-interface.pcapng', 6],
    // three sections become one: the file-wide interface numbers make that lossless
    ['pcapng/pcapng-gen-multi-section-mixed-endian.pcapng', 8],
    ['sip-rtp/ndpi-rtp-only-pcapng-comments.pcapng', 112],
    ['linktypes/tcpdump-tcp-handshake-nanosecond.pcap', 3],
  ] as const) {
    it(`${path}: read, write, read gives the same ${count} packets`, () => {
      const { original, copied } = copy(path);
      expect(copied.length).toBe(count);
      expect(copied).toEqual(original);
    });
  }
});
