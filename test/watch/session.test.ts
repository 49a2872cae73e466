/**
 * The watch session with its sources: a replay at max speed, a paced replay,
 * and a record source (the shape an IPFIX/NetFlow collector will have:
 * records in, no packets) — each finds the one failing login of
 * captures/skype-bad-1.pcapng, reported once.
 */
import { describe, expect, it, vi } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { InputError } from '../../src/capture/types.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createTagging } from '../../src/tag/index.js';
import type { WatchMatch } from '../../src/watch/continuous.js';
import { createWatchSession, TICK_MS } from '../../src/watch/session.js';
import { compileSignatures, signatureFiles } from '../../src/watch/signatures.js';
import { replaySource, type WatchSource } from '../../src/watch/sources.js';
import { ROOT } from '../cli/run.js';

const signatures = () => compileSignatures(signatureFiles(`${ROOT}learned/skype-nat64-login.nfql`)).queries;
const BAD = `${ROOT}captures/skype-bad-1.pcapng`;

async function watch(source: WatchSource) {
  const found: WatchMatch[] = [];
  const records: FlowRecord[] = [];
  const session = createWatchSession({
    source, meter: { inspector: createTagging({ pref64: [] }) }, tunnels: 'inner', signatures: signatures(),
    onMatch: (m) => found.push(m),
    onRecord: (r) => records.push(r),
  });
  const end = await session.run();
  return { found, records, end, session };
}

describe('watch session', () => {
  it('replay at max speed: every packet, every record, the one match, end of file', async () => {
    const { found, records, end, session } = await watch(replaySource(BAD, 'max'));
    expect(end).toEqual({ reason: 'eof' });
    expect(found.map((m) => m.match.flows.map((f) => f.rec_id))).toEqual([[8, 27, 44, 57]]);
    const s = session.stats();
    expect([s.packets, s.flowsExported, s.activeFlows, s.matches, s.state, s.drops]).toEqual([332, 68, 0, 1, 'ended', undefined]);
    expect(records.filter((r) => r.endreason === 'eof').length).toBeGreaterThan(0);
    expect(session.recentFlows().length).toBe(68);
  });

  it('paced replay (×2000): the same records and match; the clock follows the capture', async () => {
    const fast = await watch(replaySource(BAD, 'max'));
    const paced = await watch(replaySource(BAD, 2000));
    // pacing moves the meter's clock between packets, never past a packet not yet delivered: the same
    // flows (ticks may export them in another order, so rec_ids may differ)
    const key = (r: FlowRecord) => `${r.srcip} ${r.srcport} ${r.dstip} ${r.dstport} ${r.proto} ${r.packets} ${r.bytes} ${r.stime} ${r.etime}`;
    expect(paced.records.map(key).sort()).toEqual(fast.records.map(key).sort());
    expect(paced.found.length).toBe(1);
    expect(paced.found[0].match.flows.map(key)).toEqual(fast.found[0].match.flows.map(key));
    expect(paced.session.stats().packets).toBe(332);
  });

  it('a record source (as a collector will be) joins after the meter', async () => {
    const recs: FlowRecord[] = [];
    const p = createFlowPipeline({ meter: { inspector: createTagging({ pref64: [] }) } }, (r) => recs.push(r));
    readCaptureFile(BAD, p.sink);
    p.meter.flush('eof');
    const source: WatchSource = {
      kind: 'records',
      label: 'records',
      clock: () => undefined,
      drops: () => undefined,
      ready: () => true,
      start(feed) {
        for (const r of recs) feed.record(r);
        return { stop() {}, done: Promise.resolve({ reason: 'eof' as const }) };
      },
    };
    const { found, session } = await watch(source);
    expect(found.map((m) => m.key)).toEqual(['8,27,44,57']);
    expect(session.stats().packets).toBe(0);
  });

  it('a damaged replay reports where, after what was read before', async () => {
    const { end } = await watch(replaySource(`${ROOT}README.md`, 'max'));
    expect(end.failure).toBeInstanceOf(InputError);
    expect(end.failure!.describe()).toMatch(/^\/.*README\.md: offset 0: not a pcap or pcapng file/);
  });
});

describe('reporting delay', () => {
  it('a match is reported at the first tick after the record completing it arrives (fake timers), once', async () => {
    const recs: FlowRecord[] = [];
    const p = createFlowPipeline({ meter: { inspector: createTagging({ pref64: [] }) } }, (r) => recs.push(r));
    readCaptureFile(BAD, p.sink);
    p.meter.flush('eof');
    const last = recs.findIndex((r) => r.rec_id === 57);
    let feed: ((r: FlowRecord) => void) | undefined;
    let finish: (() => void) | undefined;
    const source: WatchSource = {
      kind: 'records', label: 'records', clock: () => undefined, drops: () => undefined, ready: () => true,
      start(f) {
        feed = f.record;
        return { stop() {}, done: new Promise((resolve) => { finish = () => resolve({ reason: 'stopped' }); }) };
      },
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const found: WatchMatch[] = [];
      const session = createWatchSession({ source, meter: {}, tunnels: 'inner', signatures: signatures(), onMatch: (m) => found.push(m) });
      const running = session.run();
      for (const r of recs.slice(0, last)) feed!(r);
      vi.advanceTimersByTime(TICK_MS * 4);
      expect(found).toEqual([]);
      feed!(recs[last]);
      vi.advanceTimersByTime(TICK_MS);
      expect(found.map((m) => m.key)).toEqual(['8,27,44,57']);
      expect(TICK_MS).toBeLessThanOrEqual(1000);
      for (const r of recs.slice(last + 1)) feed!(r);
      vi.advanceTimersByTime(TICK_MS * 20);
      finish!();
      await running;
      expect(found.length).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
