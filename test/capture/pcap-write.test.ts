import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createPcapWriter, encodeHeader } from '../../src/capture/pcap-write.js';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { collector, parseBytes } from './collect.js';

const frame = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('pcap writer', () => {
  it('encodes the file header', () => {
    expect(encodeHeader({ linkType: 1, snapLen: 65535 }).toString('hex')).toBe('d4c3b2a1020004000000000000000000ffff000001000000');
    expect(encodeHeader({ linkType: 101, nanosecond: true, bigEndian: true }).toString('hex')).toBe('a1b23c4d00020004000000000000000000040000' + '00000065');
  });

  for (const nanosecond of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`round-trips packets and timestamps (${nanosecond ? 'ns' : 'µs'}, ${bigEndian ? 'big' : 'little'}-endian)`, () => {
        const writer = createPcapWriter({ linkType: 113, nanosecond, bigEndian });
        // µs files hold whole microseconds; any double survives a ns file (its step is coarser than 1 ns)
        const times = nanosecond ? [1_700_000_000_123.4567, 0.000001, 4_294_967_295_999.9995] : [(1_700_000_000 * 1e6 + 123_456) / 1000, 0, 1_000.999];
        times.forEach((tsMs, i) => writer.packet(frame(60 + i * 700, i), 0, 60 + i * 700, 1500, tsMs, 0, 113));
        const { packets, interfaces, error } = parseBytes(writer.toBuffer());
        expect(error).toBeUndefined();
        expect(interfaces).toEqual([{ index: 0, linkType: 113, snapLen: 262144, fcsBytes: 0 }]);
        expect(packets.map((p) => [p.tsMs, p.capLen, p.wireLen, p.ifIndex, p.linkType, p.data.equals(frame(p.capLen, packets.indexOf(p)))])).toEqual(
          times.map((tsMs, i) => [tsMs, 60 + i * 700, 1500, 0, 113, true]),
        );
      });
    }
  }

  it('writes exact seconds and nanoseconds with packetAt, and cuts packets to the snaplen', () => {
    const writer = createPcapWriter({ linkType: 1, nanosecond: true, snapLen: 64 });
    writer.packetAt(frame(100, 1), 0, 100, 100, 1_418_145_369, 924_505_488);
    const bytes = writer.toBuffer();
    expect(bytes.readUInt32LE(24)).toBe(1_418_145_369);
    expect(bytes.readUInt32LE(28)).toBe(924_505_488);
    const { packets } = parseBytes(bytes);
    expect(packets.map((p) => [p.tsMs, p.capLen, p.wireLen])).toEqual([[1418145369924.505488, 64, 100]]);
    expect(writer.packets).toBe(1);
  });

  it('refuses times a pcap cannot hold', () => {
    const writer = createPcapWriter({ linkType: 1 });
    expect(() => writer.packet(frame(10, 0), 0, 10, 10, -1, 0, 1)).toThrow(RangeError);
    expect(() => writer.packetAt(frame(10, 0), 0, 10, 10, 2 ** 32, 0)).toThrow(RangeError);
  });

  it('writes to a file descriptor in chunks and the file reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowsig-pcap-'));
    try {
      const path = join(dir, 'out.pcap');
      const fd = openSync(path, 'w');
      const writer = createPcapWriter({ linkType: 1, fd });
      for (let i = 0; i < 3000; i++) writer.packet(frame(60 + (i % 1441), i), 0, 60 + (i % 1441), 60 + (i % 1441), 1_600_000_000_000 + i, 0, 1);
      writer.flush();
      closeSync(fd);
      expect(() => writer.toBuffer()).toThrow('file descriptor');
      const { sink, packets } = collector();
      const summary = readCaptureFile(path, sink);
      expect(summary.packets).toBe(3000);
      expect(summary.bytesRead).toBe(readFileSync(path).length);
      expect(packets[2999]).toMatchObject({ tsMs: 1_600_000_002_999, capLen: 60 + (2999 % 1441) });
      expect(packets[2999].data.equals(frame(60 + (2999 % 1441), 2999))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe.skipIf(!HAVE_CORPUS)(`pcap corpus round trips${HAVE_CORPUS ? '' : ` (${NO_CORPUS_MESSAGE})`}`, () => {
  // Files with thiszone/sigfigs 0, µs resolution and every packet within the snaplen come back byte for byte.
  const cases: [string, boolean][] = [
    ['linktypes/arkime-big-endian-pcap.pcap', true],
    ['sip-rtp/ndpi-sip-t38-fax-call-rtp.pcap', false],
    ['linktypes/zeek-linux-sll2.pcap', false],
  ];
  for (const [path, bigEndian] of cases) {
    it(`${path}: read, write, identical bytes`, () => {
      const original = readFileSync(corpusPath(path));
      let writer: ReturnType<typeof createPcapWriter> | undefined;
      readCaptureFile(corpusPath(path), {
        packet: (buf, offset, capLen, wireLen, tsMs, ifIndex, linkType) => writer?.packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType),
      }, {
        onInterface: (iface) => (writer = createPcapWriter({ linkType: iface.linkType, snapLen: iface.snapLen, bigEndian })),
      });
      expect(writer?.toBuffer().equals(original)).toBe(true);
    });
  }
});
