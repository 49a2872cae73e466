/**
 * A watch session: source → (decode → meter) → continuous NFQL, plus the
 * figures a display shows. UI-independent: the terminal UI (tui/) reads
 * `snapshot()` at its own pace and the NDJSON printer only listens to
 * `onMatch`; neither can slow the pipeline down beyond the time it takes to
 * copy a snapshot.
 *
 * A tick (every TICK_MS of wall time) advances the meter's clock for live
 * and paced sources, evaluates the signatures (continuous.ts) and samples
 * the packet counters for the rates. At the end of a replayed file the meter
 * is flushed (records end with `eof`) and the signatures run once more.
 */
import { meterFields, type FieldDef } from '../flow/fields.js';
import type { ActiveFlow, MeterOptions } from '../flow/meter.js';
import { createFlowPipeline, type FlowPipeline } from '../flow/pipeline.js';
import type { FlowRecord } from '../flow/record.js';
import type { CheckedQuery } from '../nfql/checked.js';
import { type ContinuousEngine, createContinuousEngine, type WatchMatch } from './continuous.js';
import { createRates, type Rates } from './rates.js';
import type { RunningSource, SourceEnd, WatchSource } from './sources.js';

export const TICK_MS = 250;
/** exported records kept for the flows screen */
export const RECENT_FLOWS = 500;

export interface WatchSessionOptions {
  source: WatchSource;
  meter: Partial<MeterOptions>;
  tunnels: 'inner' | 'outer';
  signatures: readonly { query: CheckedQuery; file: string }[];
  windowMs?: number;
  onMatch?(m: WatchMatch): void;
  /** the source ended (replay: after the final flush and evaluation) */
  onEnd?(end: SourceEnd): void;
  /** records from the meter, for the curious (tests) */
  onRecord?(rec: FlowRecord): void;
}

export interface WatchStats {
  packets: number;
  bytes: number;
  /** packets/s and bits/s over the last 2, 10 and 40 s */
  pps: [number, number, number];
  bps: [number, number, number];
  activeFlows: number;
  flowsExported: number;
  drops: number | undefined;
  signatures: number;
  matches: number;
  uptimeMs: number;
  /** wall time from the source's start to its end (and the last evaluation), or until now while running */
  runMs: number;
  /** CPU time (user + system, all threads) over the same span, ms */
  runCpuMs: number;
  /** the meter's clock (record time), NaN before the first packet */
  clockMs: number;
  source: string;
  /** 'starting' until a live capture listens, 'running', 'ended' after the end of a replayed file (the screen stays until q), 'stopped' */
  state: 'starting' | 'running' | 'ended' | 'stopped';
  failure: string | undefined;
  windowMs: number;
}

export interface WatchSession {
  /** starts the source and the tick; resolves when the source has ended and the last evaluation is done */
  run(): Promise<SourceEnd>;
  /** stop the source (q, Ctrl-C); run() then flushes and resolves */
  stop(): void;
  stats(): WatchStats;
  activeFlows(limit: number): ActiveFlow[];
  /** newest last */
  recentFlows(): FlowRecord[];
  readonly engine: ContinuousEngine;
  readonly source: WatchSource;
  readonly pipeline: FlowPipeline;
  readonly fields: readonly FieldDef[];
}

const cpuMs = (u: NodeJS.CpuUsage | undefined) => (u ? (u.user + u.system) / 1000 : 0);

export function createWatchSession(opts: WatchSessionOptions): WatchSession {
  const recent: FlowRecord[] = [];
  let recentHead = 0;
  const engine = createContinuousEngine(opts.signatures, { windowMs: opts.windowMs });
  /** records into the signatures: the meter's exports, or what a collector received */
  let records = 0;
  const onRecord = (rec: FlowRecord) => {
    records++;
    if (recent.length < RECENT_FLOWS) recent.push(rec);
    else {
      recent[recentHead] = rec;
      recentHead = (recentHead + 1) % RECENT_FLOWS;
    }
    engine.push(rec);
    opts.onRecord?.(rec);
  };
  const pipeline = createFlowPipeline({ meter: opts.meter, decode: { tunnels: opts.tunnels } }, onRecord);
  const fields = meterFields({ biflow: opts.meter.biflow ?? false, tags: opts.meter.inspector !== undefined });
  // counting wire bytes costs one wrapper call per packet; the pipeline counts packets itself
  const counts = { bytes: 0 };
  let clockMs = NaN;
  const sink = {
    packet(buf: Buffer, offset: number, capLen: number, wireLen: number, tsMs: number, ifIndex: number, linkType: number) {
      counts.bytes += wireLen;
      if (!(tsMs <= clockMs)) clockMs = tsMs;
      pipeline.sink.packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType);
    },
  };
  const rates: Rates = createRates();
  const started = performance.now();
  let state: 'running' | 'ended' | 'stopped' = 'running';
  let failure: string | undefined;
  let running: RunningSource | undefined;
  let stopRequested = false;
  let runStarted = NaN;
  let runEnded = NaN;
  let cpuStarted: NodeJS.CpuUsage | undefined;
  let cpuEnded: NodeJS.CpuUsage | undefined;

  function tick(): void {
    const clock = opts.source.clock();
    if (clock !== undefined) {
      pipeline.meter.advance(clock);
      if (!(clock <= clockMs)) clockMs = clock;
    }
    evaluate();
    rates.sample(performance.now(), pipeline.counters.read, counts.bytes);
  }

  /**
   * Record time before which nothing more can start: packets — the meter's clock, held back by its
   * oldest open flow (its record, still to come, starts then); records from a collector — the newest
   * record's end (they arrive complete). Absence signatures wait for it (continuous.ts).
   */
  function horizon(): number {
    if (opts.source.kind === 'records') return engine.now;
    return Math.min(pipeline.meter.now(), pipeline.meter.oldestActiveStart());
  }

  function evaluate(final = false): void {
    for (const m of engine.evaluate(final ? Infinity : horizon())) opts.onMatch?.(m);
  }

  async function run(): Promise<SourceEnd> {
    runStarted = performance.now();
    cpuStarted = process.cpuUsage();
    rates.sample(runStarted, 0, 0);
    running = opts.source.start({ sink, record: onRecord });
    if (stopRequested) running.stop();
    const timer = setInterval(tick, TICK_MS);
    let end: SourceEnd;
    try {
      end = await running.done;
    } finally {
      clearInterval(timer);
    }
    pipeline.meter.flush('eof');
    evaluate(true);
    runEnded = performance.now();
    cpuEnded = process.cpuUsage(cpuStarted);
    rates.sample(runEnded, pipeline.counters.read, counts.bytes);
    state = end.reason === 'eof' ? 'ended' : 'stopped';
    if (end.failure) failure = end.failure.describe();
    opts.onEnd?.(end);
    return end;
  }

  return {
    run,
    stop() {
      stopRequested = true;
      running?.stop();
    },
    stats() {
      const now = performance.now();
      return {
        packets: pipeline.counters.read,
        bytes: counts.bytes,
        pps: [rates.packetsPerSecond(2000), rates.packetsPerSecond(10_000), rates.packetsPerSecond(40_000)],
        bps: [rates.bitsPerSecond(2000), rates.bitsPerSecond(10_000), rates.bitsPerSecond(40_000)],
        activeFlows: pipeline.meter.activeFlows(),
        flowsExported: records,
        drops: opts.source.drops(),
        signatures: engine.signatures.filter((s) => s.enabled).length,
        matches: engine.reported,
        uptimeMs: now - started,
        runMs: Number.isNaN(runStarted) ? 0 : (Number.isNaN(runEnded) ? now : runEnded) - runStarted,
        runCpuMs: cpuMs(cpuEnded ?? (cpuStarted ? process.cpuUsage(cpuStarted) : undefined)),
        clockMs,
        source: opts.source.label,
        state: state === 'running' && !opts.source.ready() ? 'starting' : state,
        failure,
        windowMs: engine.windowMs,
      };
    },
    activeFlows: (limit) => pipeline.meter.activeSnapshot(limit),
    recentFlows: () => (recent.length < RECENT_FLOWS ? recent.slice() : [...recent.slice(recentHead), ...recent.slice(0, recentHead)]),
    engine,
    source: opts.source,
    pipeline,
    fields,
  };
}
