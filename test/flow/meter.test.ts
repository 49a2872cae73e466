import { describe, expect, it } from 'vitest';
import { parseIp } from '../../src/flow/addr.js';
import { newPacketView, type PacketView } from '../../src/decode/view.js';
import { createMeter, type MeterOptions } from '../../src/flow/meter.js';
import type { FlowRecord } from '../../src/flow/record.js';

interface Pkt {
  t: number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  proto?: number;
  len?: number;
  flags?: number;
  ifIndex?: number;
  tos?: number;
  frag?: { id: number; first: boolean };
  tunnel?: { type: number; src: string; dst: string };
}

/** Feeds hand-made packets to a meter (the decoder is tested on its own). */
function run(packets: Pkt[], opts: Partial<MeterOptions> = {}, advanceTo?: number): { recs: FlowRecord[]; meter: ReturnType<typeof createMeter> } {
  const recs: FlowRecord[] = [];
  const meter = createMeter(opts, (r) => recs.push(r));
  const view: PacketView = newPacketView();
  for (const p of packets) {
    const src = parseIp(p.src)!;
    const dst = parseIp(p.dst)!;
    const buf = Buffer.alloc(64);
    buf.set(src, 0);
    buf.set(dst, 16);
    Object.assign(view, newPacketView(), {
      ipVersion: src.length === 4 ? 4 : 6,
      srcOff: 0,
      dstOff: 16,
      proto: p.proto ?? 17,
      srcPort: p.frag && !p.frag.first ? 0 : p.sport ?? 1000,
      dstPort: p.frag && !p.frag.first ? 0 : p.dport ?? 53,
      tos: p.tos ?? 0,
      tcpFlags: p.flags ?? 0,
      ipLen: p.len ?? 100,
      fragment: p.frag !== undefined,
      fragFirst: p.frag?.first ?? false,
      fragId: p.frag?.id ?? 0,
    });
    if (p.tunnel) {
      const ts = parseIp(p.tunnel.src)!;
      buf.set(ts, 32);
      buf.set(parseIp(p.tunnel.dst)!, 48);
      Object.assign(view, { tunnelType: p.tunnel.type, tunnelIpVersion: ts.length === 4 ? 4 : 6, tunnelSrcOff: 32, tunnelDstOff: 48 });
    }
    meter.packet(view, buf, p.t, p.ifIndex ?? 0, (p.len ?? 100) + 14);
  }
  if (advanceTo !== undefined) meter.advance(advanceTo);
  meter.flush('eof');
  return { recs, meter };
}

const T0 = 1_700_000_000_000;
const A = '2001:db8:1::2';
const B = '64:ff9b::6440:a';
const SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08;

describe('meter: keys and counters', () => {
  it('aggregates packets of one 5-tuple and keeps sub-millisecond times', () => {
    const { recs } = run([
      { t: T0 + 0.25, src: A, dst: B, len: 80 },
      { t: T0 + 1500.125, src: A, dst: B, len: 120 },
    ]);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({
      rec_id: 1, ipver: 6, proto: 17, srcip: A, srcport: 1000, dstip: B, dstport: 53,
      packets: 2, bytes: 200, l2bytes: 228, stime: T0 + 0.25, etime: T0 + 1500.125, duration: 1499.875,
      endreason: 'eof', tunnel: null, tun_srcip: null,
    });
  });

  it('keeps the two directions apart unless --biflow, which counts the responder in rev_*', () => {
    const pkts: Pkt[] = [
      { t: T0, src: A, dst: B, sport: 5060, dport: 5060, len: 500 },
      { t: T0 + 10, src: B, dst: A, sport: 5060, dport: 5060, len: 300 },
      { t: T0 + 20, src: B, dst: A, sport: 5060, dport: 5060, len: 300 },
    ];
    expect(run(pkts).recs.map((r) => [r.srcip, r.packets])).toEqual([[A, 1], [B, 2]]);
    const bi = run(pkts, { biflow: true }).recs;
    expect(bi).toHaveLength(1);
    expect(bi[0]).toMatchObject({ srcip: A, dstip: B, packets: 1, bytes: 500, rev_packets: 2, rev_bytes: 600, rev_l2bytes: 628 });
  });

  it('biflow: the initiator is the sender of the first packet even when it sorts last', () => {
    const { recs } = run([
      { t: T0, src: '10.0.0.9', dst: '10.0.0.1', sport: 40000, dport: 80, proto: 6, flags: SYN },
      { t: T0 + 1, src: '10.0.0.1', dst: '10.0.0.9', sport: 80, dport: 40000, proto: 6, flags: SYN | ACK },
    ], { biflow: true });
    expect(recs[0]).toMatchObject({ srcip: '10.0.0.9', srcport: 40000, dstip: '10.0.0.1', dstport: 80, tcpflags: SYN, rev_tcpflags: SYN | ACK });
  });

  it('biflow pairs an ICMP echo reply with its request; other ICMP types stay apart', () => {
    const pkts: Pkt[] = [
      { t: T0, src: A, dst: B, proto: 58, sport: 0, dport: 128 << 8, len: 104 },
      { t: T0 + 1, src: B, dst: A, proto: 58, sport: 0, dport: 129 << 8, len: 104 },
      { t: T0 + 2, src: B, dst: A, proto: 58, sport: 0, dport: 1 << 8 | 4, len: 152 },
      { t: T0 + 3, src: '10.0.0.1', dst: '10.0.0.2', proto: 1, sport: 0, dport: 8 << 8, len: 84 },
      { t: T0 + 4, src: '10.0.0.2', dst: '10.0.0.1', proto: 1, sport: 0, dport: 0, len: 84 },
    ];
    const bi = run(pkts, { biflow: true }).recs;
    expect(bi.map((r) => [r.srcip, r.dstport, r.packets, r.rev_packets])).toEqual([
      [A, 128 << 8, 1, 1],
      [B, 1 << 8 | 4, 1, 0],
      ['10.0.0.1', 8 << 8, 1, 1],
    ]);
    expect(run(pkts).recs).toHaveLength(5);
  });

  it('7-tuple keys separate ingress interfaces and ToS; 5-tuple merges them', () => {
    const pkts: Pkt[] = [
      { t: T0, src: A, dst: B, ifIndex: 0, tos: 0 },
      { t: T0 + 1, src: A, dst: B, ifIndex: 1, tos: 0 },
      { t: T0 + 2, src: A, dst: B, ifIndex: 1, tos: 0xb8 },
    ];
    expect(run(pkts).recs).toHaveLength(1);
    const seven = run(pkts, { key: { tuple: 7, vlan: false, tunnel: false } }).recs;
    expect(seven.map((r) => [r.input, r.tos, r.packets])).toEqual([[0, 0, 1], [1, 0, 1], [1, 0xb8, 1]]);
  });

  it('keeps tunnel outer addresses; +tunnel keys on them', () => {
    const pkts: Pkt[] = [
      { t: T0, src: '192.0.0.2', dst: '100.64.0.10', tunnel: { type: 1, src: '2001:db8:1::2', dst: '2001:db8:ff::1' } },
      { t: T0 + 1, src: '192.0.0.2', dst: '100.64.0.10', tunnel: { type: 1, src: '2001:db8:1::3', dst: '2001:db8:ff::1' } },
    ];
    const plain = run(pkts).recs;
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatchObject({ tunnel: '4in6', tun_srcip: '2001:db8:1::2', tun_dstip: '2001:db8:ff::1', packets: 2 });
    expect(run(pkts, { key: { tuple: 5, vlan: false, tunnel: true } }).recs).toHaveLength(2);
  });
});

describe('meter: expiry', () => {
  it('ends a flow after the inactive timeout and starts a new one', () => {
    const { recs } = run([
      { t: T0, src: A, dst: B },
      { t: T0 + 15_000, src: A, dst: B }, // exactly the timeout: still the same flow
      { t: T0 + 30_001, src: A, dst: B }, // 15.001 s idle: a new flow
    ]);
    expect(recs.map((r) => [r.packets, r.endreason])).toEqual([[2, 'idle'], [1, 'eof']]);
  });

  it('cuts long flows at the active timeout', () => {
    const pkts: Pkt[] = [];
    for (let i = 0; i <= 100; i++) pkts.push({ t: T0 + i * 1000, src: A, dst: B });
    const { recs } = run(pkts, { activeTimeoutMs: 30_000 });
    expect(recs.map((r) => [r.packets, r.endreason])).toEqual([[31, 'active'], [31, 'active'], [31, 'active'], [8, 'eof']]);
    expect(recs[1].stime).toBe(T0 + 31_000);
  });

  it('wall-clock advance ends idle flows when no packet arrives (live sources)', () => {
    const recs: FlowRecord[] = [];
    const meter = createMeter({ idleTimeoutMs: 1000 }, (r) => recs.push(r));
    const v = Object.assign(newPacketView(), { ipVersion: 4, srcOff: 0, dstOff: 4, proto: 17, srcPort: 1, dstPort: 2, ipLen: 40 });
    meter.packet(v, Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]), T0, 0, 54);
    meter.advance(T0 + 999);
    expect(recs).toHaveLength(0);
    meter.advance(T0 + 1001);
    expect(recs.map((r) => r.endreason)).toEqual(['idle']);
    expect(meter.activeFlows()).toBe(0);
  });

  it('TCP: ends both directions shortly after FIN in each, counting the last ACK', () => {
    const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, proto: 6 };
    const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, proto: 6 };
    const { recs } = run([
      { t: T0, ...c, flags: SYN },
      { t: T0 + 1, ...s, flags: SYN | ACK },
      { t: T0 + 2, ...c, flags: ACK | PSH },
      { t: T0 + 3, ...c, flags: FIN | ACK },
      { t: T0 + 4, ...s, flags: FIN | ACK },
      { t: T0 + 5, ...c, flags: ACK },
      { t: T0 + 4000, ...c, flags: ACK }, // after the linger: a new flow
    ]);
    expect(recs.map((r) => [r.srcip, r.packets, r.endreason, r.tcpflags])).toEqual([
      ['10.0.0.1', 4, 'fin', SYN | ACK | PSH | FIN],
      ['10.0.0.2', 2, 'fin', SYN | ACK | FIN],
      ['10.0.0.1', 1, 'eof', ACK],
    ]);
  });

  it('TCP: a half-closed connection stays open; RST ends both directions', () => {
    const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, proto: 6 };
    const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, proto: 6 };
    const { recs } = run([
      { t: T0, ...c, flags: SYN },
      { t: T0 + 1, ...s, flags: SYN | ACK },
      { t: T0 + 2, ...s, flags: FIN | ACK }, // server closes its side
      { t: T0 + 8000, ...c, flags: ACK | PSH }, // client still sends
      { t: T0 + 9000, ...c, flags: RST },
      { t: T0 + 20_000, src: A, dst: B }, // moves the clock past the linger
    ]);
    expect(recs.slice(0, 2).map((r) => [r.srcip, r.packets, r.endreason])).toEqual([
      ['10.0.0.1', 3, 'rst'],
      ['10.0.0.2', 2, 'rst'],
    ]);
  });

  it('biflow TCP ends with fin once both sides sent FIN', () => {
    const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, proto: 6 };
    const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, proto: 6 };
    const { recs } = run([
      { t: T0, ...c, flags: SYN },
      { t: T0 + 1, ...s, flags: SYN | ACK },
      { t: T0 + 2, ...c, flags: FIN | ACK },
      { t: T0 + 3000, ...s, flags: ACK }, // half-closed for 3 s: still open
      { t: T0 + 3001, ...s, flags: FIN | ACK },
      { t: T0 + 3002, ...c, flags: ACK },
    ], { biflow: true }, T0 + 10_000);
    expect(recs.map((r) => [r.packets, r.rev_packets, r.endreason, r.etime - T0])).toEqual([[3, 3, 'fin', 3002]]);
  });

  it('cache pressure ends the least recently active flow', () => {
    const { recs } = run([
      { t: T0, src: A, dst: B, sport: 1 },
      { t: T0 + 1, src: A, dst: B, sport: 2 },
      { t: T0 + 2, src: A, dst: B, sport: 1 }, // flow 1 is now the most recent
      { t: T0 + 3, src: A, dst: B, sport: 3 }, // table full: flow 2 goes
    ], { maxFlows: 2 });
    expect(recs.map((r) => [r.srcport, r.packets, r.endreason])).toEqual([[2, 1, 'cache'], [1, 2, 'eof'], [3, 1, 'eof']]);
  });

  it('grows its table well past the initial size without losing flows', () => {
    const pkts: Pkt[] = [];
    for (let i = 0; i < 20_000; i++) pkts.push({ t: T0 + i, src: A, dst: B, sport: i % 10_000, dport: 53 + Math.floor(i / 10_000) });
    for (let i = 0; i < 20_000; i++) pkts.push({ t: T0 + 20_000 + i * 0.1, src: A, dst: B, sport: i % 10_000, dport: 53 + Math.floor(i / 10_000) });
    const { recs, meter } = run(pkts, { idleTimeoutMs: 60_000 });
    expect(recs).toHaveLength(20_000);
    expect(recs.every((r) => r.packets === 2)).toBe(true);
    expect(meter.stats.peakFlows).toBe(20_000);
  });
});

describe('meter: fragments', () => {
  const base = { src: '10.0.0.1', dst: '10.0.0.2', sport: 2049, dport: 800 };
  it('counts non-first fragments in the flow of their first fragment', () => {
    const { recs, meter } = run([
      { t: T0, ...base, len: 1500, frag: { id: 7, first: true } },
      { t: T0 + 0.1, ...base, len: 1500, frag: { id: 7, first: false } },
      { t: T0 + 0.2, ...base, len: 300, frag: { id: 7, first: false } },
    ]);
    expect(recs.map((r) => [r.srcport, r.dstport, r.packets, r.bytes])).toEqual([[2049, 800, 3, 3300]]);
    expect(meter.stats.orphanFragments).toBe(0);
  });

  it('holds fragments that arrive before their first fragment, and counts true orphans', () => {
    const { recs, meter } = run([
      { t: T0, ...base, len: 300, frag: { id: 9, first: false } },
      { t: T0 + 0.1, ...base, len: 1500, frag: { id: 9, first: true } },
      { t: T0 + 0.2, ...base, len: 700, frag: { id: 10, first: false } }, // never completed
    ]);
    expect(recs.map((r) => [r.packets, r.bytes, r.stime - T0])).toEqual([[2, 1800, 0]]);
    expect(meter.stats.orphanFragments).toBe(1);
  });
});

describe('meter: inspector (tagger hook)', () => {
  it('shows only the packets begin() asks for, and lets end() tag the record', () => {
    const seen: string[] = [];
    const recs: FlowRecord[] = [];
    const meter = createMeter({
      inspector: {
        begin: (flow, view) => (view.dstPort === 5060 ? 2 : 0),
        packet: (flow, dir, view) => { seen.push(`${flow}/${dir}/${view.ipLen}`); return true; },
        end: (flow, rec) => { rec.app = 'sip'; },
      },
      biflow: true,
    }, (r) => recs.push(r));
    const v = newPacketView();
    const buf = Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]);
    const send = (sp: number, dp: number, rev: boolean, len: number, t: number) => {
      Object.assign(v, { ipVersion: 4, srcOff: rev ? 4 : 0, dstOff: rev ? 0 : 4, proto: 17, srcPort: sp, dstPort: dp, ipLen: len });
      meter.packet(v, buf, T0 + t, 0, len + 14);
    };
    send(5060, 5060, false, 500, 0);
    send(5060, 5060, true, 400, 1);
    send(5060, 5060, false, 300, 2); // past the budget of 2: not shown
    send(1000, 53, false, 60, 3); // begin() returns 0: never shown, never tagged
    meter.flush();
    expect(seen).toEqual(['0/0/500', '0/1/400']);
    expect(recs.map((r) => r.app)).toEqual(['sip', undefined]);
  });
});
