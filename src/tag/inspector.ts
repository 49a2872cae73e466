/**
 * The tagger interface and the one FlowInspector that fans the meter's calls
 * out to the taggers (Zeek/nDPI style: each tagger knows nothing of the others).
 *
 * Cost model: `claim` runs once per new flow for every tagger and must decide
 * from ports, protocol and at most a few bytes of the first payload, without
 * allocating. Only flows some tagger claims get per-flow state and see packets.
 * That state lives in arrays indexed by the meter's slot number (dense, below
 * the flow-table size) rather than in a Map of per-flow claim objects: a flow
 * lives for seconds, so anything allocated for it survives the young
 * generation and has to be found again by a full garbage collection — which
 * cost more than the taggers' own work. A tagger whose state fits in a number
 * (nat64) allocates nothing at all.
 */
import type { FieldDef } from '../flow/fields.js';
import type { FlowInspector } from '../flow/meter.js';
import type { FlowRecord } from '../flow/record.js';
import type { PacketView } from '../decode/view.js';
import type { Prefix64 } from './nat64.js';
import type { MediaRegistry } from './media.js';

/** What the taggers of one pipeline share. */
export interface TagEnv {
  /** NAT64 prefixes (RFC 6052); the well-known 64:ff9b::/96 unless --pref64 says otherwise */
  pref64: readonly Prefix64[];
  /** media endpoints announced in SDP, for the RTP tagger */
  media: MediaRegistry;
  /**
   * IPv6 addresses of 464XLAT CLATs: hosts whose SDP, sent over IPv6, announced a 192.0.0.0/29
   * address (the IPv4 application behind the CLAT speaking). Filled by the SIP tagger, read by xlat.
   */
  clatHosts: Set<string>;
}

/**
 * One protocol's tagger. Its per-flow state `S` is whatever `open` returns —
 * an object, or a plain number when that is enough (no allocation per flow).
 *
 * `close` may read from the record only rec_id, stime, etime, duration,
 * ipver, proto, srcport, dstport, packets, bytes, rev_packets, rev_bytes and
 * the tag fields other taggers set: not srcip/dstip/tun_* (the fast output
 * path formats addresses off the main thread, so they may not be text yet).
 * A tagger that needs an address keeps it from the first packet in `open`.
 * Nor may it keep the record: the fast path refills one record for every
 * tagged flow (values it set, such as a list, may be kept).
 */
export interface Tagger<S = unknown> {
  readonly name: string;
  /** adds fields beside whatever application tagger claims the flow (nat64); otherwise the first application tagger to claim a flow owns it */
  readonly annotates?: boolean;
  /** the fields this tagger sets (registered once by src/tag/index.ts) */
  readonly fields: readonly FieldDef[];
  /** From the flow's first packet: how many packets to show (0: not this tagger's flow). */
  claim(view: PacketView, buf: Buffer, tsMs: number, env: TagEnv): number;
  /** Per-flow state for a claimed flow (called right after a claim > 0). */
  open(view: PacketView, buf: Buffer, tsMs: number, env: TagEnv): S;
  /** One packet; false: this tagger has seen enough of the flow. */
  packet(state: S, dir: number, view: PacketView, buf: Buffer, tsMs: number, env: TagEnv): boolean;
  /** The flow ended: set fields on its record (see above for what of the record it may read). */
  close(state: S, rec: FlowRecord, env: TagEnv): void;
}

/** at most this many taggers: which ones claimed a flow is a bit mask per slot */
const MAX_TAGGERS = 16;

export function createTagInspector(taggers: readonly Tagger[], env: TagEnv): FlowInspector {
  const n = taggers.length;
  if (n > MAX_TAGGERS) throw new Error(`at most ${MAX_TAGGERS} taggers`);
  const annotates = taggers.map((t) => t.annotates === true);
  let cap = 0;
  /** per slot: bit i set when tagger i claimed the flow */
  let claimed = new Uint16Array(0);
  /** per slot and tagger (slot·n + i): packets tagger i still wants; its state */
  let budgets = new Int32Array(0);
  let states: unknown[] = [];

  /** slot numbers are dense: grow by doubling to hold `slot` */
  function reserve(slot: number): void {
    let c = Math.max(cap, 1024);
    while (c <= slot) c *= 2;
    const b = new Uint16Array(c); b.set(claimed); claimed = b;
    const g = new Int32Array(c * n); g.set(budgets); budgets = g;
    const old = states;
    states = new Array<unknown>(c * n).fill(undefined);
    for (let i = 0; i < old.length; i++) states[i] = old[i];
    cap = c;
  }

  return {
    begin(flow, view, buf, tsMs) {
      let mask = 0;
      let most = 0;
      let owned = false;
      for (let i = 0; i < n; i++) {
        if (owned && !annotates[i]) continue;
        const t = taggers[i];
        const budget = t.claim(view, buf, tsMs, env);
        if (budget <= 0) continue;
        if (!annotates[i]) owned = true;
        if (flow >= cap) reserve(flow);
        mask |= 1 << i;
        budgets[flow * n + i] = budget;
        states[flow * n + i] = t.open(view, buf, tsMs, env);
        if (budget > most) most = budget;
      }
      if (mask !== 0) claimed[flow] = mask;
      return most;
    },
    packet(flow, dir, view, buf, tsMs) {
      if (flow >= cap) return false;
      const mask = claimed[flow];
      let more = false;
      for (let i = 0; i < n; i++) {
        if ((mask & (1 << i)) === 0) continue;
        const at = flow * n + i;
        if (budgets[at] <= 0) continue;
        budgets[at]--;
        if (!taggers[i].packet(states[at], dir, view, buf, tsMs, env)) budgets[at] = 0;
        if (budgets[at] > 0) more = true;
      }
      return more;
    },
    end(flow, rec) {
      if (flow >= cap) return;
      const mask = claimed[flow];
      if (mask === 0) return;
      claimed[flow] = 0;
      for (let i = 0; i < n; i++) {
        if ((mask & (1 << i)) === 0) continue;
        const at = flow * n + i;
        const state = states[at];
        states[at] = undefined;
        budgets[at] = 0;
        taggers[i].close(state, rec, env);
      }
    },
  };
}
