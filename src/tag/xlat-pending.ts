/**
 * The xlat tagger's flows waiting to be paired, built for a cost of nearly
 * nothing per flow. A flow is a small integer id (from 1; 0 means none)
 * handed out by the tagger; everything the table keeps of it lives in typed
 * arrays indexed by that id — no object per flow for the garbage collector
 * to find again (a flow waits seconds: long enough to be promoted), and the
 * whole table stays small enough to sit in the processor's cache.
 *
 * - Every flow sits in three hash tables of intrusive doubly linked lists
 *   (newest first, the order pairing wants): by pairing key and class (IPv4
 *   host, its port, and which side, direction and protocol the flow is); by
 *   pairing key, class and client port (pairing prefers a flow with the same
 *   client port); and by pairing key alone. A lookup steps only over other
 *   keys sharing its bucket. The class and the client port matter: the many
 *   flows of one side toward one popular host and port (all the clients of a
 *   web server) would otherwise be stepped over by every new flow looking for
 *   its peer.
 * - A flow leaves both lists in constant time.
 * - Ended flows also sit in one list, so dropping those past the pairing
 *   window looks at them alone, in place.
 * - An empty bucket answers "surely not pending" for a new IPv4 flow with one
 *   array load: on a NAT64's IPv6 side alone every IPv4 flow asks, none pairs.
 */

const BUCKET_BITS = 16;
const NONE = 0;

// per id, stride LINK_WORDS in `links`
const HOST = 0;
const PORT_CLASS = 1;
const NEXT = 2;
const PREV = 3;
const HOST_NEXT = 4;
const HOST_PREV = 5;
const PENDING = 6;
const CLIENT_PORT = 7;
const PORT_NEXT = 8;
const PORT_PREV = 9;
const LINK_WORDS = 12;

function bucketOf(host: number, port: number): number {
  return Math.imul(host ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b) >>> (32 - BUCKET_BITS);
}

/** port and class in one number (a port is 16 bits, a class below 2^15) */
function portClass(port: number, cls: number): number {
  return port | (cls << 16);
}

/** the bucket of (host, port, class, client port) */
function portBucketOf(host: number, pc: number, clientPort: number): number {
  return bucketOf(host ^ Math.imul(clientPort, 0x27d4eb2f), pc);
}

export interface PendingTable {
  /** flows in the table, open and ended (0: nothing can pair) */
  readonly size: number;
  /** make room for ids below `n` */
  reserve(n: number): void;
  /** the newest flow (id) of (host, port) and class `cls`, 0 for none; `older` gives the next older one */
  first(host: number, port: number, cls: number): number;
  older(id: number): number;
  /** the same for flows of (host, port), class `cls` and client port `clientPort`; `olderSamePort` gives the next older one */
  firstSamePort(host: number, port: number, cls: number, clientPort: number): number;
  olderSamePort(id: number): number;
  /** whether some flow of (host, port), of any class, is pending */
  has(host: number, port: number): boolean;
  add(id: number, host: number, port: number, cls: number, clientPort: number): void;
  /** in the table (false once dropped) */
  isPending(id: number): boolean;
  /** the flow has ended at `at` (ms); `endedAt` gives it back, -1 while open. A flow not pending is only marked. */
  ended(id: number, at: number): void;
  endedAt(id: number): number;
  /** a new flow's id: not ended */
  reset(id: number): void;
  /** drops ended flows that ended more than `windowMs` before `now` (every ended one when `now` is Infinity) */
  prune(now: number, windowMs: number): void;
  /** drops every flow, open or ended */
  clear(): void;
}

/** `dropped` is told of each flow `prune` drops (no longer reachable through the table) */
export function createPendingTable(dropped: (id: number) => void): PendingTable {
  const byClass = new Int32Array(1 << BUCKET_BITS);
  const byHost = new Int32Array(1 << BUCKET_BITS);
  const byPort = new Int32Array(1 << BUCKET_BITS);
  let links = new Int32Array(0);
  let endedAt = new Float64Array(0);
  /** ended flows still in the table, in the order they ended */
  let done = new Int32Array(1024);
  let doneCount = 0;
  let size = 0;

  /** puts `id` first in bucket `b` of `heads`, a list linked through words `next`/`prev` */
  function push(heads: Int32Array, b: number, id: number, next: number, prev: number): void {
    const first = heads[b];
    links[id * LINK_WORDS + next] = first;
    links[id * LINK_WORDS + prev] = NONE;
    if (first !== NONE) links[first * LINK_WORDS + prev] = id;
    heads[b] = id;
  }

  /** takes `id` out of bucket `b` of `heads` (the list `push` put it in) */
  function remove(heads: Int32Array, b: number, id: number, next: number, prev: number): void {
    const n = links[id * LINK_WORDS + next], p = links[id * LINK_WORDS + prev];
    if (p === NONE) heads[b] = n; else links[p * LINK_WORDS + next] = n;
    if (n !== NONE) links[n * LINK_WORDS + prev] = p;
  }

  function unlink(id: number): void {
    const o = id * LINK_WORDS;
    const host = links[o + HOST], pc = links[o + PORT_CLASS];
    remove(byClass, bucketOf(host, pc), id, NEXT, PREV);
    remove(byHost, bucketOf(host, pc & 0xffff), id, HOST_NEXT, HOST_PREV);
    remove(byPort, portBucketOf(host, pc, links[o + CLIENT_PORT]), id, PORT_NEXT, PORT_PREV);
    links[o + PENDING] = 0;
    size--;
  }

  /** `id` itself or the next older flow of the same key and class */
  function sameClass(id: number, host: number, pc: number): number {
    while (id !== NONE && (links[id * LINK_WORDS + HOST] !== host || links[id * LINK_WORDS + PORT_CLASS] !== pc)) id = links[id * LINK_WORDS + NEXT];
    return id;
  }

  /** `id` itself or the next older flow of the same key, class and client port */
  function samePort(id: number, host: number, pc: number, clientPort: number): number {
    while (id !== NONE) {
      const o = id * LINK_WORDS;
      if (links[o + HOST] === host && links[o + PORT_CLASS] === pc && links[o + CLIENT_PORT] === clientPort) return id;
      id = links[o + PORT_NEXT];
    }
    return NONE;
  }

  return {
    get size() {
      return size;
    },
    reserve(n) {
      if (n <= endedAt.length) return;
      let c = Math.max(endedAt.length, 1024);
      while (c < n) c *= 2;
      const l = new Int32Array(c * LINK_WORDS); l.set(links); links = l;
      const e = new Float64Array(c); e.set(endedAt); endedAt = e;
    },
    first(host, port, cls) {
      const pc = portClass(port, cls);
      return sameClass(byClass[bucketOf(host, pc)], host, pc);
    },
    older(id) {
      const o = id * LINK_WORDS;
      return sameClass(links[o + NEXT], links[o + HOST], links[o + PORT_CLASS]);
    },
    firstSamePort(host, port, cls, clientPort) {
      const pc = portClass(port, cls);
      return samePort(byPort[portBucketOf(host, pc, clientPort)], host, pc, clientPort);
    },
    olderSamePort(id) {
      const o = id * LINK_WORDS;
      return samePort(links[o + PORT_NEXT], links[o + HOST], links[o + PORT_CLASS], links[o + CLIENT_PORT]);
    },
    has(host, port) {
      let id = byHost[bucketOf(host, port)];
      while (id !== NONE && (links[id * LINK_WORDS + HOST] !== host || (links[id * LINK_WORDS + PORT_CLASS] & 0xffff) !== port)) id = links[id * LINK_WORDS + HOST_NEXT];
      return id !== NONE;
    },
    add(id, host, port, cls, clientPort) {
      const o = id * LINK_WORDS;
      const pc = portClass(port, cls);
      links[o + HOST] = host;
      links[o + PORT_CLASS] = pc;
      links[o + CLIENT_PORT] = clientPort;
      push(byClass, bucketOf(host, pc), id, NEXT, PREV);
      push(byHost, bucketOf(host, port), id, HOST_NEXT, HOST_PREV);
      push(byPort, portBucketOf(host, pc, clientPort), id, PORT_NEXT, PORT_PREV);
      links[o + PENDING] = 1;
      size++;
    },
    isPending(id) {
      return links[id * LINK_WORDS + PENDING] === 1;
    },
    ended(id, at) {
      endedAt[id] = at;
      if (links[id * LINK_WORDS + PENDING] !== 1) return;
      if (doneCount === done.length) { const d = new Int32Array(done.length * 2); d.set(done); done = d; }
      done[doneCount++] = id;
    },
    endedAt(id) {
      return endedAt[id];
    },
    reset(id) {
      endedAt[id] = -1;
      links[id * LINK_WORDS + PENDING] = 0;
    },
    prune(now, windowMs) {
      let kept = 0;
      for (let i = 0; i < doneCount; i++) {
        const id = done[i];
        if (now === Infinity || now - endedAt[id] > windowMs) { unlink(id); dropped(id); } else done[kept++] = id;
      }
      doneCount = kept;
    },
    clear() {
      for (let b = 0; b < byHost.length; b++) {
        for (let id = byHost[b]; id !== NONE; id = links[id * LINK_WORDS + HOST_NEXT]) links[id * LINK_WORDS + PENDING] = 0;
      }
      byClass.fill(NONE);
      byHost.fill(NONE);
      byPort.fill(NONE);
      doneCount = 0;
      size = 0;
    },
  };
}
