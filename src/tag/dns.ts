/**
 * DNS (RFC 1035) on port 53 over UDP and TCP, and mDNS / DNS-SD (RFC 6762,
 * 6763) on port 5353: query names and types, response codes, answer counts,
 * A/AAAA answer addresses, DNS-SD service types, and `dns_synth64` when an
 * AAAA answer lies in a NAT64 prefix (DNS64 synthesized it).
 */
import { formatIp } from '../flow/addr.js';
import type { FieldDef } from '../flow/fields.js';
import type { FlowRecord } from '../flow/record.js';
import type { PacketView } from '../decode/view.js';
import type { Tagger, TagEnv } from './inspector.js';
import { prefixOf } from './nat64.js';

const TCP = 6;
const UDP = 17;
const DNS_PORT = 53;
const MDNS_PORT = 5353;
/** a lookup is a handful of packets */
export const DNS_BUDGET = 16;
/** mDNS flows (host:5353 → group:5353) last the whole capture; the first packets say what the host asks and offers */
export const MDNS_BUDGET = 64;
const MAX_ITEMS = 64;
const HEADER = 12;

export const DNS_FIELDS: readonly FieldDef[] = [
  { name: 'dns_qnames', aliases: [], type: 'set', group: 'tag', description: 'DNS/mDNS query names (questions), without the trailing dot; <Root> for the root' },
  { name: 'dns_qtypes', aliases: [], type: 'set', group: 'tag', description: 'DNS/mDNS query types by mnemonic (A, AAAA, PTR, SRV, TXT, ANY, …; TYPEnnn otherwise)' },
  { name: 'dns_rcodes', aliases: [], type: 'set', group: 'tag', description: 'response codes of DNS responses (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, …)' },
  { name: 'dns_answers', aliases: [], type: 'set', group: 'tag', description: 'addresses in A and AAAA answer records' },
  { name: 'dns_ancount', aliases: [], type: 'int', group: 'tag', description: 'answer records in the flow\'s responses (sum of ANCOUNT)' },
  { name: 'dns_synth64', aliases: [], type: 'bool', group: 'tag', description: 'an AAAA answer lies in a NAT64 prefix (synthesized by DNS64)' },
  { name: 'mdns_services', aliases: [], type: 'set', group: 'tag', description: 'DNS-SD service types named in mDNS questions and answers (e.g. _ipp._tcp.local)' },
];

const TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR',
  39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 52: 'TLSA', 64: 'SVCB', 65: 'HTTPS',
  99: 'SPF', 252: 'AXFR', 255: 'ANY', 257: 'CAA',
};
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

/** "TYPEnnn" texts made so far: a flow keeps what it names until it ends, so each text is made once */
const otherTypes: (string | undefined)[] = [];

export function typeName(t: number): string {
  return TYPES[t] ?? (otherTypes[t] ??= `TYPE${t}`);
}

/**
 * A set of distinct items (at most MAX_ITEMS) as a flow collects it: nothing,
 * the one item, or a list once a second one comes. A lookup lives for seconds,
 * so whatever its state holds outlives the young generation and costs a full
 * collection; most flows name one thing or none, so the record's list is made
 * only when the record is.
 */
type Items = string | string[] | undefined;

function addItem(items: Items, value: string): Items {
  if (items === undefined) return value;
  if (typeof items === 'string') return items === value ? items : [items, value];
  if (items.length < MAX_ITEMS && !items.includes(value)) items.push(value);
  return items;
}

function listOf(items: Items): string[] {
  return items === undefined ? [] : typeof items === 'string' ? [items] : items;
}

interface DnsState {
  mdns: boolean;
  dns: boolean;
  qnames: Items;
  qtypes: Items;
  rcodes: Items;
  answers: Items;
  ancount: number;
  synth64: boolean;
  services: Items;
}

/**
 * States of ended flows, reused by new ones: a state lives for its flow's
 * seconds, so a fresh one per flow would be promoted and left for a full
 * collection.
 */
const spare: DnsState[] = [];
const MAX_SPARE = 16_384;

export const dnsTagger: Tagger<DnsState> = {
  name: 'dns',
  fields: DNS_FIELDS,
  claim(view: PacketView) {
    if (view.proto !== UDP && view.proto !== TCP) return 0;
    if (view.srcPort === DNS_PORT || view.dstPort === DNS_PORT) return DNS_BUDGET;
    if (view.proto === UDP && (view.srcPort === MDNS_PORT || view.dstPort === MDNS_PORT)) return MDNS_BUDGET;
    return 0;
  },
  open(view) {
    const mdns = (view.srcPort === MDNS_PORT || view.dstPort === MDNS_PORT) && view.srcPort !== DNS_PORT && view.dstPort !== DNS_PORT;
    const s = spare.pop();
    if (s === undefined) return { mdns, dns: false, qnames: undefined, qtypes: undefined, rcodes: undefined, answers: undefined, ancount: 0, synth64: false, services: undefined };
    s.mdns = mdns;
    return s;
  },
  packet(state, _dir, view, buf, _ts, env) {
    let off = view.payloadOff;
    const end = off + view.payloadLen;
    if (view.proto === TCP) {
      // RFC 1035 4.2.2: each message is preceded by its length; messages split over segments are skipped
      while (off + 2 + HEADER <= end) {
        const len = buf.readUInt16BE(off);
        if (!message(state, buf, off + 2, Math.min(end, off + 2 + len), env)) break;
        off += 2 + len;
      }
      return true;
    }
    message(state, buf, off, end, env);
    return true;
  },
  close(state, rec) {
    if (state.dns) setFields(state, rec);
    // the lists now belong to the record; the state is clean for the next flow
    state.dns = false;
    state.qnames = state.qtypes = state.rcodes = state.answers = state.services = undefined;
    state.ancount = 0;
    state.synth64 = false;
    if (spare.length < MAX_SPARE) spare.push(state);
  },
};

/** the record's dns fields (its lists become the record's) */
function setFields(state: DnsState, rec: FlowRecord): void {
  rec.app = state.mdns ? 'mdns' : 'dns';
  rec.dns_qnames = listOf(state.qnames);
  rec.dns_qtypes = listOf(state.qtypes);
  if (state.rcodes !== undefined) rec.dns_rcodes = listOf(state.rcodes);
  if (state.answers !== undefined) rec.dns_answers = listOf(state.answers);
  rec.dns_ancount = state.ancount;
  rec.dns_synth64 = state.synth64;
  if (state.mdns) rec.mdns_services = listOf(state.services);
}

/** One DNS message in buf[start, end); false when it is not one. Truncated messages (first fragments) give what they hold. */
function message(state: DnsState, buf: Buffer, start: number, end: number, env: TagEnv): boolean {
  if (end - start < HEADER) return false;
  const flags = buf.readUInt16BE(start + 2);
  const opcode = (flags >>> 11) & 0xf;
  if (opcode > 6 || opcode === 3) return false;
  const response = (flags & 0x8000) !== 0;
  const qd = buf.readUInt16BE(start + 4);
  const an = buf.readUInt16BE(start + 6);
  state.dns = true;
  if (response) {
    // mDNS responses carry no meaningful rcode (RFC 6762 18.11)
    if (!state.mdns) state.rcodes = addItem(state.rcodes, RCODES[flags & 0xf] ?? `RCODE${flags & 0xf}`);
    state.ancount += an;
  }
  let off = start + HEADER;
  for (let i = 0; i < qd; i++) {
    const name = readName(buf, start, off, end);
    if (name === undefined || name.next + 4 > end) return true;
    off = name.next;
    state.qnames = addItem(state.qnames, name.text);
    state.qtypes = addItem(state.qtypes, typeName(buf.readUInt16BE(off)));
    if (state.mdns) service(state, name.text);
    off += 4;
  }
  if (!response && !state.mdns) return true;
  for (let i = 0; i < an; i++) {
    const name = readName(buf, start, off, end);
    if (name === undefined || name.next + 10 > end) return true;
    off = name.next;
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    const rdata = off + 10;
    if (rdata + rdlen > end) return true;
    if (type === 1 && rdlen === 4) state.answers = addItem(state.answers, formatIp(buf, rdata, 4));
    else if (type === 28 && rdlen === 16) {
      state.answers = addItem(state.answers, formatIp(buf, rdata, 6));
      if (prefixOf(env.pref64, buf, rdata) !== undefined) state.synth64 = true;
    }
    if (state.mdns) {
      service(state, name.text);
      if (type === 12) {
        const target = readName(buf, start, rdata, rdata + rdlen);
        if (target) service(state, target.text);
      }
    }
    off = rdata + rdlen;
  }
  return true;
}

/** "printer._ipp._tcp.local" → "_ipp._tcp.local"; the DNS-SD meta-query names itself */
function service(state: DnsState, name: string): void {
  const m = /(?:^|\.)(_[^.]+\._(?:tcp|udp)\..+)$/i.exec(name);
  if (m) state.services = addItem(state.services, m[1]);
}

/** A possibly compressed name at `off` (nothing read at or past `end`: the buffer may hold other packets); `next` is the offset after it. */
function readName(buf: Buffer, msg: number, off: number, end: number): { text: string; next: number } | undefined {
  const labels: string[] = [];
  let next = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (off >= end) return undefined;
    const len = buf[off];
    if (len === 0) {
      if (next < 0) next = off + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= end || ++jumps > 32) return undefined;
      if (next < 0) next = off + 2;
      off = msg + (((len & 0x3f) << 8) | buf[off + 1]);
      continue;
    }
    if ((len & 0xc0) !== 0 || off + 1 + len > end) return undefined;
    labels.push(buf.toString('utf8', off + 1, off + 1 + len));
    total += len + 1;
    if (total > 255) return undefined;
    off += 1 + len;
  }
  if (next > end) return undefined;
  return { text: labels.length === 0 ? '<Root>' : labels.join('.'), next };
}

