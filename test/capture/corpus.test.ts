/**
 * Every capture in the shared corpus, against MANIFEST.tsv (what Wireshark
 * 4.0 reads): packet count, earliest and latest packet time to the
 * microsecond. Differences are pinned below, each with its reason.
 */
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { InputError } from '../../src/capture/types.js';
import { corpusPath, HAVE_CORPUS, manifest, NO_CORPUS_MESSAGE } from '../corpus.js';
import { collector, isoMicros, summary, type Packet } from './collect.js';

/**
 * Simple Packet Blocks carry no timestamp (Wireshark shows none); the reader
 * gives them the previous packet's time, or 0 before any. MANIFEST's
 * earliest/latest ignore them, so do we. Indices are packet numbers from 0.
 */
const SIMPLE_PACKET_BLOCKS: Record<string, number[]> = {
  'pcapng/pcapng-gen-all-block-types-le.pcapng': [2],
  'pcapng/pcapng-gen-multi-section-mixed-endian.pcapng': [3, 5],
  'pcapng/pcapng-gen-nrb-among-packets-le.pcapng': [0, 2],
};

/** Where our earliest/latest time differs from MANIFEST's, and why. */
const PINNED_TIMES: Record<string, { first: string; last: string; why: string }> = {
  'pcapng/zeek-multi-interface.pcapng': {
    first: '2026-01-06T01:31:29.500331Z',
    last: '2026-01-06T01:37:17.140942Z',
    why:
      'interface 0 is in nanoseconds: 1767663089.500330493 s rounds to .500330 in MANIFEST, but tsMs is a double whose ' +
      'step at 2026 is 0.244 µs, so the nearest one is ...500.330566 ms and rounds to .500331 (see pcapng.test.ts)',
  },
  'malformed/ndpi-fuzz-cut-short-mid-packet.pcap': {
    first: '2001-01-28T05:13:23.882137Z',
    last: '2001-01-28T05:13:23.882137Z',
    why:
      'the fuzzed nanosecond field is 1882137472 (more than a second); Wireshark prints it as ".1882137472" and so ' +
      'MANIFEST says 05:13:22.188214; the time it encodes is 980658802 s + 1.882137472 s',
  },
};

/** Files whose times Wireshark cannot print; pinned as exact tsMs in pcapng.test.ts. */
const OUT_OF_RANGE = new Set(['pcapng/nfstream-dhcp-big-endian.pcapng', 'pcapng/pcapplusplus-ether-and-sll-packet-comments.pcapng']);

/** Files Wireshark refuses: the error we give, with its offset. */
const REFUSED: Record<string, { offset: number; message: string }> = {
  'malformed/libpcap-pcap-invalid-version.pcap': {
    offset: 4,
    message: 'pcap file header: version 1.4 is not supported (expected 2.4)',
  },
  'malformed/libpcap-linktype-reserved-bits-set.pcap': {
    offset: 20,
    message: 'pcap file header: link-type field 0x00300000 has reserved bits set (0x00300000); they must be zero',
  },
  'malformed/libpcap-pcapng-invalid-version.pcapng': {
    offset: 12,
    message: 'pcapng section header block: version 0.1 is not supported (expected 1.0)',
  },
  'malformed/libpcap-pcapng-shb-option-too-long.pcapng': {
    offset: 24,
    message: 'pcapng section header block: option 12336 has length 12336 but only 20 bytes are left in the block',
  },
};

/** Files Wireshark reads in part before the damage: packets first, then this error. */
const CUT_SHORT: Record<string, { offset: number; message: string }> = {
  'malformed/ndpi-fuzz-cut-short-mid-packet.pcap': {
    // version 2.0 file: record lengths stored swapped, so the one packet is 197 bytes; 2 bytes of the next header follow
    offset: 237,
    message: 'file ends in the middle of a pcap record header (needed 16 bytes, 2 left)',
  },
};

function read(path: string): { packets: Packet[]; error: InputError | undefined } {
  const { sink, packets } = collector();
  try {
    readCaptureFile(corpusPath(path), sink);
    return { packets, error: undefined };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { packets, error: err };
  }
}

describe.skipIf(!HAVE_CORPUS)(`corpus against MANIFEST.tsv${HAVE_CORPUS ? '' : ` (${NO_CORPUS_MESSAGE})`}`, () => {
  const rows = manifest();

  it('covers every capture in the corpus', () => {
    expect(rows.length).toBe(80);
    expect(rows.filter((r) => r.packets === undefined).map((r) => r.path).sort()).toEqual(Object.keys(REFUSED).sort());
  });

  for (const row of rows.filter((r) => r.packets !== undefined)) {
    it(`${row.path}: ${row.packets} packets, ${row.firstTs} .. ${row.lastTs}`, () => {
      const { packets, error } = read(row.path);
      const cut = CUT_SHORT[row.path];
      if (cut === undefined) {
        expect(error).toBeUndefined();
      } else {
        expect(error?.offset).toBe(cut.offset);
        expect(error?.message).toBe(cut.message);
      }
      expect(packets.length).toBe(row.packets);
      if (OUT_OF_RANGE.has(row.path)) return;

      const untimed = new Set(SIMPLE_PACKET_BLOCKS[row.path] ?? []);
      const { first, last } = summary(packets.filter((_, i) => !untimed.has(i)));
      const pinned = PINNED_TIMES[row.path];
      expect({ first, last }).toEqual(pinned === undefined ? { first: row.firstTs, last: row.lastTs } : { first: pinned.first, last: pinned.last });
    });
  }

  for (const [path, expected] of Object.entries(REFUSED)) {
    it(`${path}: refused at offset ${expected.offset}`, () => {
      const { packets, error } = read(path);
      expect(packets).toEqual([]);
      expect(error).toBeInstanceOf(InputError);
      expect(error?.file).toBe(corpusPath(path));
      expect(error?.offset).toBe(expected.offset);
      expect(error?.message).toBe(expected.message);
    });
  }

  it('describes the cut-short file in one line for the CLI', () => {
    const path = 'malformed/ndpi-fuzz-cut-short-mid-packet.pcap';
    const { packets, error } = read(path);
    expect(packets.map((p) => [p.capLen, p.wireLen, p.linkType, isoMicros(p.tsMs)])).toEqual([[197, 524501, 0, '2001-01-28T05:13:23.882137Z']]);
    expect(error?.describe()).toBe(`${corpusPath(path)}: offset 237: file ends in the middle of a pcap record header (needed 16 bytes, 2 left)`);
  });
});
