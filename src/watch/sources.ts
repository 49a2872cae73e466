/**
 * Where `flowsig watch` gets its traffic. A source either delivers packets
 * (live capture, a replayed capture: they go through decode → meter) or flow
 * records (an IPFIX/NetFlow collector, to come: they join after the meter).
 * The session (session.ts) treats them alike apart from that.
 *
 *   liveSource(…)     tcpdump/dumpcap backends (src/capture/live.ts); the
 *                     meter's clock follows wall time
 *   replaySource(…)   a capture file read with its own timing: packets are
 *                     delivered when (packet time − first packet time) /
 *                     speed has passed on the wall clock, and the meter's
 *                     clock follows that virtual time, so flows end while
 *                     the capture is quiet as they did when it was taken;
 *                     `speed: 'max'` reads as fast as it can (packet time
 *                     drives the meter, as `flowsig flows -r`), yielding to
 *                     the event loop after every chunk so the screen and the
 *                     signature tick still run
 */
import { closeSync, readSync } from 'node:fs';
import { type CaptureBackend, type LiveSummary, LiveCaptureError, startLiveCapture } from '../capture/live.js';
import { createCaptureParser, DEFAULT_CHUNK_SIZE } from '../capture/open.js';
import { InputError, openInput, type PacketSink } from '../capture/types.js';
import type { FlowRecord } from '../flow/record.js';
import { bindCollector, type Collector, type CollectorOptions, listenText } from '../ipfix/collector.js';

export interface SourceFeed {
  /** packets sources deliver here */
  sink: PacketSink;
  /** record sources (a flow collector) deliver here */
  record(rec: FlowRecord): void;
}

export interface SourceEnd {
  /** 'eof': the input ended (replay); 'stopped': stop() was called */
  reason: 'eof' | 'stopped';
  /** damaged input: what was read before it was delivered */
  failure?: InputError;
  /** live capture: the backends' summary (kernel drops are known when they exit) */
  live?: LiveSummary;
}

export interface RunningSource {
  stop(): void;
  readonly done: Promise<SourceEnd>;
}

export interface WatchSource {
  /** packets (meter in the session) or records (a collector: after the meter) */
  readonly kind: 'packets' | 'records';
  /** shown in the header */
  readonly label: string;
  /** 'live' and paced replay tick the meter's clock with `clock()`; 'max' replay leaves it to packet time */
  start(feed: SourceFeed): RunningSource;
  /** time to advance the meter to on a tick (epoch ms), undefined when packet time alone drives it */
  clock(): number | undefined;
  /** kernel drops so far, when the source can tell (live backends report them when they stop) */
  drops(): number | undefined;
  /** false while a live capture is starting (its backends have not said they are listening yet) */
  ready(): boolean;
}

// ------------------------------------------------------------------ live

export interface LiveSourceOptions {
  interfaces: readonly string[];
  filter?: string;
  backend: CaptureBackend;
  onReady?(): void;
}

export function liveSource(opts: LiveSourceOptions): WatchSource {
  let drops: number | undefined;
  let ready = false;
  return {
    ready: () => ready,
    kind: 'packets',
    label: `live ${opts.interfaces.join(', ')}${opts.filter ? ` (${opts.filter})` : ''}`,
    clock: () => Date.now(),
    drops: () => drops,
    start(feed) {
      // throws LiveCaptureError (a missing program, no privileges): the CLI reports it
      const capture = startLiveCapture(feed.sink, {
        interfaces: opts.interfaces,
        filter: opts.filter,
        backend: opts.backend,
        onReady() {
          ready = true;
          opts.onReady?.();
        },
      });
      const done = capture.done.then((live) => {
        drops = live.interfaces.reduce((n, i) => n + (i.kernelDrops ?? 0), 0);
        return { reason: 'stopped' as const, live };
      });
      return { stop: () => capture.stop(), done };
    },
  };
}

export { LiveCaptureError };

// ------------------------------------------------------------------ replay

export type ReplaySpeed = number | 'max';

/** How long a paced replay sleeps at most between looks at the clock (ms). */
const PACE_SLICE_MS = 20;
/** Packets read ahead in a paced replay. */
const PACE_QUEUE = 2000;
const PACE_CHUNK = 64 * 1024;

interface Queued {
  bytes: Buffer;
  wireLen: number;
  tsMs: number;
  ifIndex: number;
  linkType: number;
}

export function replaySource(path: string, speed: ReplaySpeed): WatchSource {
  let firstTs: number | undefined;
  let wallStart = 0;
  /** time of the next packet read but not delivered yet: the meter's clock must not pass it */
  let pendingTs = Infinity;
  const virtualNow = () => (firstTs === undefined ? undefined : firstTs + (performance.now() - wallStart) * (speed as number));
  return {
    kind: 'packets',
    label: `replay ${path} ${speed === 'max' ? 'at max speed' : `×${speed}`}`,
    // a timer that fires late must not end a flow whose next packet is due but not yet delivered
    clock: () => (speed === 'max' || firstTs === undefined ? undefined : Math.min(virtualNow()!, pendingTs)),
    drops: () => undefined,
    ready: () => true,
    start(feed) {
      let stopped = false;
      const stop = () => {
        stopped = true;
      };
      const done = speed === 'max' ? readFast(path, feed.sink, () => stopped) : readPaced();
      return { stop, done };

      async function readPaced(): Promise<SourceEnd> {
        const queue: Queued[] = [];
        let qHead = 0;
        const parser = createCaptureParser(path, {
          packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType) {
            queue.push({ bytes: Buffer.from(buf.subarray(offset, offset + capLen)), wireLen, tsMs, ifIndex, linkType });
          },
        });
        const fd = openInput(path);
        const chunk = Buffer.allocUnsafe(PACE_CHUNK);
        let eof = false;
        let failure: InputError | undefined;
        try {
          while (!stopped) {
            while (!eof && !failure && queue.length - qHead < PACE_QUEUE) {
              const n = readSync(fd, chunk, 0, chunk.length, null);
              try {
                if (n === 0) {
                  eof = true;
                  parser.end();
                } else parser.push(chunk.subarray(0, n));
              } catch (err) {
                if (!(err instanceof InputError)) throw err;
                failure = err;
              }
            }
            if (qHead < queue.length && firstTs === undefined) {
              firstTs = queue[qHead].tsMs;
              wallStart = performance.now();
            }
            const now = virtualNow() ?? Infinity;
            while (qHead < queue.length && queue[qHead].tsMs <= now) {
              const p = queue[qHead++];
              feed.sink.packet(p.bytes, 0, p.bytes.length, p.wireLen, p.tsMs, p.ifIndex, p.linkType);
            }
            pendingTs = qHead < queue.length ? queue[qHead].tsMs : Infinity;
            if (qHead > 1024) {
              queue.splice(0, qHead);
              qHead = 0;
            }
            if (qHead >= queue.length && (eof || failure)) break;
            const wait = qHead < queue.length ? Math.min(PACE_SLICE_MS, (queue[qHead].tsMs - now) / (speed as number)) : 0;
            await sleep(Math.max(0, wait));
          }
        } finally {
          closeSync(fd);
        }
        return { reason: stopped ? 'stopped' : 'eof', failure };
      }
    },
  };
}

/** The whole file as fast as possible, one chunk at a time, letting timers run between chunks. */
async function readFast(path: string, sink: PacketSink, stopped: () => boolean): Promise<SourceEnd> {
  const fd = openInput(path);
  const parser = createCaptureParser(path, sink);
  const chunk = Buffer.allocUnsafe(DEFAULT_CHUNK_SIZE);
  try {
    for (;;) {
      if (stopped()) return { reason: 'stopped' };
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) {
        parser.end();
        return { reason: 'eof' };
      }
      parser.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      await yieldToEventLoop();
    }
  } catch (err) {
    if (err instanceof InputError) return { reason: 'eof', failure: err };
    throw err;
  } finally {
    closeSync(fd);
  }
}


const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** setImmediate runs after pending I/O and expired timers: the screen's and the tick's */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// ------------------------------------------------------------------ collector

export interface CollectorSource extends WatchSource {
  /** listen (rejects with the socket error: a port in use, no permission); call before start() */
  bind(): Promise<void>;
}

/** Flow records an IPFIX / NetFlow collector receives; "drops" are the records the exporters' sequence numbers say were lost. */
export function collectorSource(opts: CollectorOptions): CollectorSource {
  let collector: Collector | undefined;
  let deliver: (rec: FlowRecord) => void = () => undefined;
  let label = `collect ${listenText(opts)}`;
  return {
    kind: 'records',
    get label() {
      return label;
    },
    clock: () => undefined,
    drops: () => collector?.stats().reduce((n, e) => n + e.lost, 0),
    ready: () => collector !== undefined,
    async bind() {
      collector = await bindCollector(opts, (rec) => deliver(rec));
      label = `collect ${listenText(collector.address())}`;
    },
    start(feed) {
      if (collector === undefined) throw new Error('collectorSource: bind() before start()');
      const bound = collector;
      deliver = (rec) => feed.record(rec);
      let stop: () => void = () => undefined;
      const done = new Promise<SourceEnd>((resolve) => {
        stop = () => {
          deliver = () => undefined;
          void bound.close().then(() => resolve({ reason: 'stopped' }));
        };
      });
      return { stop, done };
    },
  };
}

