/**
 * The shipped lab captures (captures/*-good-N.pcapng, *-bad-N.pcapng, recorded
 * by `scripts/lab record`) show the failure, or its absence, when flowsig's own
 * pipeline reads them. Interfaces in every file: 0 = the box's IPv6 link,
 * 1 = TAYGA's TUN (raw IP), 2 = the box's IPv4 link.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';

const DIR = new URL('../../captures/', import.meta.url);
const IPV6_LINK = 0;
const IPV4_LINK = 2;
const CLIENT_V6 = '2001:db8:64:1::2';

function flows(file: string): FlowRecord[] {
  const out: FlowRecord[] = [];
  const p = createFlowPipeline({ meter: { key: { tuple: 7, vlan: false, tunnel: false } } }, (r) => out.push(r));
  readCaptureFile(new URL(file, DIR).pathname, p.sink);
  p.meter.flush('eof');
  return out;
}

function runs(prefix: string): string[] {
  return readdirSync(DIR).filter((f) => f.startsWith(prefix) && f.endsWith('.pcapng')).sort();
}

const num = (r: FlowRecord, k: string) => Number((r as Record<string, unknown>)[k]);
const str = (r: FlowRecord, k: string) => String((r as Record<string, unknown>)[k]);

describe('shipped lab captures', () => {
  it('has at least 3 good and 3 bad runs of sip, literal and skype, and a web control', () => {
    for (const s of ['sip', 'literal', 'skype']) {
      expect(runs(`${s}-good-`).length).toBeGreaterThanOrEqual(3);
      expect(runs(`${s}-bad-`).length).toBeGreaterThanOrEqual(3);
    }
    expect(runs('web-good-').length).toBeGreaterThanOrEqual(1);
  });

  describe.each(runs('sip-bad-'))('%s', (file) => {
    it('completes the SIP dialog through NAT64 but carries no RTP, so the client\'s audio never reaches the IPv4 side', () => {
      const recs = flows(file);
      const sip = recs.filter((r) => num(r, 'proto') === 17 && (num(r, 'dstport') === 5060 || num(r, 'srcport') === 5060));
      expect(sip.some((r) => num(r, 'input') === IPV6_LINK && str(r, 'srcip') === CLIENT_V6)).toBe(true);
      expect(sip.some((r) => num(r, 'input') === IPV4_LINK && str(r, 'srcip') === '100.64.0.10')).toBe(true);
      const rtp = recs.filter((r) => num(r, 'proto') === 17 && (num(r, 'dstport') === 6000 || num(r, 'srcport') === 6000));
      expect(rtp).toEqual([]);
    });
  });

  describe.each(runs('sip-good-'))('%s', (file) => {
    it('carries RTP both ways on the IPv4 side (two-way audio through the CLAT)', () => {
      const v4rtp = flows(file).filter((r) => num(r, 'input') === IPV4_LINK && num(r, 'proto') === 17);
      const up = v4rtp.filter((r) => str(r, 'dstip') === '100.64.0.10' && num(r, 'dstport') === 6000);
      const down = v4rtp.filter((r) => str(r, 'srcip') === '100.64.0.10' && num(r, 'srcport') === 6000);
      expect(up.reduce((n, r) => n + num(r, 'packets'), 0)).toBeGreaterThanOrEqual(50);
      expect(down.reduce((n, r) => n + num(r, 'packets'), 0)).toBeGreaterThanOrEqual(50);
    });
  });

  describe.each(runs('literal-bad-'))('%s', (file) => {
    it('has no packet of the attempt at all: a failure that leaves no trace on the wire', () => {
      const recs = flows(file);
      expect(recs.filter((r) => num(r, 'proto') === 6)).toEqual([]);
      expect(recs.filter((r) => num(r, 'ipver') === 4)).toEqual([]);
      expect(recs.filter((r) => str(r, 'dstip') === '64:ff9b::6440:a' || str(r, 'dstip') === '100.64.0.10')).toEqual([]);
    });
  });

  describe.each(runs('literal-good-'))('%s', (file) => {
    it('reaches the IPv4 literal through CLAT and NAT64, both directions', () => {
      const v4 = flows(file).filter((r) => num(r, 'input') === IPV4_LINK && num(r, 'proto') === 6);
      expect(v4.some((r) => str(r, 'dstip') === '100.64.0.10' && num(r, 'dstport') === 8080)).toBe(true);
      expect(v4.some((r) => str(r, 'srcip') === '100.64.0.10' && num(r, 'srcport') === 8080 && num(r, 'packets') >= 3)).toBe(true);
    });
  });

  describe.each(runs('skype-bad-'))('%s', (file) => {
    it('shows mDNS to ff02::fb, then three ~57 s TCP/443 attempts from consecutive ports with decreasing packet counts, never answered with data', () => {
      const recs = flows(file);
      const mdns = recs.filter((r) => num(r, 'dstport') === 5353 && str(r, 'dstip') === 'ff02::fb');
      expect(mdns).toHaveLength(1);
      expect(num(mdns[0], 'packets')).toBe(3);
      const attempts = recs
        .filter((r) => num(r, 'input') === IPV6_LINK && num(r, 'proto') === 6 && num(r, 'dstport') === 443)
        .sort((a, b) => num(a, 'stime') - num(b, 'stime'));
      expect(attempts.map((r) => num(r, 'srcport') - num(attempts[0], 'srcport'))).toEqual([0, 1, 2]);
      // connected (SYN, ACK), ClientHello (PSH), closed by the client (FIN) after the 57 s timeout
      expect(attempts.every((r) => num(r, 'tcpflags') === 0x1b)).toBe(true);
      for (const r of attempts) expect(Math.abs(num(r, 'duration') - 57_000)).toBeLessThan(300);
      const counts = attempts.map((r) => num(r, 'packets'));
      expect(counts[0]).toBeGreaterThan(counts[1]);
      expect(counts[1]).toBeGreaterThan(counts[2]);
      // the attempts cross the translator to the IPv4-only server, which accepts them but never sends
      // a byte of TLS: every packet back is a bare TCP segment (SYN-ACK, ACKs, FIN)
      expect(recs.some((r) => num(r, 'input') === IPV4_LINK && num(r, 'dstport') === 443)).toBe(true);
      const back = recs.filter((r) => num(r, 'input') === IPV4_LINK && num(r, 'srcport') === 443);
      expect(back).toHaveLength(3);
      for (const r of back) expect(num(r, 'bytes') / num(r, 'packets')).toBeLessThanOrEqual(60);
    });
  });

  describe.each(runs('skype-good-'))('%s', (file) => {
    it('logs in: TCP/443 answered and carrying data on both sides of the translator', () => {
      const recs = flows(file);
      for (const input of [IPV6_LINK, IPV4_LINK]) {
        const back = recs.filter((r) => num(r, 'input') === input && num(r, 'srcport') === 443);
        expect(back.reduce((n, r) => n + num(r, 'packets'), 0)).toBeGreaterThanOrEqual(4);
      }
    });
  });

  describe.each(runs('web-good-'))('%s', (file) => {
    it('resolves through DNS64 and fetches over NAT64', () => {
      const recs = flows(file);
      expect(recs.some((r) => num(r, 'dstport') === 53 && num(r, 'input') === IPV6_LINK)).toBe(true);
      expect(recs.some((r) => str(r, 'dstip') === '64:ff9b::6440:a' && num(r, 'dstport') === 8080)).toBe(true);
      expect(recs.some((r) => num(r, 'input') === IPV4_LINK && str(r, 'srcip') === '100.64.0.10' && num(r, 'srcport') === 8080)).toBe(true);
    });
  });
});
