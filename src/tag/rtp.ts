/**
 * RTP and RTCP (RFC 3550). A UDP flow is RTP when one of its endpoints was
 * announced in an SDP body before the flow began (RTCP on the port after it),
 * and carries that call's Call-ID. Other UDP flows that look like RTP
 * (version 2, steady SSRC, sequence numbers counting up, a plausible payload
 * type) are tagged too, with `rtp_guessed`.
 *
 * Per stream (the flow's first SSRC in its initiator direction): packets lost
 * (expected from the sequence numbers minus received) and the interarrival
 * jitter of RFC 3550 section 6.4.1 in milliseconds. Every packet is counted,
 * so the per-packet work is a few arithmetic operations.
 */
import { formatIp } from '../flow/addr.js';
import type { FieldDef } from '../flow/fields.js';
import type { PacketView } from '../decode/view.js';
import type { Tagger } from './inspector.js';
import type { Announcement } from './media.js';

const UDP = 17;
/** RTP needs every packet: the meter's per-flow maximum */
export const RTP_BUDGET = 0xffff;
/** packets (in the first direction) that must agree before a guess counts */
const CONFIRM = 3;
/** sequence steps still taken as "counting up" while guessing */
const MAX_GUESS_STEP = 8;

export const RTP_FIELDS: readonly FieldDef[] = [
  { name: 'rtp_ssrc', aliases: [], type: 'string', group: 'tag', description: 'SSRC of the flow\'s RTP stream (first one seen), 0x-prefixed hex as Wireshark shows it' },
  { name: 'rtp_pt', aliases: [], type: 'int', group: 'tag', description: 'RTP payload type of the stream\'s first packet' },
  { name: 'rtp_lost', aliases: [], type: 'int', group: 'tag', description: 'RTP packets lost: expected (from the extended sequence numbers) minus received (RFC 3550 A.3; negative with duplicates)' },
  { name: 'rtp_jitter_max', aliases: [], type: 'duration', unit: 'ms', group: 'tag', description: 'largest RFC 3550 interarrival jitter estimate over the stream, milliseconds' },
  { name: 'rtp_jitter_mean', aliases: [], type: 'duration', unit: 'ms', group: 'tag', description: 'mean of the jitter estimate over the stream\'s packets, milliseconds' },
  { name: 'rtp_reverse', aliases: [], type: 'bool', group: 'tag', description: 'RTP/RTCP flows: the reverse direction (same endpoints swapped) carried RTP/RTCP too; false means one-way audio' },
  { name: 'rtp_guessed', aliases: [], type: 'bool', group: 'tag', description: 'RTP/RTCP recognized from the packets alone (no SDP announced the endpoint)' },
];

/** RFC 3551 static payload types → clock rate */
const STATIC_RATES: Record<number, number> = {
  0: 8000, 3: 8000, 4: 8000, 5: 8000, 6: 16000, 7: 8000, 8: 8000, 9: 8000, 10: 44100, 11: 44100, 12: 8000, 13: 8000,
  14: 90000, 15: 8000, 16: 11025, 17: 22050, 18: 8000, 25: 90000, 26: 90000, 28: 90000, 31: 90000, 32: 90000, 33: 90000, 34: 90000,
};

interface Stream {
  ssrc: number;
  pt: number;
  received: number;
  /** lastArrival/lastTs hold a packet whose payload type has a known clock (jitter can be measured from it) */
  haveRef: boolean;
  baseSeq: number;
  maxSeq: number;
  cycles: number;
  lastArrival: number;
  lastTs: number;
  jitter: number;
  jitterMax: number;
  jitterSum: number;
}

interface RtpState {
  kind: 'rtp' | 'rtcp';
  call: Announcement | undefined;
  /** heuristic: confirmed after CONFIRM agreeing packets */
  confirmed: boolean;
  rejected: boolean;
  /** entered in `seen` */
  remembered: boolean;
  streams: (Stream | undefined)[];
  /** packets seen per direction */
  seen: [number, number];
  key: string;
  reverseKey: string;
}

/** flows recognized as RTP/RTCP, "src|sport|dst|dport" → last time, to tell one-way audio in unidirectional records */
const MAX_SEEN = 200_000;

export function createRtpTagger(): Tagger<RtpState> {
  const seen = new Map<string, number>();

  function remember(state: RtpState, tsMs: number): void {
    if (seen.size >= MAX_SEEN) {
      for (const [k, t] of seen) if (tsMs - t > 3600_000) seen.delete(k);
      if (seen.size >= MAX_SEEN) seen.clear();
    }
    seen.set(state.key, tsMs);
  }

  return {
    name: 'rtp',
    fields: RTP_FIELDS,
    claim(view, buf, _ts, env) {
      if (view.proto !== UDP) return 0;
      if (env.media.size > 0 && env.media.match(view, buf, env.pref64)) return RTP_BUDGET;
      return looksLikeRtp(view, buf) !== undefined ? RTP_BUDGET : 0;
    },
    open(view, buf, _ts, env) {
      const m = env.media.size > 0 ? env.media.match(view, buf, env.pref64) : undefined;
      const src = formatIp(buf, view.srcOff, view.ipVersion);
      const dst = formatIp(buf, view.dstOff, view.ipVersion);
      return {
        kind: m ? m.kind : looksLikeRtp(view, buf)!,
        call: m?.call,
        confirmed: m !== undefined,
        rejected: false,
        remembered: false,
        streams: [undefined, undefined],
        seen: [0, 0],
        key: `${src}|${view.srcPort}|${dst}|${view.dstPort}`,
        reverseKey: `${dst}|${view.dstPort}|${src}|${view.srcPort}`,
      };
    },
    packet(state, dir, view, buf, tsMs) {
      state.seen[dir]++;
      const off = view.payloadOff;
      const len = view.payloadLen;
      if (state.kind === 'rtcp') {
        const ok = len >= 8 && (buf[off] & 0xc0) === 0x80 && buf[off + 1] >= 200 && buf[off + 1] <= 207;
        if (!state.confirmed) {
          if (!ok) {
            state.rejected = true;
            return false;
          }
          if (state.seen[0] + state.seen[1] >= 2) state.confirmed = true;
        }
        if (state.confirmed && !state.remembered) {
          state.remembered = true;
          remember(state, tsMs);
        }
        return !state.confirmed;
      }
      if (len < 12 || (buf[off] & 0xc0) !== 0x80) {
        if (!state.confirmed) {
          state.rejected = true;
          return false;
        }
        return true;
      }
      const pt = buf[off + 1] & 0x7f;
      const seq = (buf[off + 2] << 8) | buf[off + 3];
      const ts = buf.readUInt32BE(off + 4);
      const ssrc = buf.readUInt32BE(off + 8);
      let s = state.streams[dir];
      if (s === undefined) {
        const haveRef = clockRate(state, pt) > 0;
        s = { ssrc, pt, received: 1, haveRef, baseSeq: seq, maxSeq: seq, cycles: 0, lastArrival: tsMs, lastTs: ts, jitter: 0, jitterMax: 0, jitterSum: 0 };
        state.streams[dir] = s;
        if (state.confirmed && !state.remembered) {
          state.remembered = true;
          remember(state, tsMs);
        }
        return true;
      }
      if (ssrc !== s.ssrc) {
        // another stream in the same flow: the first one is the one measured
        if (!state.confirmed) {
          state.rejected = true;
          return false;
        }
        return true;
      }
      const step = (seq - s.maxSeq) & 0xffff;
      if (!state.confirmed) {
        if (step === 0 || step > MAX_GUESS_STEP) {
          state.rejected = true;
          return false;
        }
        if (s.received + 1 >= CONFIRM) {
          state.confirmed = true;
          state.remembered = true;
          remember(state, tsMs);
        }
      }
      s.received++;
      if (step < 0x8000) {
        if (seq < s.maxSeq) s.cycles += 65536;
        s.maxSeq = seq;
      }
      // RFC 3550 A.8 interarrival jitter. The stream may switch payload types (voice, comfort noise,
      // a fax codec): each packet is measured with its own payload type's clock; a packet whose type has
      // no known clock (a dynamic type SDP did not map) cannot be measured and is left out, and an RTP
      // timestamp that steps backwards (a new timestamp base) restarts the reference instead of
      // counting as seconds of jitter.
      const rate = clockRate(state, pt);
      if (rate > 0) {
        const tsStep = (ts - s.lastTs) | 0;
        if (s.haveRef && tsStep >= 0) {
          const d = (tsMs - s.lastArrival) - (tsStep * 1000) / rate;
          s.jitter += (Math.abs(d) - s.jitter) / 16;
          if (s.jitter > s.jitterMax) s.jitterMax = s.jitter;
        }
        s.haveRef = true;
        s.lastArrival = tsMs;
        s.lastTs = ts;
      }
      s.jitterSum += s.jitter;
      return true;
    },
    close(state, rec) {
      if (!state.confirmed || state.rejected) return;
      rec.app = state.kind;
      if (state.call) rec.sip_callid = state.call.callId;
      rec.rtp_guessed = state.call === undefined;
      rec.rtp_reverse = state.seen[1] > 0 || (rec.rev_packets ?? 0) > 0 || seen.has(state.reverseKey);
      const s = state.streams[0] ?? state.streams[1];
      if (state.kind !== 'rtp' || s === undefined) return;
      rec.rtp_ssrc = `0x${s.ssrc.toString(16).padStart(8, '0')}`;
      rec.rtp_pt = s.pt;
      rec.rtp_lost = s.cycles + s.maxSeq - s.baseSeq + 1 - s.received;
      // microseconds, as flow files print durations (records read back from a file then equal these)
      rec.rtp_jitter_max = Math.round(s.jitterMax * 1000) / 1000;
      // over the packets after the first (the first has no estimate), as Wireshark averages
      rec.rtp_jitter_mean = s.received > 1 ? Math.round((s.jitterSum / (s.received - 1)) * 1000) / 1000 : 0;
    },
  };
}

/** The clock rate of payload type `pt` in this flow's call (SDP rtpmap), else RFC 3551's; 0 when unknown. */
function clockRate(state: RtpState, pt: number): number {
  return state.call?.clockRates.get(pt) ?? STATIC_RATES[pt] ?? 0;
}

/** From the first packet of an unannounced UDP flow: 'rtp', 'rtcp' or undefined (most flows: one byte read). */
function looksLikeRtp(view: PacketView, buf: Buffer): 'rtp' | 'rtcp' | undefined {
  if (view.payloadLen < 12 || view.srcPort < 1024 || view.dstPort < 1024) return undefined;
  const off = view.payloadOff;
  if ((buf[off] & 0xc0) !== 0x80) return undefined;
  const b1 = buf[off + 1];
  if (b1 >= 200 && b1 <= 204) return 'rtcp';
  const pt = b1 & 0x7f;
  if (pt >= 72 && pt <= 76) return undefined;
  if (pt > 34 && pt < 96) return undefined;
  return 'rtp';
}
