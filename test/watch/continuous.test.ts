import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import { compileQuery } from '../../src/nfql/index.js';
import { createTagging } from '../../src/tag/index.js';
import { createContinuousEngine, DEFAULT_WINDOW_MS, signatureWindowMs, type WatchMatch } from '../../src/watch/continuous.js';
import { compileSignatures, signatureFiles } from '../../src/watch/signatures.js';
import { ROOT } from '../cli/run.js';

const learned = () => compileSignatures(signatureFiles(`${ROOT}learned/skype-nat64-login.nfql`)).queries;

/** The capture's records in export order, as the watch pipeline makes them (default meter, tags). */
function records(capture: string): FlowRecord[] {
  const out: FlowRecord[] = [];
  const p = createFlowPipeline({ meter: { inspector: createTagging({ pref64: [] }) } }, (r) => out.push(r));
  readCaptureFile(`${ROOT}captures/${capture}`, p.sink);
  p.meter.flush('eof');
  return out;
}

/** Evaluates after every record: as many ticks as records, the worst case for reporting twice. */
function watchAll(capture: string): WatchMatch[] {
  const engine = createContinuousEngine(learned());
  const found: WatchMatch[] = [];
  for (const r of records(capture)) {
    engine.push(r);
    found.push(...engine.evaluate());
  }
  found.push(...engine.evaluate());
  return found;
}

describe('continuous NFQL over a replay', () => {
  // the ids `flowsig query -q learned/ -r captures/skype-bad-N.pcapng -o ndjson` prints
  it.each([
    ['skype-bad-1.pcapng', [8, 27, 44, 57]],
    ['skype-bad-2.pcapng', [1, 12, 26, 39]],
    ['skype-bad-3.pcapng', [1, 12, 26, 38]],
  ])('%s: the one match of `query`, reported once', (capture, ids) => {
    const found = watchAll(capture);
    expect(found.map((m) => m.match.flows.map((f) => f.rec_id))).toEqual([ids]);
    expect(found[0].signature).toBe('skype-nat64-login');
    expect(found[0].match.match).toBe(1);
    expect(found[0].seq).toBe(1);
    expect(found[0].match.hosts).toEqual(['fe80::64b8:b4ff:fef8:db4', 'ff02::fb', '2001:db8:64:1::2', '64:ff9b::6440:b']);
    // the branch each member matched: mDNS then the three logins in port order
    expect(ids.map((id) => found[0].branches.get(id))).toEqual([['A'], ['B'], ['C'], ['D']]);
  });

  it.each(['skype-good-1.pcapng', 'skype-good-2.pcapng', 'skype-good-3.pcapng'])('%s: no match', (capture) => {
    expect(watchAll(capture)).toEqual([]);
  });

  it('reports the match at the evaluation after the record that completes it, and never again', () => {
    const engine = createContinuousEngine(learned());
    const recs = records('skype-bad-1.pcapng');
    const at: number[] = [];
    recs.forEach((r, i) => {
      engine.push(r);
      if (engine.evaluate().length > 0) at.push(i);
      engine.evaluate();
    });
    // the last login flow (rec_id 57) completes it
    expect(at).toEqual([recs.findIndex((r) => r.rec_id === 57)]);
    expect(engine.signatures[0].matches).toBe(1);
    expect(engine.reported).toBe(1);
  });

  it('a disabled signature does not look at records', () => {
    const engine = createContinuousEngine(learned());
    engine.setEnabled('skype-nat64-login', false);
    for (const r of records('skype-bad-1.pcapng')) engine.push(r);
    expect(engine.evaluate()).toEqual([]);
    expect(engine.signatures[0].windowRecords).toBe(0);
  });

  it('keeps only candidate records: the four of the match plus the other login-shaped and mDNS flows', () => {
    const engine = createContinuousEngine(learned());
    const recs = records('skype-bad-1.pcapng');
    for (const r of recs) engine.push(r);
    engine.evaluate();
    const expected = recs.filter((r) => (r.dstport === 5353 && r.duration >= 1000 && r.duration <= 5000)
      || (r.ipver === 6 && r.proto === 6 && r.dstport === 443 && r.duration >= 55_000 && r.duration <= 59_000)).length;
    expect(engine.signatures[0].windowRecords).toBe(expected);
    expect(expected).toBeLessThan(recs.length);
  });
});

describe('the window', () => {
  it('skype\'s `A < B` allows any gap: the default window', () => {
    const [q] = learned();
    expect(signatureWindowMs(q.query)).toBeUndefined();
    expect(createContinuousEngine(learned()).windowMs).toBe(DEFAULT_WINDOW_MS);
  });

  it('bounded durations and Allen deltas bound it', () => {
    const q = compileQuery(`
splitter S {}
filter fa { dstport = 5060  duration in [0s, 30s] }
filter fb { proto = udp  duration <= 2min }
merger M { branches A, B  A.srcip = B.srcip  A < B delta 10s }
ungrouper U {}
"input" -> S
S branch A -> fa -> M
S branch B -> fb -> M
M -> U -> "output"`, 'bounded.nfql');
    expect(signatureWindowMs(q)).toBe(30_000 + 120_000 + 10_000);
    expect(createContinuousEngine([{ query: q, file: 'bounded.nfql' }]).windowMs).toBe(160_000);
    expect(createContinuousEngine([{ query: q, file: 'bounded.nfql' }], { windowMs: 5000 }).windowMs).toBe(5000);
  });

  it('records leave the window by record time', () => {
    const q = compileQuery(`
splitter S {}
filter f { proto = udp }
grouper g { aggregate srcip }
"input" -> S
S branch A -> f -> g -> "output"`, 'udp.nfql');
    const engine = createContinuousEngine([{ query: q, file: 'udp.nfql' }], { windowMs: 1000 });
    const rec = (id: number, etime: number) => ({ rec_id: id, stime: etime, etime, duration: 0, proto: 17, srcip: '10.0.0.1', dstip: '10.0.0.2' }) as unknown as FlowRecord;
    engine.push(rec(1, 0));
    expect(engine.evaluate().map((m) => m.key)).toEqual(['1']);
    engine.push(rec(2, 1500));
    expect(engine.evaluate().map((m) => m.key)).toEqual(['2']);
    expect(engine.signatures[0].windowRecords).toBe(1);
  });
});

describe('records out of etime order (idle flows leave the meter after FIN flows that ended later)', () => {
  it('a match is still reported once when its records are older than records pushed before them', () => {
    const q = compileQuery(`
splitter S {}
filter f { proto = udp }
grouper g { aggregate srcip }
"input" -> S
S branch A -> f -> g -> "output"`, 'by-source.nfql');
    const engine = createContinuousEngine([{ query: q, file: 'by-source.nfql' }], { windowMs: 1000 });
    const rec = (id: number, src: string, etime: number) => ({ rec_id: id, stime: etime, etime, duration: 0, proto: 17, srcip: src, dstip: '10.0.0.9' }) as unknown as FlowRecord;
    const keys: string[] = [];
    engine.push(rec(1, '10.0.0.1', 5000));
    engine.push(rec(2, '10.0.0.2', 4500)); // exported after record 1 though it ended before
    keys.push(...engine.evaluate().map((m) => m.key));
    expect(engine.signatures[0].windowRecords).toBe(2);
    // record 2 leaves the window (and its match is forgotten) though record 1, pushed before it, stays
    engine.push(rec(3, '10.0.0.3', 5800));
    keys.push(...engine.evaluate().map((m) => m.key));
    expect(engine.signatures[0].windowRecords).toBe(2);
    engine.push(rec(4, '10.0.0.4', 5900));
    keys.push(...engine.evaluate().map((m) => m.key));
    expect(keys).toEqual(['2', '1', '3', '4']); // each once (the runner gives groups in time order)
  });
});

describe('a group that grows after it matched', () => {
  it('is reported once, with the records it had then; another group is a new match', () => {
    const q = compileQuery(`
splitter S {}
filter f { proto = udp }
grouper g {
  module m { srcip = srcip }
  aggregate srcip, count(rec_id) as flows
}
groupfilter gf { flows >= 2 }
"input" -> S
S branch A -> f -> g -> gf -> "output"`, 'chatty.nfql');
    const engine = createContinuousEngine([{ query: q, file: 'chatty.nfql' }], { windowMs: 60_000 });
    const rec = (id: number, src: string, etime: number) => ({ rec_id: id, stime: etime, etime, duration: 0, proto: 17, srcip: src, dstip: '10.0.0.9' }) as unknown as FlowRecord;
    const keys: string[] = [];
    const step = (...recs: FlowRecord[]) => {
      for (const r of recs) engine.push(r);
      keys.push(...engine.evaluate().map((m) => m.key));
    };
    step(rec(1, '10.0.0.1', 1000));
    step(rec(2, '10.0.0.1', 2000));
    step(rec(3, '10.0.0.1', 3000));
    step(rec(4, '10.0.0.2', 4000), rec(5, '10.0.0.2', 5000), rec(6, '10.0.0.1', 6000));
    expect(keys).toEqual(['1,2', '4,5']);
    expect(engine.signatures[0].matches).toBe(2);
  });
});

describe('filter-only signatures', () => {
  it('report each passing record once, at the next evaluation, without a window', () => {
    const q = compileQuery('filter f-mdns { dstport = 5353 }', 'mdns.nfql');
    const engine = createContinuousEngine([{ query: q, file: 'mdns.nfql' }]);
    const recs = records('skype-bad-1.pcapng');
    const found: WatchMatch[] = [];
    for (const r of recs) {
      engine.push(r);
      found.push(...engine.evaluate());
    }
    const expected = recs.filter((r) => r.dstport === 5353);
    expect(found.map((m) => m.match.flows[0])).toEqual(expected);
    expect(found.map((m) => m.match.match)).toEqual(expected.map((_, i) => i + 1));
    expect(found[0].branches.get(expected[0].rec_id)).toEqual(['f-mdns']);
    expect(engine.signatures[0].windowRecords).toBe(0);
    expect(engine.signatures[0].neededWindowMs).toBe(0);
  });
});

describe('absence signatures wait until the absence is certain', () => {
  const sip = () => compileSignatures(signatureFiles(`${ROOT}learned/sip-sdp-ipv4-literal.nfql`)).queries;
  // the failing call of captures/sip-bad-1: the INVITE flow and the answer, and no RTP at all
  const recs = records('sip-bad-1.pcapng');
  const invite = recs.find((r) => Array.isArray(r.sip_methods) && r.sip_methods.includes('INVITE') && r.ipver === 6)!;
  const newestEnd = Math.max(...recs.filter((r) => r.app === 'sip' && r.ipver === 6).map((r) => r.etime));

  it('reaches 5 s past its members (the reject module\'s delta), and reports only then', () => {
    const engine = createContinuousEngine(sip());
    for (const r of recs) engine.push(r);
    expect(engine.evaluate(newestEnd + 4999)).toEqual([]); // RTP may still turn up
    const [m] = engine.evaluate(newestEnd + 5000);
    expect(m.match.flows.map((f) => f.rec_id)).toContain(invite.rec_id);
    expect(engine.evaluate(Infinity)).toEqual([]); // once
  });

  it('an RTP flow of the caller still open at the first evaluation, exported later, means no match', () => {
    const engine = createContinuousEngine(sip());
    for (const r of recs) engine.push(r);
    // the meter still holds a flow that began 1 s after the INVITE: the horizon stays there
    expect(engine.evaluate(invite.stime + 1000)).toEqual([]);
    const rtp: FlowRecord = { ...invite, rec_id: 1000, app: 'rtp', sip_methods: undefined, stime: invite.stime + 1000, etime: newestEnd + 60_000, srcport: 6000, dstport: 6000 };
    engine.push(rtp);
    expect(engine.evaluate(Infinity)).toEqual([]);
  });
});
