/**
 * Records that span chunk boundaries: the same file pushed in chunks of 1,
 * 7 and 4096 bytes gives exactly what one big chunk gives (packets, bytes,
 * interfaces, and the error with its offset).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, HAVE_CORPUS, manifest, NO_CORPUS_MESSAGE } from '../corpus.js';
import { parseBytes, type ParseResult } from './collect.js';

function comparable(result: ParseResult) {
  return {
    packets: result.packets.map((p) => [p.tsMs, p.ifIndex, p.linkType, p.capLen, p.wireLen, p.data.toString('hex')]),
    interfaces: result.interfaces,
    error: result.error === undefined ? undefined : [result.error.offset, result.error.message],
  };
}

/** Byte-at-a-time for a file of each kind; 7 and 4096 for the whole corpus. */
const ONE_BYTE = [
  'pcapng/pcapng-gen-multi-section-mixed-endian.pcapng',
  'pcapng/pcapplusplus-ether-and-sll-packet-comments.pcapng',
  'linktypes/pcapplusplus-big-endian-nanosecond.pcap',
  'sip-rtp/suricata-sip-register-invite-sdp.pcap',
  'malformed/ndpi-fuzz-cut-short-mid-packet.pcap',
  'malformed/libpcap-pcapng-shb-option-too-long.pcapng',
];

describe.skipIf(!HAVE_CORPUS)(`chunk boundaries${HAVE_CORPUS ? '' : ` (${NO_CORPUS_MESSAGE})`}`, () => {
  for (const path of ONE_BYTE) {
    it(`${path}: 1-byte chunks`, () => {
      const bytes = readFileSync(corpusPath(path));
      expect(comparable(parseBytes(bytes, 1))).toEqual(comparable(parseBytes(bytes)));
    });
  }

  it('every corpus capture: 7- and 4096-byte chunks', () => {
    const rows = manifest();
    expect(rows.length).toBe(80);
    let packets = 0;
    for (const row of rows) {
      const bytes = readFileSync(corpusPath(row.path));
      const whole = comparable(parseBytes(bytes));
      packets += whole.packets.length;
      for (const size of [7, 4096]) expect(comparable(parseBytes(bytes, size)), `${row.path} in ${size}-byte chunks`).toEqual(whole);
    }
    expect(packets).toBe(manifest().reduce((sum, r) => sum + (r.packets ?? 0), 0));
  });
});
