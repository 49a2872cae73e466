/**
 * The tagger interface and the one FlowInspector that fans the meter's calls
 * out to the taggers (Zeek/nDPI style: each tagger knows nothing of the others).
 *
 * Cost model: `claim` runs once per new flow for every tagger and must decide
 * from ports, protocol and at most a few bytes of the first payload, without
 * allocating. Only flows some tagger claims get per-flow state (one Map entry)
 * and see packets.
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
  /** The flow ended: set fields on its record. */
  close(state: S, rec: FlowRecord, env: TagEnv): void;
}

interface Claim {
  tagger: Tagger;
  state: unknown;
  /** packets this tagger still wants */
  budget: number;
}

export function createTagInspector(taggers: readonly Tagger[], env: TagEnv): FlowInspector {
  const flows = new Map<number, Claim[]>();
  return {
    begin(flow, view, buf, tsMs) {
      let claims: Claim[] | undefined;
      let most = 0;
      let owned = false;
      for (let i = 0; i < taggers.length; i++) {
        const t = taggers[i];
        if (owned && t.annotates !== true) continue;
        const budget = t.claim(view, buf, tsMs, env);
        if (budget <= 0) continue;
        if (t.annotates !== true) owned = true;
        (claims ??= []).push({ tagger: t, state: t.open(view, buf, tsMs, env), budget });
        if (budget > most) most = budget;
      }
      if (claims !== undefined) flows.set(flow, claims);
      return most;
    },
    packet(flow, dir, view, buf, tsMs) {
      const claims = flows.get(flow);
      if (claims === undefined) return false;
      let more = false;
      for (let i = 0; i < claims.length; i++) {
        const c = claims[i];
        if (c.budget <= 0) continue;
        c.budget--;
        if (!c.tagger.packet(c.state, dir, view, buf, tsMs, env)) c.budget = 0;
        if (c.budget > 0) more = true;
      }
      return more;
    },
    end(flow, rec) {
      const claims = flows.get(flow);
      if (claims === undefined) return;
      flows.delete(flow);
      for (const c of claims) c.tagger.close(c.state, rec, env);
    },
  };
}
