/**
 * SIP (RFC 3261) over UDP and TCP: request methods, response codes, Call-IDs,
 * and the media endpoints of SDP bodies (offers and answers), which go to the
 * media registry so the RTP tagger can recognize the call's streams.
 *
 * Claimed: flows on port 5060/5061 (either side), and flows whose first
 * payload starts like a SIP message (one 4-byte comparison), so SIP on other
 * ports is found when its first packet carries data (UDP; not TCP, whose first
 * packet is the SYN). A first IPv6/IPv4 fragment carries the start of the
 * message; what lies in later fragments (often the SDP body) is not seen.
 */
import { formatIp } from '../flow/addr.js';
import type { FieldDef } from '../flow/fields.js';
import type { PacketView } from '../decode/view.js';
import type { Tagger, TagEnv } from './inspector.js';
import { parseSdp } from './sdp.js';

const TCP = 6;
const UDP = 17;
/** signalling is small: every packet of the flow up to this many */
export const SIP_BUDGET = 4000;
const MAX_CALL_IDS = 64;

export const SIP_FIELDS: readonly FieldDef[] = [
  { name: 'sip_methods', aliases: [], type: 'set', group: 'tag', description: 'SIP request methods seen (INVITE, ACK, BYE, REGISTER, …)' },
  { name: 'sip_codes', aliases: [], type: 'set', group: 'tag', description: 'SIP response status codes seen (100, 180, 200, 488, …)' },
  { name: 'sip_callid', aliases: [], type: 'string', group: 'tag', description: 'Call-ID of the first SIP message; on RTP/RTCP flows, the Call-ID of the call whose SDP announced the stream' },
  { name: 'sip_callids', aliases: [], type: 'set', group: 'tag', description: 'every Call-ID seen in the flow (at most 64)' },
  { name: 'sdp_media', aliases: [], type: 'set', group: 'tag', description: 'media endpoints announced in SDP bodies (c=/m= lines of offers and answers) as address:port, IPv6 in brackets' },
  {
    name: 'sdp_ipv4_literal', aliases: [], type: 'bool', group: 'tag',
    description: 'SDP sent by an IPv6-only host announces an IPv4 address (c=IN IP4): carried over IPv6, from a CLAT/B4 address (192.0.0.0/29), or on the IPv4 side of a NAT64 toward the IPv4 host; the reason SIP calls fail behind NAT64',
  },
];

interface SipState {
  methods: string[];
  codes: number[];
  callIds: string[];
  media: string[];
  ipv4Literal: boolean;
  sip: boolean;
}

const START_WORDS = new Set(
  ['SIP/', 'INVI', 'ACK ', 'BYE ', 'CANC', 'REGI', 'OPTI', 'PRAC', 'SUBS', 'NOTI', 'PUBL', 'INFO', 'REFE', 'MESS', 'UPDA']
    .map((w) => Buffer.from(w, 'latin1').readUInt32BE(0)),
);

function isSipPort(p: number): boolean {
  return p === 5060 || p === 5061;
}

export const sipTagger: Tagger<SipState> = {
  name: 'sip',
  fields: SIP_FIELDS,
  claim(view: PacketView, buf: Buffer): number {
    if (view.proto !== UDP && view.proto !== TCP) return 0;
    if (isSipPort(view.srcPort) || isSipPort(view.dstPort)) return SIP_BUDGET;
    if (view.payloadLen >= 12 && START_WORDS.has(buf.readUInt32BE(view.payloadOff))) return SIP_BUDGET;
    return 0;
  },
  open() {
    return { methods: [], codes: [], callIds: [], media: [], ipv4Literal: false, sip: false };
  },
  packet(state, _dir, view, buf, tsMs, env) {
    if (view.payloadLen === 0) return true;
    const text = buf.toString('latin1', view.payloadOff, view.payloadOff + view.payloadLen);
    let at = 0;
    // TCP may carry several messages per segment; Content-Length says where the next begins
    while (at < text.length) {
      const next = message(state, text, at, view, buf, tsMs, env);
      if (next <= at || view.proto !== TCP) break;
      at = next;
    }
    return true;
  },
  close(state, rec) {
    if (!state.sip) return;
    rec.app = 'sip';
    rec.sip_methods = state.methods;
    rec.sip_codes = state.codes;
    rec.sip_callid = state.callIds[0] ?? null;
    rec.sip_callids = state.callIds;
    if (state.media.length > 0) rec.sdp_media = state.media;
    rec.sdp_ipv4_literal = state.ipv4Literal;
  },
};

const REQUEST_LINE = /^([A-Z][A-Z0-9._!%*+`'~-]*) \S+ SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d)(?: |$)/;

/** Reads one message starting at `at`; returns where the next one would start (or `at` when this is no SIP message). */
function message(state: SipState, text: string, at: number, view: PacketView, buf: Buffer, tsMs: number, env: TagEnv): number {
  let eol = text.indexOf('\n', at);
  if (eol < 0) eol = text.length;
  const first = text.slice(at, text[eol - 1] === '\r' ? eol - 1 : eol);
  const status = STATUS_LINE.exec(first);
  const request = status ? null : REQUEST_LINE.exec(first);
  if (!status && !request) return at;
  state.sip = true;
  if (status) addOnce(state.codes, Number(status[1]));
  else addOnce(state.methods, request![1]);

  let headersEnd = text.indexOf('\r\n\r\n', eol);
  let bodyStart = headersEnd + 4;
  if (headersEnd < 0) {
    headersEnd = text.indexOf('\n\n', eol);
    bodyStart = headersEnd + 2;
  }
  if (headersEnd < 0) headersEnd = bodyStart = text.length;
  let callId = '';
  let contentType = '';
  let contentLength = -1;
  for (const raw of text.slice(eol + 1, headersEnd).split('\n')) {
    const colon = raw.indexOf(':');
    if (colon <= 0) continue;
    const name = raw.slice(0, colon).trim().toLowerCase();
    const value = raw.slice(colon + 1).trim();
    if (name === 'call-id' || name === 'i') callId = value;
    else if (name === 'content-type' || name === 'c') contentType = value.toLowerCase();
    else if (name === 'content-length' || name === 'l') contentLength = Number(value);
  }
  if (callId !== '' && state.callIds.length < MAX_CALL_IDS) addOnce(state.callIds, callId);
  const bodyEnd = contentLength >= 0 ? Math.min(text.length, bodyStart + contentLength) : text.length;
  if (bodyEnd > bodyStart && (contentType.includes('sdp') || contentType.startsWith('multipart/'))) {
    let body = text.slice(bodyStart, bodyEnd);
    const v = body.indexOf('v=0');
    if (v > 0) body = body.slice(v);
    if (v >= 0) sdp(state, body, callId, view, buf, tsMs, env);
  }
  return contentLength >= 0 ? bodyStart + contentLength : text.length;
}

function sdp(state: SipState, body: string, callId: string, view: PacketView, buf: Buffer, tsMs: number, env: TagEnv): void {
  const parsed = parseSdp(body);
  // over IPv6, or from a CLAT's or B4's IPv4 address (192.0.0.0/29): an IPv6-only host sent it
  if (parsed.announcesIpv4 && (view.ipVersion === 6 || (view.ipVersion === 4 && inClatRange(buf, view.srcOff)))) state.ipv4Literal = true;
  if (view.ipVersion === 6 && parsed.media.some((m) => m.family === 4 && CLAT_RANGE.test(m.address))) {
    env.clatHosts.add(formatIp(buf, view.srcOff, 6));
  }
  for (const m of parsed.media) {
    addOnce(state.media, m.family === 6 ? `[${m.address}]:${m.port}` : `${m.address}:${m.port}`);
    if (/RTP/i.test(m.transport)) env.media.announce(m.address, m.port, { callId, tsMs, clockRates: parsed.clockRates });
  }
}

/** 192.0.0.0/29 (RFC 6333, RFC 7335): the IPv4 addresses of DS-Lite B4s and 464XLAT CLATs */
const CLAT_RANGE = /^192\.0\.0\.[0-7]$/;

function inClatRange(buf: Uint8Array, off: number): boolean {
  return buf[off] === 192 && buf[off + 1] === 0 && buf[off + 2] === 0 && buf[off + 3] < 8;
}

function addOnce<T>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value);
}
