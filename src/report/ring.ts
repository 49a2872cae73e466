/**
 * A single-producer, single-consumer ring of variable-length messages in a
 * SharedArrayBuffer, for handing raw flow records from the metering thread
 * to the formatting worker without copying through postMessage.
 *
 * Units are 8 bytes (a Float64Array over the data). A message is a length
 * unit (the message's size in units, including itself) followed by its
 * units; a length of -1 says "continue at 0" (a message never wraps). The
 * producer publishes its position in batches (each publish may wake a
 * sleeping consumer, a futex call), the consumer publishes its position
 * after each batch it took. Either side sleeps with Atomics.wait when it
 * has nothing to do; a sleep flag lets the other side skip notify when no
 * one is sleeping.
 *
 * A consumer that dies must not leave the producer waiting for room
 * forever: the consumer says it started (`started`) and closes the ring when
 * it fails (`close`), and a producer that finds the ring full waits at most
 * `startupTimeoutMs` for a consumer that never started (a worker whose
 * module could not load), then treats the ring as closed.
 */

// control words (Int32Array over a small shared buffer)
const WRITE = 0;
const READ = 1;
const DONE = 2;
const CONSUMER_SLEEPS = 3;
const PRODUCER_SLEEPS = 4;
/** set by the consumer when its output went away (a closed pipe): the producer may stop */
const CLOSED = 5;
/** set by the consumer once it runs */
const STARTED = 6;
const CONTROL_WORDS = 7;

const WRAP = -1;

export interface RingBuffers {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export function createRingBuffers(bytes: number): RingBuffers {
  return { control: new SharedArrayBuffer(CONTROL_WORDS * 4), data: new SharedArrayBuffer(Math.max(1 << 16, bytes & ~7)) };
}

/**
 * Publish after this share of the ring was written: each publish may wake the consumer (a futex call,
 * microseconds), so batches must be large; 1/16 of the ring still keeps the consumer busy.
 */
const PUBLISH_SHARE = 16;

export class RingProducer {
  private readonly ctl: Int32Array;
  /** the data as units and as bytes */
  readonly units: Float64Array;
  readonly bytes: Uint8Array;
  private readonly cap: number;
  private w = 0;
  private published = 0;
  private readonly publishUnits: number;

  constructor(buffers: RingBuffers, private readonly startupTimeoutMs = 10_000) {
    this.ctl = new Int32Array(buffers.control);
    this.units = new Float64Array(buffers.data);
    this.bytes = new Uint8Array(buffers.data);
    this.cap = this.units.length;
    this.publishUnits = Math.floor(this.cap / PUBLISH_SHARE);
  }

  /**
   * Room for a message of `n` units (length unit included); returns the index of its first unit, where
   * the caller writes n, or -1 when the consumer closed the ring. Waits while the consumer is behind.
   * `commit` must follow before the next reserve.
   */
  reserve(n: number): number {
    if (n >= this.cap / 2) throw new Error(`ring message of ${n} units is too large`);
    for (;;) {
      const r = Atomics.load(this.ctl, READ);
      const w = this.w;
      if (w >= r) {
        if (this.cap - w > n) return w;
        if (r > n) {
          this.units[w] = WRAP;
          this.w = 0;
          return 0;
        }
      } else if (r - w > n) return w;
      if (this.closed) return -1;
      this.sleepUntilRead(r);
    }
  }

  /** The message of `n` units reserved at `at` is written. */
  commit(at: number, n: number): void {
    this.w = at + n;
    if (this.w - this.published >= this.publishUnits || this.w < this.published) this.publish();
  }

  /** Let the consumer see everything committed so far. */
  publish(): void {
    this.published = this.w;
    Atomics.store(this.ctl, WRITE, this.w);
    if (Atomics.load(this.ctl, CONSUMER_SLEEPS) === 1) Atomics.notify(this.ctl, WRITE);
  }

  /** No more messages. */
  finish(): void {
    this.publish();
    Atomics.store(this.ctl, DONE, 1);
    Atomics.notify(this.ctl, WRITE);
  }

  /** the consumer's output went away */
  get closed(): boolean {
    return Atomics.load(this.ctl, CLOSED) === 1;
  }

  private sleepUntilRead(r: number): void {
    this.publish();
    if (Atomics.load(this.ctl, STARTED) === 0) {
      // the consumer may still be loading; one that never starts never makes room
      Atomics.wait(this.ctl, STARTED, 0, this.startupTimeoutMs);
      if (Atomics.load(this.ctl, STARTED) === 0) {
        Atomics.store(this.ctl, CLOSED, 1);
        return;
      }
    }
    Atomics.store(this.ctl, PRODUCER_SLEEPS, 1);
    // re-check after announcing the sleep: the consumer may have moved in between
    if (Atomics.load(this.ctl, READ) === r && !this.closed) Atomics.wait(this.ctl, READ, r, 1000);
    Atomics.store(this.ctl, PRODUCER_SLEEPS, 0);
  }
}

export class RingConsumer {
  private readonly ctl: Int32Array;
  readonly units: Float64Array;
  readonly bytes: Uint8Array;
  private r = 0;

  constructor(buffers: RingBuffers) {
    this.ctl = new Int32Array(buffers.control);
    this.units = new Float64Array(buffers.data);
    this.bytes = new Uint8Array(buffers.data);
  }

  private stopped = false;

  /** Calls `take(at)` for every message until the producer finished or `close` was called, sleeping when there is none. */
  run(take: (at: number) => void): void {
    while (!this.stopped) {
      const w = Atomics.load(this.ctl, WRITE);
      if (this.r === w) {
        if (Atomics.load(this.ctl, DONE) === 1 && Atomics.load(this.ctl, WRITE) === this.r) return;
        Atomics.store(this.ctl, CONSUMER_SLEEPS, 1);
        if (Atomics.load(this.ctl, WRITE) === w && Atomics.load(this.ctl, DONE) === 0) Atomics.wait(this.ctl, WRITE, w, 1000);
        Atomics.store(this.ctl, CONSUMER_SLEEPS, 0);
        continue;
      }
      let r = this.r;
      while (r !== w && !this.stopped) {
        const n = this.units[r];
        if (n === WRAP) {
          r = 0;
          continue;
        }
        take(r);
        r += n;
      }
      this.r = r;
      Atomics.store(this.ctl, READ, r);
      if (Atomics.load(this.ctl, PRODUCER_SLEEPS) === 1) Atomics.notify(this.ctl, READ);
    }
  }

  /** The consumer runs: a producer waiting for room may wait for it. */
  started(): void {
    Atomics.store(this.ctl, STARTED, 1);
    Atomics.notify(this.ctl, STARTED);
  }

  /** Tell the producer to stop (the output went away, or the consumer failed). */
  close(): void {
    this.stopped = true;
    Atomics.store(this.ctl, CLOSED, 1);
    Atomics.notify(this.ctl, READ);
  }
}
