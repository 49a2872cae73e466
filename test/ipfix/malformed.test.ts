import { describe, expect, it } from 'vitest';
import { meterFields } from '../../src/flow/fields.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createMessageParser, type Damage } from '../../src/ipfix/decode.js';
import { createExporter, type ExportProtocol } from '../../src/ipfix/encode.js';
import '../../src/tag/index.js';
import { mulberry32 } from '../../scripts/bench/random.js';

function rec(i: number, six = false): FlowRecord {
  return {
    rec_id: i, stime: 1_700_000_000_000 + i, etime: 1_700_000_000_500 + i, duration: 500, ipver: six ? 6 : 4, proto: 17,
    srcip: six ? '2001:db8::1' : '192.0.2.1', srcport: 1000 + i, dstip: six ? '2001:db8::2' : '198.51.100.2', dstport: 53, tos: 0, tcpflags: 0,
    packets: i + 1, bytes: 100 * (i + 1), l2bytes: 114 * (i + 1), input: 0, vlan: 0, tunnel: null, tun_srcip: null, tun_dstip: null, endreason: 'idle',
    ...(i % 3 === 0 ? { app: 'dns', dns_qnames: [`q${i}.example`] } : {}),
  };
}

function messages(protocol: ExportProtocol, n: number, mtu = 1400): Buffer[] {
  const out: Buffer[] = [];
  const e = createExporter({ protocol, fields: meterFields({ biflow: false, tags: true }), mtu }, (m) => out.push(m));
  for (let i = 0; i < n; i++) e.add(rec(i, protocol !== 'netflow5' && i % 4 === 1));
  e.flush();
  return out;
}

/** set offsets of an IPFIX/v9 message: [offset, id, length] */
function sets(m: Buffer, header: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let o = header; o + 4 <= m.length; o += m.readUInt16BE(o + 2)) out.push([o, m.readUInt16BE(o), m.readUInt16BE(o + 2)]);
  return out;
}

function parseAll(msgs: Buffer[]): { ports: number[]; damages: Damage[]; parser: ReturnType<typeof createMessageParser> } {
  const parser = createMessageParser();
  const ports: number[] = [];
  const damages: Damage[] = [];
  for (const m of msgs) {
    const d = parser.parse(m, '192.0.2.9', (r) => ports.push(r.srcport));
    if (d) damages.push(d);
  }
  return { ports, damages, parser };
}

/** An IPFIX message with one template set and three data sets of 2 records each (template 256). */
function threeDataSets(): { msg: Buffer; setsAt: [number, number, number][] } {
  const fields = meterFields({ biflow: false });
  const one = (i: number) => {
    const out: Buffer[] = [];
    const e = createExporter({ protocol: 'ipfix', fields }, (m) => out.push(m));
    e.add(rec(i * 10 + 1));
    e.add(rec(i * 10 + 2));
    e.flush();
    return out[0];
  };
  const first = one(0);
  const [tmpl, data0] = sets(first, 16);
  const data = [data0, ...[1, 2].map((i) => sets(one(i), 16)[1])];
  const parts = [first.subarray(0, 16), first.subarray(tmpl[0], tmpl[0] + tmpl[2])];
  const msgs = [first, one(1), one(2)];
  data.forEach(([o, , len], i) => parts.push(msgs[i].subarray(o, o + len)));
  const msg = Buffer.concat(parts);
  msg.writeUInt16BE(msg.length, 2);
  return { msg, setsAt: sets(msg, 16) };
}

describe('damaged messages keep the valid records around the damage', () => {
  it('a good data set, a truncated one, another good one: 4 records, one short-record', () => {
    const { msg, setsAt } = threeDataSets();
    const [, s1, s2, s3] = setsAt;
    // cut the middle set's second record in half but keep the set length honest about the cut:
    // the set claims 6 bytes more than its first record needs plus a fragment
    const damaged = Buffer.from(msg);
    const recordLength = (s1[2] - 4) / 2;
    damaged.writeUInt16BE(4 + recordLength + 3, s2[0] + 2);
    const rebuilt = Buffer.concat([damaged.subarray(0, s2[0] + 4 + recordLength + 3), damaged.subarray(s3[0])]);
    rebuilt.writeUInt16BE(rebuilt.length, 2);
    const { ports, damages } = parseAll([rebuilt]);
    // fixed-length records: 3 bytes after a whole record is padding, not damage
    expect(ports).toEqual([1001, 1002, 1011, 1021, 1022]);
    expect(damages).toEqual([]);
  });

  it('a truncated datagram (header length beyond it): records up to the cut are kept', () => {
    const { msg, setsAt } = threeDataSets();
    const [, , s2] = setsAt;
    const cut = msg.subarray(0, s2[0] + 4 + (s2[2] - 4) / 2 + 5); // first record of the middle set and 5 bytes of the next
    const { ports, damages, parser } = parseAll([cut]);
    expect(ports).toEqual([1001, 1002, 1011]);
    expect(damages.map((d) => d.kind)).toEqual(['bad-length']);
    expect(parser.exporters()[0].malformed).toEqual({ 'bad-length': 1, 'set-overrun': 1 });
  });

  it('a set length running past the message: records before the cut, then nothing', () => {
    const { msg, setsAt } = threeDataSets();
    const [, , s2] = setsAt;
    const damaged = Buffer.from(msg);
    damaged.writeUInt16BE(1000, s2[0] + 2);
    const { ports, damages, parser } = parseAll([damaged]);
    // a set length that cannot be true: the set is not trusted (no garbage records), the sets before it are kept
    expect(ports).toEqual([1001, 1002]);
    expect(damages.map((d) => d.kind)).toEqual(['set-overrun']);
    expect(parser.exporters()[0].malformed).toEqual({ 'set-overrun': 1 });
  });

  it('data before its template, unknown template ids, wrong versions and lengths are counted per exporter', () => {
    const { msg, setsAt } = threeDataSets();
    const [tmpl] = setsAt;
    const noTemplate = Buffer.concat([msg.subarray(0, 16), msg.subarray(tmpl[0] + tmpl[2])]);
    noTemplate.writeUInt16BE(noTemplate.length, 2);
    const wrongVersion = Buffer.from(msg);
    wrongVersion.writeUInt16BE(8, 0);
    const badLength = Buffer.from(msg);
    badLength.writeUInt16BE(msg.length + 10, 2);
    const short = msg.subarray(0, 10);
    const { ports, damages, parser } = parseAll([noTemplate, wrongVersion, short, badLength, msg]);
    expect(damages.map((d) => d.kind)).toEqual(['unknown-template', 'bad-version', 'short-message', 'bad-length']);
    // badLength still parses (the datagram holds every set); then the good message
    expect(ports).toEqual([1001, 1002, 1011, 1012, 1021, 1022, 1001, 1002, 1011, 1012, 1021, 1022]);
    const ipfix = parser.exporters().find((e) => e.version === 10)!;
    expect(ipfix.malformed).toEqual({ 'unknown-template': 3, 'short-message': 1, 'bad-length': 1 });
  });

  it('template withdrawal (RFC 7011 §8.1) removes the template; data after it is unknown', () => {
    const { msg, setsAt } = threeDataSets();
    const withdraw = Buffer.from('000a0018000000000000000000000000' + '0002000801000000', 'hex');
    const { ports, damages, parser } = parseAll([msg, withdraw, msg]);
    void setsAt;
    expect(ports.length).toBe(12);
    const e = parser.exporters()[0];
    expect(e.withdrawals).toBe(1);
    expect(damages).toEqual([]);
    const afterWithdrawal = Buffer.concat([msg.subarray(0, 16), msg.subarray(setsAt[1][0])]);
    afterWithdrawal.writeUInt16BE(afterWithdrawal.length, 2);
    const p2 = createMessageParser();
    const got: number[] = [];
    p2.parse(msg, 'x', (r) => got.push(r.srcport));
    p2.parse(withdraw, 'x', () => undefined);
    expect(p2.parse(afterWithdrawal, 'x', (r) => got.push(r.srcport))?.kind).toBe('unknown-template');
    expect(got).toEqual([1001, 1002, 1011, 1012, 1021, 1022]);
  });

  it('sequence gaps: a lost IPFIX message is counted with its records', () => {
    const msgs = messages('ipfix', 60, 300);
    const { parser } = parseAll([msgs[0], msgs[1], msgs[3], msgs[4]]);
    const e = parser.exporters()[0];
    const lostRecords = parseAll([msgs[0], msgs[1], msgs[2]]).ports.length - parseAll([msgs[0], msgs[1]]).ports.length;
    expect(e.sequenceGaps).toBe(1);
    expect(e.lost).toBe(lostRecords);
    const v9 = messages('netflow9', 60, 300);
    const p9 = parseAll([v9[0], v9[2], v9[5]]).parser.exporters()[0];
    expect([p9.sequenceGaps, p9.lost]).toEqual([2, 3]);
  });

  it('options templates: sampling interval and system init time are read, not output as flows', () => {
    // v9 options template 300: scope System (type 1, 4 bytes); options SAMPLING_INTERVAL (34, 4), SAMPLING_ALGORITHM (35, 1)
    const header = '0009000200000000659a000000000000000000a5';
    const optTemplate = '0001' + '0018' + '012c' + '0004' + '0008' + '00010004' + '00220004' + '00230001';
    const optData = '012c' + '0010' + '00000000' + '00000064' + '02' + '000000';
    const msg = Buffer.from(header + optTemplate + '0000' + optData, 'hex');
    const { ports, damages, parser } = parseAll([msg]);
    expect(damages).toEqual([]);
    expect(ports).toEqual([]);
    expect(parser.exporters()[0]).toMatchObject({ optionsRecords: 1, samplingInterval: 100, domain: 0xa5, templates: 1 });
  });
});


describe('fuzz: mutated IPFIX, v9 and v5 messages never throw', () => {
  for (const protocol of ['ipfix', 'netflow9', 'netflow5'] as const) {
    it(`${protocol}: 1000 mutations (seed 8), every valid record before and after still arrives`, () => {
      const random = mulberry32(8);
      const good = messages(protocol, 120, 600);
      const all = parseAll(good).ports;
      expect(all.length).toBe(120);
      // records in messages 0..i-1
      const prefix = good.map((_, i) => parseAll(good.slice(0, i)).ports.length);
      prefix.push(all.length);
      let mutated = 0;
      for (let round = 0; round < 1000; round++) {
        const parser = createMessageParser();
        const seen: number[] = [];
        const pick = Math.floor(random() * good.length);
        const m = Buffer.from(good[pick]);
        const kind = random();
        let victim: Buffer = m;
        if (kind < 0.4) {
          for (let k = 0; k < 1 + Math.floor(random() * 4); k++) m[Math.floor(random() * m.length)] = Math.floor(random() * 256);
        } else if (kind < 0.6) victim = m.subarray(0, Math.floor(random() * m.length));
        else if (kind < 0.8) {
          const o = Math.floor(random() * (m.length - 2));
          m.writeUInt16BE(Math.floor(random() * 65536), o);
        } else victim = Buffer.concat([m, Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)))]);
        // the stream: the messages before, the damaged one, the messages after (templates stay known)
        expect(() => {
          for (let i = 0; i < good.length; i++) parser.parse(i === pick ? victim : good[i], '192.0.2.9', (r) => seen.push(r.srcport));
        }).not.toThrow();
        const before = all.slice(0, prefix[pick]);
        expect(seen.slice(0, before.length)).toEqual(before);
        // damage to a template set may redefine or lose templates later messages use
        if (protocol !== 'netflow5' && sets(good[pick], protocol === 'ipfix' ? 16 : 20).some(([, id]) => id < 256)) continue;
        // the messages after the damaged one: all their records (a damaged template re-definition can only come from message 0)
        const after = all.slice(prefix[pick + 1]);
        expect(seen.slice(seen.length - after.length)).toEqual(after);
        mutated++;
      }
      expect(mutated).toBeGreaterThan(300);
    });
  }
});

describe('problems are reported once per exporter and kind', () => {
  it('onMalformed says first=true once per (exporter, kind), and counts every one', () => {
    const seen: string[] = [];
    const parser = createMessageParser({ onMalformed: (e, d, first) => seen.push(`${e.address} ${d.kind} ${first}`) });
    const junk = Buffer.from('0008000000000000', 'hex');
    for (const address of ['192.0.2.1', '192.0.2.1', '192.0.2.2']) parser.parse(junk, address, () => undefined);
    parser.parse(Buffer.from('000a', 'hex'), '192.0.2.1', () => undefined);
    expect(seen).toEqual(['192.0.2.1 bad-version true', '192.0.2.1 bad-version false', '192.0.2.2 bad-version true', '192.0.2.1 short-message true']);
  });
});
