/**
 * Packet and bit rates over sliding wall-clock windows (2 s, 10 s, 40 s in
 * the watch header), from cumulative counters sampled on every tick. A
 * window longer than the time sampled so far averages over what there is.
 */
export interface Rates {
  /** record the cumulative counters at wall time `nowMs` (monotonic ms) */
  sample(nowMs: number, packets: number, bytes: number): void;
  packetsPerSecond(windowMs: number): number;
  bitsPerSecond(windowMs: number): number;
}

/** samples kept: enough for the longest window at one sample per 250 ms, with room */
const KEEP_MS = 45_000;

export function createRates(): Rates {
  const times: number[] = [];
  const packets: number[] = [];
  const bytes: number[] = [];

  function rate(values: number[], windowMs: number): number {
    const n = times.length;
    if (n < 2) return 0;
    const last = n - 1;
    const from = times[last] - windowMs;
    // the newest sample at or before the window's start (or the oldest one)
    let i = last - 1;
    while (i > 0 && times[i] > from) i--;
    const dt = times[last] - times[i];
    return dt > 0 ? ((values[last] - values[i]) * 1000) / dt : 0;
  }

  return {
    sample(nowMs, p, b) {
      times.push(nowMs);
      packets.push(p);
      bytes.push(b);
      let drop = 0;
      while (drop < times.length - 2 && times[drop + 1] < nowMs - KEEP_MS) drop++;
      if (drop > 0) {
        times.splice(0, drop);
        packets.splice(0, drop);
        bytes.splice(0, drop);
      }
    },
    packetsPerSecond: (w) => rate(packets, w),
    bitsPerSecond: (w) => rate(bytes, w) * 8,
  };
}
