/**
 * The nat64 and xlat tags, set on the output thread (src/report/threaded.ts)
 * rather than the metering thread when records are formatted there.
 *
 * Neither needs a flow's payloads: nat64 reads the record's addresses, xlat
 * a flow's first packet's header (when it begins), its record (when it
 * ends), and the CLAT hosts the SIP tagger learns. They were a third of the
 * metering thread's time on a NAT64 capture — every NAT64 flow tagged, half
 * the flows looked up in xlat's pending table — while the output thread
 * waited half the time. The metering thread now only sends an event per flow
 * xlat may claim (`xlatMayClaim`: NAT64-prefix, tunneled and IPv4 flows) and
 * per CLAT host, in the ring between the records, so the output thread sees
 * begins, CLAT hosts and ends in exactly the order one thread would and runs
 * the same two taggers on them: the records are byte for byte the same.
 *
 * These two taggers' fields come last among the tag fields (src/tag/index.ts),
 * so the output thread appends them after the tag bytes the metering thread
 * encoded; only xlat's rewrite of `sdp_ipv4_literal` (an earlier field) asks
 * for the record's tag fields to be decoded and encoded again (rare: a SIP
 * flow on a NAT64's IPv4 side).
 */
import type { PacketView } from '../decode/view.js';
import { RAW_DST, RAW_ETIME, RAW_IPVER, RAW_REC_ID, RAW_SRC } from '../flow/raw.js';
import type { FieldValue, FlowRecord } from '../flow/record.js';
import type { FlowInspector } from '../flow/meter.js';
import type { TagEnv } from './inspector.js';
import { createMediaRegistry } from './media.js';
import { embeddedIpv4OfWords, NAT64_FIELDS, prefixOfWords, type Prefix64, setNat64Fields } from './nat64.js';
import { createXlatTagger, XLAT_FIELDS, xlatMayClaim } from './xlat.js';

/** the fields set on the output thread, the last of the tag fields */
export const OFF_THREAD_FIELDS: readonly string[] = [...NAT64_FIELDS, ...XLAT_FIELDS].map((f) => f.name);

/** What the metering thread tells the output thread besides the records. */
export interface OffThreadEvents {
  /** flow slot `flow`, which xlat may claim, begins with this packet */
  flowBegins(flow: number, view: PacketView, buf: Uint8Array, tsMs: number): void;
  /** the SIP tagger learned that `host` (IPv6, as text) is a 464XLAT CLAT */
  clatHost(host: string): void;
}

/** A set of CLAT hosts that tells `events` of each host it learns. */
export function forwardingClatHosts(events: OffThreadEvents): Set<string> {
  return new (class extends Set<string> {
    override add(host: string): this {
      if (!this.has(host)) events.clatHost(host);
      return super.add(host);
    }
  })();
}

/**
 * The metering thread's side: `inspector` (the taggers but nat64 and xlat) with an event for every
 * flow xlat may claim, sent before the taggers see the flow.
 */
export function forwardingInspector(inspector: FlowInspector, pref64: readonly Prefix64[], events: OffThreadEvents): FlowInspector {
  return {
    begin(flow, view, buf, tsMs) {
      if (xlatMayClaim(view, buf, pref64)) events.flowBegins(flow, view, buf, tsMs);
      return inspector.begin(flow, view, buf, tsMs);
    },
    packet: inspector.packet,
    end: inspector.end,
    fields: inspector.fields,
  };
}

/**
 * The record the two taggers set their fields on, on the output thread. The SIP tagger's fields xlat
 * reads (`sdp_ipv4_literal`, `sdp_media`) are decoded from the tag bytes only when read.
 */
class LateRecord {
  rec_id = 0;
  etime = 0;
  nat64: FieldValue | undefined = undefined;
  nat64_ipv4: FieldValue | undefined = undefined;
  xlat: FieldValue | undefined = undefined;
  xlat_peer: FieldValue | undefined = undefined;
  xlat_answered: FieldValue | undefined = undefined;
  xlat_peer_flow: FieldValue | undefined = undefined;
  /** what xlat set `sdp_ipv4_literal` to (undefined: left alone) */
  literal: FieldValue | undefined = undefined;

  constructor(private readonly tagged: () => FlowRecord | undefined) {}

  get sdp_ipv4_literal(): FieldValue | undefined {
    return this.tagged()?.sdp_ipv4_literal;
  }

  set sdp_ipv4_literal(v: FieldValue | undefined) {
    this.literal = v;
  }

  get sdp_media(): FieldValue | undefined {
    return this.tagged()?.sdp_media;
  }
}

export interface LateTagger {
  /** slot `flow` began with this packet (what `OffThreadEvents.flowBegins` was told) */
  begin(flow: number, view: PacketView, buf: Uint8Array, tsMs: number): void;
  clatHost(host: string): void;
  /**
   * The flow in slot `flow` ended with the raw record at `raw[at]`: its nat64 and xlat fields, or
   * undefined when it has none. The record is reused for the next flow. Its `literal`, when defined, is
   * the value xlat gave `sdp_ipv4_literal`.
   */
  end(flow: number, raw: Float64Array, at: number): LateTags | undefined;
}

export type LateTags = FlowRecord & { literal: FieldValue | undefined };

/**
 * The output thread's side. `tagged` gives the tag fields the metering thread's taggers set on the
 * record being ended (decoded when called; undefined when none claimed the flow).
 */
export function createLateTagger(pref64: readonly Prefix64[], tagged: () => FlowRecord | undefined): LateTagger {
  const xlat = createXlatTagger();
  const env: TagEnv = { pref64, media: createMediaRegistry(), clatHosts: new Set<string>() };
  /** per slot: the xlat tagger's state (0: not claimed) */
  let ids = new Int32Array(1024);
  const rec = new LateRecord(tagged);
  const late = rec as unknown as LateTags;

  return {
    begin(flow, v, buf, tsMs) {
      if (flow >= ids.length) {
        let c = ids.length;
        while (c <= flow) c *= 2;
        const bigger = new Int32Array(c); bigger.set(ids); ids = bigger;
      }
      ids[flow] = xlat.claim(v, buf as Buffer, tsMs, env) > 0 ? xlat.open(v, buf as Buffer, tsMs, env) : 0;
    },
    clatHost(host) {
      env.clatHosts.add(host);
    },
    end(flow, raw, at) {
      const id = flow < ids.length ? ids[flow] : 0;
      const ver = raw[at + RAW_IPVER] | 0;
      if (id === 0 && ver !== 6) return undefined;
      rec.nat64 = undefined; rec.nat64_ipv4 = undefined;
      rec.xlat = undefined; rec.xlat_peer = undefined; rec.xlat_answered = undefined; rec.xlat_peer_flow = undefined;
      rec.literal = undefined;
      let some = false;
      if (ver === 6) {
        // what the nat64 tagger finds in the first packet: the destination's prefix, else the source's
        let words = at + RAW_DST;
        let pre = prefixOfWords(pref64, raw, words);
        if (pre === undefined) pre = prefixOfWords(pref64, raw, (words = at + RAW_SRC));
        if (pre !== undefined) {
          setNat64Fields(late, embeddedIpv4OfWords(pre, raw, words));
          some = true;
        }
      }
      if (id !== 0) {
        ids[flow] = 0;
        rec.rec_id = raw[at + RAW_REC_ID];
        rec.etime = raw[at + RAW_ETIME];
        xlat.close(id, late, env);
        some = true;
      }
      return some ? late : undefined;
    },
  };
}
