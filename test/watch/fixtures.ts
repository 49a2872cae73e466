/**
 * Real data for the screens: skype-bad-1.pcapng through the watch session's
 * parts (meter with tags, the continuous engine over learned/), and fixed
 * header figures so frames are exact.
 */
import { readCaptureFile } from '../../src/capture/open.js';
import { meterFields } from '../../src/flow/fields.js';
import type { ActiveFlow } from '../../src/flow/meter.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createTagging } from '../../src/tag/index.js';
import { createContinuousEngine, type WatchMatch } from '../../src/watch/continuous.js';
import type { WatchStats } from '../../src/watch/session.js';
import { compileSignatures, signatureFiles } from '../../src/watch/signatures.js';
import type { WatchSnapshot } from '../../tui/store.js';
import { ROOT } from '../cli/run.js';

export function skypeBad(): { matches: WatchMatch[]; recent: FlowRecord[]; active: ActiveFlow[] } {
  const engine = createContinuousEngine(compileSignatures(signatureFiles(`${ROOT}learned/skype-nat64-login.nfql`)).queries);
  const recent: FlowRecord[] = [];
  const p = createFlowPipeline({ meter: { inspector: createTagging({ pref64: [] }) } }, (r) => {
    recent.push(r);
    engine.push(r);
  });
  readCaptureFile(`${ROOT}captures/skype-bad-1.pcapng`, p.sink);
  // before the final flush: what is still open at the end of the file
  const active = p.meter.activeSnapshot(100);
  p.meter.flush('eof');
  return { matches: engine.evaluate(), recent, active };
}

export const STATS: WatchStats = {
  packets: 332,
  bytes: 123_456,
  pps: [1500, 1200, 800],
  bps: [2_500_000, 2_000_000, 1_000_000],
  activeFlows: 3,
  flowsExported: 68,
  drops: 0,
  signatures: 1,
  matches: 1,
  uptimeMs: 65_000,
  runMs: 65_000,
  runCpuMs: 1000,
  clockMs: 0,
  source: 'replay captures/skype-bad-1.pcapng ×10',
  state: 'running',
  failure: undefined,
  windowMs: 600_000,
};

export function snapshot(over: Partial<WatchSnapshot> = {}): WatchSnapshot {
  const { matches, recent, active } = skypeBad();
  return {
    stats: STATS,
    matches,
    signatures: [{ name: 'skype-nat64-login', file: 'learned/skype-nat64-login.nfql', enabled: true, matches: 1, windowRecords: 7, neededWindowMs: undefined, error: undefined }],
    active,
    recent,
    fields: meterFields({ biflow: false, tags: true }),
    ...over,
  };
}
