/**
 * The split of the taggers between the metering thread and the output thread (src/tag/offthread.ts):
 * what the metering thread tells the output thread, and the field order the split relies on. That the
 * records come out the same is test/report/threaded.test.ts's part.
 */
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { PacketView } from '../../src/decode/view.js';
import { formatIp } from '../../src/flow/addr.js';
import { createTagging, TAG_FIELDS } from '../../src/tag/index.js';
import { OFF_THREAD_FIELDS, type OffThreadEvents } from '../../src/tag/offthread.js';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';

const capture = (name: string): string => new URL(`../../captures/${name}`, import.meta.url).pathname;

/** meters `file` with the output thread's taggers left out; returns what the output thread would be told */
function events(file: string): { begins: string[]; clat: string[]; tagged: Set<string> } {
  const begins: string[] = [];
  const clat: string[] = [];
  const tagged = new Set<string>();
  const off: OffThreadEvents = {
    flowBegins(_flow: number, view: PacketView, buf: Uint8Array) {
      begins.push(`${view.tunnelType} ${formatIp(buf, view.srcOff, view.ipVersion)} > ${formatIp(buf, view.dstOff, view.ipVersion)}`);
    },
    clatHost(host: string) {
      clat.push(host);
    },
  };
  const p = createFlowPipeline({ meter: { inspector: createTagging({ offThread: off }) } }, (rec) => {
    for (const f of OFF_THREAD_FIELDS) if (rec[f] !== undefined) tagged.add(f);
  });
  readCaptureFile(file, p.sink);
  p.meter.flush('eof');
  return { begins, clat, tagged };
}

describe('taggers split between the threads', () => {
  it('the output thread\'s fields are the last tag fields, so it can append them to the encoded ones', () => {
    expect(TAG_FIELDS.slice(-OFF_THREAD_FIELDS.length).map((f) => f.name)).toEqual([...OFF_THREAD_FIELDS]);
    expect(OFF_THREAD_FIELDS).toEqual(['nat64', 'nat64_ipv4', 'xlat', 'xlat_peer', 'xlat_answered', 'xlat_peer_flow']);
  });

  it('the metering thread sets none of them, and tells of each NAT64, tunneled or IPv4 flow as it begins, and of each CLAT host once', () => {
    // a 464XLAT CLAT placing a SIP call through a NAT64, captured on both sides (7-tuple not needed here)
    const e = events(capture('sip-good-1.pcapng'));
    expect(e.tagged.size).toBe(0);
    expect(e.clat).toEqual(['2001:db8:64:1::464']);
    // four NAT64 flows on the IPv6 side; eight IPv4 flows (the translator's and the server's links); the
    // capture's other flows (ICMPv6, link-local) are not told
    expect(e.begins.filter((b) => b.includes('64:ff9b::'))).toHaveLength(4);
    expect(e.begins.filter((b) => !b.includes(':'))).toHaveLength(8);
    expect(e.begins).toHaveLength(12);
    expect(e.begins[0]).toBe('0 2001:db8:64:1::464 > 64:ff9b::6440:a');
  });

  it('a DS-Lite softwire flow is told with its inner IPv4 addresses and tunnel type 1 (4in6)', () => {
    const e = events(capture('dslite-good-1.pcapng'));
    expect(e.begins.filter((b) => b.startsWith('1 '))).toHaveLength(1);
  });

  it.skipIf(!HAVE_CORPUS)('6in4 flows are told too (zeek-6in4-ping6: tunnel type 2)', () => {
    if (!HAVE_CORPUS) console.warn(NO_CORPUS_MESSAGE);
    const e = events(corpusPath('tunnels/zeek-6in4-ping6.pcap'));
    expect(e.begins.filter((b) => b.startsWith('2 '))).toHaveLength(2);
  });
});
