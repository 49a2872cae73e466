/**
 * The xlat tagger's flows waiting to be paired, by pairing key (IPv4 host and
 * its port), built for a cost of nearly nothing per flow:
 *
 * - a fixed array of hash buckets, each an intrusive list (`next`, newest
 *   first, the order pairing wants): no Map (whose 48-bit number keys would be
 *   boxed) and no array per key; lookups step over other keys sharing a bucket;
 * - ended flows also sit in one array, so dropping those past the pairing
 *   window looks at them alone, in place, instead of filtering every list;
 * - an empty bucket answers "surely not pending" for a new IPv4 flow with one
 *   array load: on a NAT64's IPv6 side alone every IPv4 flow asks, none pairs.
 */

/** What the table needs of a flow. */
export interface PendingEntry<T> {
  /** pairing key: the IPv4 host (signed 32-bit) and its port */
  host: number;
  port: number;
  /** etime once its record was written, -1 while open */
  ended: number;
  /** the next older entry of the same bucket */
  next: T | undefined;
  /** in the table (false once dropped, so a flow ending later is not put back) */
  pending: boolean;
}

const BUCKET_BITS = 16;

function bucketOf(host: number, port: number): number {
  return Math.imul(host ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b) >>> (32 - BUCKET_BITS);
}

export interface PendingTable<T extends PendingEntry<T>> {
  /** flows in the table, open and ended (0: nothing can pair) */
  readonly size: number;
  /** the newest flow of (host, port); `older` gives the next older one */
  first(host: number, port: number): T | undefined;
  older(s: T): T | undefined;
  /** whether some flow of (host, port) is pending */
  has(host: number, port: number): boolean;
  add(s: T): void;
  /** `s` (in the table or not) has ended; its `ended` is set */
  ended(s: T): void;
  /** drops ended flows whose `ended` is more than `windowMs` before `now` (every ended one when `now` is Infinity) */
  prune(now: number, windowMs: number): void;
  clear(): void;
}

/** `dropped` is told of each flow `prune` drops (no longer reachable through the table) */
export function createPendingTable<T extends PendingEntry<T>>(dropped: (s: T) => void): PendingTable<T> {
  let buckets = new Array<T | undefined>(1 << BUCKET_BITS).fill(undefined);
  /** ended flows still in the table, in the order they ended */
  let done: T[] = [];
  let size = 0;

  /** `s` itself or the next older flow of the same key */
  function sameKey(s: T | undefined, host: number, port: number): T | undefined {
    while (s !== undefined && (s.host !== host || s.port !== port)) s = s.next;
    return s;
  }

  function unlink(s: T): void {
    const b = bucketOf(s.host, s.port);
    let p = buckets[b]!;
    if (p === s) buckets[b] = s.next;
    else {
      while (p.next !== s) p = p.next!;
      p.next = s.next;
    }
    s.next = undefined;
    s.pending = false;
    size--;
  }

  return {
    get size() {
      return size;
    },
    first(host, port) {
      return sameKey(buckets[bucketOf(host, port)], host, port);
    },
    older(s) {
      return sameKey(s.next, s.host, s.port);
    },
    has(host, port) {
      return sameKey(buckets[bucketOf(host, port)], host, port) !== undefined;
    },
    add(s) {
      const b = bucketOf(s.host, s.port);
      s.next = buckets[b];
      buckets[b] = s;
      s.pending = true;
      size++;
    },
    ended(s) {
      if (s.pending) done.push(s);
    },
    prune(now, windowMs) {
      let kept = 0;
      for (let i = 0; i < done.length; i++) {
        const s = done[i];
        if (now === Infinity || now - s.ended > windowMs) { unlink(s); dropped(s); } else done[kept++] = s;
      }
      done.length = kept;
    },
    clear() {
      for (let s of buckets) {
        while (s !== undefined) {
          const next: T | undefined = s.next;
          s.next = undefined;
          s.pending = false;
          s = next;
        }
      }
      buckets = new Array<T | undefined>(1 << BUCKET_BITS).fill(undefined);
      done = [];
      size = 0;
    },
  };
}
