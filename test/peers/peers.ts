/**
 * Shared by the peer tests (nfstream.test.ts, ndpi.test.ts): run a corpus
 * capture through flowsig's pipeline in-process, write addresses and
 * endpoints the same way for flowsig and the peers, and the list of non-first
 * IP fragments of dns/ndpi-dns-fragmented-ipv4.pcap (both peers leave them out
 * of their flows, flowsig counts them in theirs).
 */
import { readCaptureFile } from '../../src/capture/open.js';
import { InputError } from '../../src/capture/types.js';
import { createFlowPipeline, type PacketCounters } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { corpusPath } from '../corpus.js';

export interface MeterRun {
  records: FlowRecord[];
  counters: PacketCounters;
  /** the InputError message when the capture is damaged (everything before the damage is metered) */
  damage: string | undefined;
}

export interface MeterRunOptions {
  idleTimeoutMs: number;
  activeTimeoutMs: number;
  tunnels: 'inner' | 'outer';
}

/** `flowsig flows -r FILE --biflow --idle … --active … [--tunnel outer]`, in-process. */
export function meterCapture(rel: string, opts: MeterRunOptions): MeterRun {
  const records: FlowRecord[] = [];
  const pipeline = createFlowPipeline(
    {
      meter: { biflow: true, idleTimeoutMs: opts.idleTimeoutMs, activeTimeoutMs: opts.activeTimeoutMs },
      decode: { tunnels: opts.tunnels },
    },
    (rec) => records.push(rec),
  );
  let damage: string | undefined;
  try {
    readCaptureFile(corpusPath(rel), pipeline.sink);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    damage = err.message;
  }
  pipeline.meter.flush('eof');
  return { records, counters: pipeline.counters, damage };
}

/** Records in flow-creation order: by first packet time, then record number. */
export function byCreation(records: readonly FlowRecord[]): FlowRecord[] {
  return [...records].sort((a, b) => a.stime - b.stime || a.rec_id - b.rec_id);
}

/**
 * One spelling per address, independent of flowsig's and the peers' printers:
 * IPv4 as is, IPv6 in RFC 5952 form (nDPI writes `b00c::99` where RFC 5952 and
 * flowsig write `b00c:0:99`). A string that is not a valid IPv6 address (nDPI
 * prints some garbage addresses with two `::`) is returned unchanged.
 */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  const halves = ip.split('::');
  if (halves.length > 2) return ip;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1].split(':');
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return ip;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return ip;
  // longest run of at least two zero groups (the first one on a tie) becomes ::
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** `1.2.3.4:53`, `[2001:db8::1]:53` */
export function endpoint(ip: string, port: number): string {
  const c = canonicalIp(ip);
  return c.includes(':') ? `[${c}]:${port}` : `${c}:${port}`;
}

/** IP protocol numbers by the names nDPI prints. */
export const PROTO_BY_NAME: Readonly<Record<string, number>> = { ICMP: 1, IGMP: 2, TCP: 6, UDP: 17, ICMPV6: 58 };
export const PROTO_NAME: Readonly<Record<number, string>> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPV6', 59: 'IPV6-NONXT' };

/** Flow key of a record, written as the peers write flows: `UDP 1.2.3.4:5060 <-> 5.6.7.8:5060`. */
export function recordFlow(rec: FlowRecord): string {
  return `${PROTO_NAME[rec.proto] ?? String(rec.proto)} ${endpoint(rec.srcip, rec.srcport)} <-> ${endpoint(rec.dstip, rec.dstport)}`;
}

/** A packet flowsig counts and the peers do not, and the flow it belongs to. */
export interface ExtraPacket {
  /** frame number (Wireshark's, 1-based) */
  frame: number;
  /** bytes on the wire */
  wireLen: number;
  /** `flowsig flows --biflow` record it is counted in, initiator first (see recordFlow) */
  flow: string;
  /** 'rev' when the responder sent it */
  dir: 'fwd' | 'rev';
  /** nfstream's flow id of that flow */
  nfstreamId: number;
  what: string;
}

export const DNS_FRAGMENTS_CAPTURE = 'dns/ndpi-dns-fragmented-ipv4.pcap';

/**
 * Every non-first IP fragment of dns/ndpi-dns-fragmented-ipv4.pcap, from
 * `tshark -r F -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields
 * -e frame.number -e frame.len -e ip.id -e ip.frag_offset -e ipv6.fraghdr.ident
 * -e ipv6.fraghdr.offset …`: the second half of a DNS response too big for one
 * packet. The capture has 66 packets; these 7 are the only fragments with an
 * offset other than 0 (their first fragments are frames 2, 5, 8, 11, 16, 38, 41).
 * docs/flows.md: later fragments are counted in their first fragment's flow.
 */
export const DNS_NON_FIRST_FRAGMENTS: readonly ExtraPacket[] = [
  { frame: 3, wireLen: 264, flow: 'UDP 172.217.40.76:56680 <-> 193.24.227.238:53', dir: 'rev', nfstreamId: 0, what: 'IPv4 id 0xd0fe, offset 1480' },
  { frame: 6, wireLen: 123, flow: 'UDP [2a00:1450:4013:c03::10a]:46433 <-> [2001:470:765b::a25:53]:53', dir: 'rev', nfstreamId: 1, what: 'IPv6 fragment id 0x28403c0b, offset 1448' },
  { frame: 9, wireLen: 112, flow: 'UDP [2a00:1450:4013:c06::105]:63369 <-> [2001:470:765b::a25:53]:53', dir: 'rev', nfstreamId: 2, what: 'IPv6 fragment id 0x247f0cb3, offset 1448' },
  { frame: 12, wireLen: 52, flow: 'UDP 173.194.169.104:59464 <-> 193.24.227.238:53', dir: 'rev', nfstreamId: 3, what: 'IPv4 id 0xe211, offset 1480' },
  { frame: 17, wireLen: 264, flow: 'UDP 74.125.47.136:59330 <-> 193.24.227.238:53', dir: 'rev', nfstreamId: 5, what: 'IPv4 id 0x893c, offset 1480' },
  { frame: 39, wireLen: 368, flow: 'UDP [2001:470:1f0b:16b0:20c:29ff:fe7c:a4cb]:55729 <-> [2001:470:765b::a25:53]:53', dir: 'rev', nfstreamId: 15, what: 'IPv6 fragment id 0x0000069a, offset 1432' },
  { frame: 42, wireLen: 292, flow: 'UDP 194.247.5.6:51791 <-> 193.24.227.238:53', dir: 'rev', nfstreamId: 16, what: 'IPv4 id 0xdca5, offset 1480' },
];

export const NON_FIRST_FRAGMENT_REASON =
  'the peer ignores non-first IP fragments (IPv4 and IPv6: no ports, so no flow); flowsig counts each one in the flow of its first fragment (docs/flows.md, Fragments)';
