import { describe, expect, it } from 'vitest';
import { type FieldDef, lookupField, meterFields } from '../../src/flow/fields.js';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createMessageParser } from '../../src/ipfix/decode.js';
import { createExporter, type ExportProtocol } from '../../src/ipfix/encode.js';
import { createTagging } from '../../src/tag/index.js';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';

const field = (n: string) => lookupField(n)!;

function baseRecord(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    rec_id: 1, stime: 1_700_000_000_000, etime: 1_700_000_000_123, duration: 123, ipver: 4, proto: 17,
    srcip: '192.0.2.1', srcport: 5060, dstip: '198.51.100.2', dstport: 5061, tos: 0, tcpflags: 0,
    packets: 3, bytes: 1200, l2bytes: 1242, input: 0, vlan: 0, tunnel: null, tun_srcip: null, tun_dstip: null, endreason: 'idle',
    ...over,
  };
}

function exportAll(protocol: ExportProtocol, fields: readonly FieldDef[], recs: FlowRecord[], opts: Record<string, number> = {}): Buffer[] {
  const out: Buffer[] = [];
  const e = createExporter({ protocol, fields, ...opts }, (m) => out.push(m));
  for (const r of recs) e.add(r);
  e.flush();
  return out;
}

function collectAll(messages: Buffer[], pen?: number): { records: FlowRecord[]; parser: ReturnType<typeof createMessageParser> } {
  const parser = createMessageParser({ pen });
  const records: FlowRecord[] = [];
  for (const m of messages) expect(parser.parse(m, '192.0.2.99', (r) => records.push({ ...r }))).toBeUndefined();
  return { records, parser };
}

describe('IPFIX encoder byte layout (RFC 7011 §3)', () => {
  it('writes header, template set and data set exactly as computed by hand', () => {
    const fields = ['srcip', 'dstip', 'srcport', 'dstport', 'proto', 'packets'].map(field);
    const [msg] = exportAll('ipfix', fields, [baseRecord()], { domain: 7 });
    const expected = Buffer.from((
      // header: version 10, length 73, export time 1700000000 (0x6553f100), sequence 0, domain 7
      '000a 0049 6553f100 00000000 00000007'
      // template set (id 2, 32 bytes): template 256 with 6 fields
      + ' 0002 0020 0100 0006 0008 0004 000c 0004 0007 0002 000b 0002 0004 0001 0002 0008'
      // data set (id 256, 25 bytes): 192.0.2.1 198.51.100.2 5060 5061 17 3
      + ' 0100 0019 c0000201 c6336402 13c4 13c5 11 0000000000000003'
    ).replace(/ /g, ''),
      'hex',
    );
    expect(msg.toString('hex')).toBe(expected.toString('hex'));
  });

  it('NetFlow v5 record layout (48 bytes) and header', () => {
    const [msg] = exportAll('netflow5', meterFields({ biflow: false }), [baseRecord({ tcpflags: 0x12, tos: 0x2e, proto: 6 })], { domain: 0x0102 });
    expect(msg.length).toBe(24 + 48);
    expect(msg.readUInt16BE(0)).toBe(5);
    expect(msg.readUInt16BE(2)).toBe(1);
    const uptime = msg.readUInt32BE(4);
    expect(msg.readUInt32BE(8)).toBe(1_700_000_000);
    expect(msg.readUInt32BE(12)).toBe(123_000_000);
    expect(msg.readUInt32BE(16)).toBe(0);
    expect([msg[20], msg[21]]).toEqual([1, 2]);
    const r = msg.subarray(24);
    expect(r.subarray(0, 8).toString('hex')).toBe('c0000201c6336402');
    expect(r.readUInt32BE(16)).toBe(3);
    expect(r.readUInt32BE(20)).toBe(1200);
    // First/Last are sysUptime values: header time − uptime + First = stime
    expect(1_700_000_000_123 - uptime + r.readUInt32BE(24)).toBe(1_700_000_000_000);
    expect(1_700_000_000_123 - uptime + r.readUInt32BE(28)).toBe(1_700_000_000_123);
    expect([r.readUInt16BE(32), r.readUInt16BE(34), r[37], r[38], r[39]]).toEqual([5060, 5061, 0x12, 6, 0x2e]);
  });
});

/** What survives the trip: times to the millisecond, duration from them. */
function expectedAfterTrip(r: FlowRecord, keep: (name: string) => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === null || v === undefined || !keep(k)) continue;
    out[k] = v;
  }
  out.stime = Math.floor(r.stime);
  out.etime = Math.floor(r.etime);
  out.duration = out.etime as number - (out.stime as number);
  delete out.rec_id;
  return out;
}

function stripped(r: FlowRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== null && v !== undefined && k !== 'rec_id') out[k] = v;
  return out;
}

describe('round trip through the registry', () => {
  it('every field (tags, tunnels, IPv6, biflow) comes back as it went out', () => {
    const fields = meterFields({ biflow: true, tags: true });
    const recs: FlowRecord[] = [
      baseRecord({
        app: 'sip', sip_methods: ['INVITE', 'ACK', 'BYE'], sip_codes: [100, 180, 200], sip_callid: 'a84b4c76e66710@pc33.example.com',
        sip_callids: ['a84b4c76e66710@pc33.example.com'], sdp_media: ['192.0.2.1:49170/audio'], sdp_ipv4_literal: true,
        rev_packets: 5, rev_bytes: 4000, rev_l2bytes: 4070, rev_tcpflags: 0, input: 2, vlan: 42, tos: 0xb8,
      }),
      baseRecord({
        ipver: 6, srcip: '2001:db8::1', dstip: '64:ff9b::c000:221', proto: 6, srcport: 443, dstport: 50_000, tcpflags: 0x1b, endreason: 'fin',
        tunnel: '4in6', tun_srcip: '2001:db8:1::2', tun_dstip: '2001:db8:2::1', nat64: true, nat64_ipv4: '192.0.2.33', xlat: 'nat64-v6',
        xlat_peer: 17, xlat_answered: false, xlat_peer_flow: '192.0.2.1 1 > 192.0.2.33 443', packets: 2 ** 40, bytes: 2 ** 52 + 7,
        rev_packets: 0, rev_bytes: 0, rev_l2bytes: 0, rev_tcpflags: 0x14,
      }),
      baseRecord({
        proto: 6, tcpflags: 0x14, endreason: 'rst', app: 'rtp', rtp_ssrc: '0x1234abcd', rtp_pt: 8, rtp_lost: -2, rtp_jitter_max: 1.625,
        rtp_jitter_mean: 0.40625, rtp_reverse: false, rtp_guessed: true, stime: 1_700_000_000_000.75, etime: 1_700_000_100_456.999,
        rev_packets: 1, rev_bytes: 40, rev_l2bytes: 54, rev_tcpflags: 0x04,
      }),
      baseRecord({
        app: 'dns', dns_qnames: ['example.com'], dns_qtypes: ['AAAA'], dns_rcodes: ['NOERROR'], dns_answers: ['64:ff9b::c000:201'],
        dns_ancount: 1, dns_synth64: true, mdns_services: [], endreason: 'cache', rev_packets: 1, rev_bytes: 100, rev_l2bytes: 114, rev_tcpflags: 0,
        tunnel: '6in4', tun_srcip: '192.0.2.7', tun_dstip: '198.51.100.7',
      }),
      baseRecord({ endreason: 'active', rev_packets: 0, rev_bytes: 0, rev_l2bytes: 0, rev_tcpflags: 0 }),
      baseRecord({ endreason: 'eof', rev_packets: 0, rev_bytes: 0, rev_l2bytes: 0, rev_tcpflags: 0 }),
    ];
    const { records } = collectAll(exportAll('ipfix', fields, recs, { pen: 4242 }), 4242);
    expect(records.map(stripped)).toEqual(recs.map((r) => expectedAfterTrip(r, () => true)));
    // every registry field with an element was exercised
    const seen = new Set(recs.flatMap((r) => Object.keys(r).filter((k) => r[k] !== null && r[k] !== undefined)));
    for (const f of fields) if (f.ipfix) expect(seen.has(f.name), f.name).toBe(true);
  });

  it('our enterprise elements under another PEN are not mistaken for tags', () => {
    const fields = meterFields({ biflow: false, tags: true });
    const { records } = collectAll(exportAll('ipfix', fields, [baseRecord({ app: 'sip', nat64: true })], { pen: 4242 }));
    expect(records[0].app).toBeUndefined();
    expect(records[0].srcip).toBe('192.0.2.1');
  });

  it('NetFlow v9 and v5 carry the standard fields (times through sysUptime)', () => {
    const recs = [
      baseRecord({ stime: 1_700_000_000_000.5, etime: 1_700_000_003_999.9, tcpflags: 0x1b, proto: 6, tos: 8, input: 3 }),
      baseRecord({ ipver: 6, srcip: '2001:db8::1', dstip: '2001:db8::2', stime: 1_699_990_000_000, etime: 1_700_000_005_000 }),
    ];
    const fields = meterFields({ biflow: false });
    const v9 = collectAll(exportAll('netflow9', fields, recs)).records;
    const keepV9 = (k: string) => !['l2bytes', 'endreason'].includes(k);
    expect(v9.map((r) => stripped({ ...r, endreason: 'idle', l2bytes: 0 }))).toEqual(recs.map((r) => expectedAfterTrip({ ...r, l2bytes: 0 }, () => true)).map((r) => ({ ...r, l2bytes: 0 })));
    void keepV9;
    const v5 = collectAll(exportAll('netflow5', fields, recs)).records;
    expect(v5).toHaveLength(1);
    expect(stripped({ ...v5[0], endreason: 'idle', l2bytes: 1242 })).toEqual(expectedAfterTrip(recs[0], () => true));
  });
});

describe('sequence numbers, template refresh, MTU', () => {
  const fields = meterFields({ biflow: false });
  const many = Array.from({ length: 100 }, (_, i) => baseRecord({ srcport: 1000 + i, stime: 1_700_000_000_000 + i * 1000, etime: 1_700_000_000_500 + i * 1000, ...(i % 2 ? { srcip: '2001:db8::1', dstip: '2001:db8::2', ipver: 6 } : {}) }));

  it('IPFIX: messages within the MTU, sequence = data records before the message', () => {
    const msgs = exportAll('ipfix', fields, many, { mtu: 300, templateRefreshPackets: 0, templateRefreshMs: 1e12 });
    let records = 0;
    for (const m of msgs) {
      expect(m.length).toBeLessThanOrEqual(300);
      expect(m.readUInt16BE(2)).toBe(m.length);
      expect(m.readUInt32BE(8)).toBe(records);
      const { records: got } = collectAll([...msgs.slice(0, msgs.indexOf(m)), m]);
      records = got.length;
    }
    expect(records).toBe(100);
    const { parser } = collectAll(msgs);
    expect(parser.exporters()[0]).toMatchObject({ records: 100, sequenceGaps: 0, lost: 0, templates: 2, messages: msgs.length });
  });

  it('v9: sequence counts export packets; v5: flows; 1400-byte default keeps 28 v5 records per packet', () => {
    const v9 = exportAll('netflow9', fields, many);
    v9.forEach((m, i) => expect(m.readUInt32BE(12)).toBe(i));
    for (const m of v9) expect(m.length).toBeLessThanOrEqual(1400);
    const v5 = exportAll('netflow5', fields, many.filter((r) => r.ipver === 4));
    expect(v5.map((m) => m.readUInt16BE(2))).toEqual([28, 22]);
    expect(v5.map((m) => m.readUInt32BE(16))).toEqual([0, 28]);
  });

  it('templates are re-sent after N messages and after the refresh time', () => {
    const setIds = (m: Buffer) => {
      const ids: number[] = [];
      for (let o = 16; o < m.length; o += m.readUInt16BE(o + 2)) ids.push(m.readUInt16BE(o));
      return ids;
    };
    const byCount = exportAll('ipfix', fields, many.filter((r) => r.ipver === 4), { mtu: 200, templateRefreshPackets: 3, templateRefreshMs: 1e12 });
    const withTemplates = byCount.map((m, i) => (setIds(m).includes(2) ? i : -1)).filter((i) => i >= 0);
    expect(withTemplates).toEqual(byCount.map((_, i) => i).filter((i) => i % 3 === 0));
    // by time: records 1 s apart, refresh every 10 s of flow time, one record per message
    const byTime = exportAll('ipfix', fields, many.filter((r) => r.ipver === 4), { mtu: 140, templateRefreshPackets: 0, templateRefreshMs: 10_000 });
    const timed = byTime.map((m, i) => (setIds(m).includes(2) ? i : -1)).filter((i) => i >= 0);
    expect(timed.slice(0, 4)).toEqual([0, 5, 10, 15]);
  });
});

describe.skipIf(!HAVE_CORPUS)('a corpus capture through IPFIX', () => {
  it('every flow of a mixed IPv4/IPv6 TCP/UDP capture with its tags', () => {
    if (!HAVE_CORPUS) return console.warn(NO_CORPUS_MESSAGE);
    const recs: FlowRecord[] = [];
    const pipeline = createFlowPipeline({ meter: { biflow: true, inspector: createTagging() } }, (r) => recs.push({ ...r }));
    readCaptureFile(corpusPath('dns/zeek-dns-edns-ecs-many-aaaa.pcap'), pipeline.sink);
    pipeline.meter.flush('eof');
    expect(recs.length).toBeGreaterThan(40);
    const { records } = collectAll(exportAll('ipfix', meterFields({ biflow: true, tags: true }), recs));
    expect(records.map(stripped)).toEqual(recs.map((r) => expectedAfterTrip(r, () => true)));
  });
});

describe('long strings', () => {
  it('are cut at 2000 bytes (whole characters), so a record always fits one message', () => {
    const fields = meterFields({ biflow: false, tags: true });
    const long = 'é'.repeat(1500); // 3000 bytes of UTF-8
    const msgs = exportAll('ipfix', fields, [baseRecord({ sip_callid: long, app: 'sip' })]);
    expect(msgs).toHaveLength(1);
    const { records } = collectAll(msgs);
    expect(records[0].sip_callid).toBe('é'.repeat(1000));
  });
});
