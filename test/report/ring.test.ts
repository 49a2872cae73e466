/**
 * The shared ring behind the output thread: messages cross from one thread to another whole and in
 * order, through wrap-arounds and while either side sleeps, and a consumer that closes stops the
 * producer without a hang.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createRingBuffers, RingProducer } from '../../src/report/ring.js';
import { flowsig } from '../cli/run.js';

const CONSUMER = new URL('./ring-consumer.mjs', import.meta.url);

interface Summary { count: number; sum: number; outOfOrder: number }

function consume(buffers: ReturnType<typeof createRingBuffers>, closeAfter?: number): { worker: Worker; done: Promise<Summary> } {
  flowsig(['version']); // builds dist/ (the consumer imports the compiled ring) when a bare vitest run has none
  const worker = new Worker(CONSUMER, { workerData: { buffers, closeAfter } });
  const done = new Promise<Summary>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, done };
}

/** message k has (k % 61) + 2 units: its length, then k, k+1, … */
function produce(ring: RingProducer, messages: number): { sent: number; sum: number } {
  let sum = 0;
  let sent = 0;
  for (let k = 0; k < messages; k++) {
    const n = (k % 61) + 2;
    const at = ring.reserve(n);
    if (at < 0) break;
    ring.units[at] = n;
    for (let i = 1; i < n; i++) {
      ring.units[at + i] = sent + i - 1;
      sum += sent + i - 1;
    }
    ring.commit(at, n);
    sent++;
  }
  ring.finish();
  return { sent, sum };
}

describe('ring', () => {
  it('carries 200 000 messages through a 64 KiB ring whole and in order', async () => {
    const buffers = createRingBuffers(64 * 1024);
    const { done } = consume(buffers);
    const ring = new RingProducer(buffers);
    // 200 000 messages of 2..62 units: ~52 MB through 8 192 units, so hundreds of wrap-arounds
    const { sent, sum } = produce(ring, 200_000);
    expect(sent).toBe(200_000);
    expect(await done).toEqual({ count: 200_000, sum, outOfOrder: 0 });
  });

  it('stops the producer when the consumer closes (its reader went away)', async () => {
    const buffers = createRingBuffers(64 * 1024);
    const { done } = consume(buffers, 1000);
    const ring = new RingProducer(buffers);
    const { sent } = produce(ring, 200_000);
    const summary = await done;
    expect(summary.count).toBe(1000);
    expect(ring.closed).toBe(true);
    // the producer noticed at a full ring, long before its 200 000 messages
    expect(sent).toBeLessThan(200_000);
  });

  it('does not wait forever for a consumer that never started (a worker whose module failed to load)', async () => {
    const buffers = createRingBuffers(64 * 1024);
    const worker = new Worker('throw new Error("cannot load")', { eval: true });
    const failed = new Promise((resolve) => worker.once('error', resolve));
    const ring = new RingProducer(buffers, 300);
    const started = Date.now();
    const { sent } = produce(ring, 200_000);
    // the ring filled (8 192 units hold ~250 messages), the producer waited 300 ms for a start, then gave up
    expect(sent).toBeGreaterThan(100);
    expect(sent).toBeLessThan(1000);
    expect(ring.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(String(await failed)).toContain('cannot load');
  });

  it('refuses a message too large for the ring', () => {
    const ring = new RingProducer(createRingBuffers(64 * 1024));
    expect(() => ring.reserve(4096)).toThrow('ring message of 4096 units is too large');
  });
});
