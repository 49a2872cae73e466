/**
 * The learner's input: one run per file. A capture goes through its own flow
 * pipeline (the meter and taggers of `flowsig flows`, so the records are the
 * ones `flowsig query` sees); a flow file (ndjson/csv from `flowsig flows`)
 * is read as it is. Runs never share a meter: flows of two runs must not
 * merge, and the taggers keep per-run state.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readCaptureFile } from '../capture/open.js';
import { isPcapMagic } from '../capture/pcap.js';
import { BLOCK_SECTION_HEADER } from '../capture/pcapng.js';
import { InputError } from '../capture/types.js';
import { readFlowFile, sniffFlowFormat } from '../flow/flowfile.js';
import type { MeterOptions } from '../flow/meter.js';
import { createFlowPipeline } from '../flow/pipeline.js';
import type { FlowRecord } from '../flow/record.js';

export type RunLabel = 'good' | 'bad';

export interface Run {
  file: string;
  label: RunLabel;
  /** every record of the run, in start-time order */
  records: FlowRecord[];
  /** the records the learner looks at: housekeeping (ND, MLD, router solicitations) left out */
  traffic: FlowRecord[];
  /**
   * The client: the host that opens the most connections (requests to a
   * service port), not counting the translator's own copies (xlat =
   * nat64-v4: on a NAT64 box every IPv6 flow reappears from the NAT's pool
   * address). Items speak of "the client", never of its address.
   */
  client: string | undefined;
}

export interface RunReadOptions {
  /** a fresh meter configuration per run (taggers keep state) */
  meter: () => Partial<MeterOptions>;
  tunnels: 'inner' | 'outer';
}

/**
 * ICMPv6 types that every IPv6 host sends whatever its applications do:
 * MLD queries and reports (130–132, 143), router and neighbour discovery
 * (133–137). They say nothing about an application, and a learner that used
 * them would "find" the link's timing. ICMPv6 keeps type and code in dstport
 * (type × 256 + code).
 */
const HOUSEKEEPING_ICMP6 = new Set([130, 131, 132, 133, 134, 135, 136, 137, 143]);

export function isHousekeeping(r: FlowRecord): boolean {
  if (r.proto === 58) return HOUSEKEEPING_ICMP6.has(Math.floor(r.dstport / 256));
  if (r.proto === 2) return true; // IGMP
  return r.srcip === '::'; // duplicate-address detection and MLD before an address exists
}

export function readRun(file: string, label: RunLabel, opts: RunReadOptions): Run {
  const records: FlowRecord[] = [];
  const onRecord = (r: FlowRecord) => records.push(r);
  if (looksLikeCapture(file)) {
    const p = createFlowPipeline({ meter: opts.meter(), decode: { tunnels: opts.tunnels } }, onRecord);
    try {
      readCaptureFile(file, p.sink);
    } finally {
      p.meter.flush('eof');
    }
  } else {
    readFlowFile(file, onRecord);
  }
  records.sort((a, b) => a.stime - b.stime || a.rec_id - b.rec_id);
  const traffic = records.filter((r) => !isHousekeeping(r));
  return { file, label, records, traffic, client: clientOf(traffic) };
}

function isMulticastDst(ip: string): boolean {
  return ip.includes(':') ? ip.toLowerCase().startsWith('ff') : Number(ip.split('.')[0]) >= 224;
}

/**
 * The host that opens the most conversations: a flow opens one unless its
 * reverse flow (addresses and ports swapped) started earlier. Multicast and
 * the translator's own copies (xlat = nat64-v4) do not count; ties go to the
 * host seen first.
 */
export function clientOf(traffic: readonly FlowRecord[]): string | undefined {
  const started = new Map<string, number>();
  for (const r of traffic) {
    const k = `${r.proto}|${r.srcip}|${r.srcport}|${r.dstip}|${r.dstport}`;
    if (!started.has(k)) started.set(k, r.stime);
  }
  const counts = new Map<string, number>();
  for (const r of traffic) {
    if (r.xlat === 'nat64-v4' || isMulticastDst(r.dstip)) continue;
    const reverse = started.get(`${r.proto}|${r.dstip}|${r.dstport}|${r.srcip}|${r.srcport}`);
    if (reverse !== undefined && reverse < r.stime) continue;
    counts.set(r.srcip, (counts.get(r.srcip) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [ip, n] of counts) if (best === undefined || n > counts.get(best)!) best = ip;
  return best;
}
/** A capture by its magic number; anything else must be a flow file (readFlowFile reports what it is not). */
function looksLikeCapture(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(file, undefined, `cannot open: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
  }
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n === 0) throw new InputError(file, 0, 'empty file, expected a capture or flow records');
    if (n >= 4) {
      const magic = head.readUInt32BE(0);
      if (isPcapMagic(magic) || magic === BLOCK_SECTION_HEADER) return true;
    }
    if (sniffFlowFormat(head.toString('utf8', 0, n))) return false;
    throw new InputError(file, 0, 'neither a capture (pcap, pcapng) nor a flow file (ndjson or csv from `flowsig flows`)');
  } finally {
    closeSync(fd);
  }
}
