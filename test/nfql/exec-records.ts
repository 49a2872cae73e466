/**
 * Hand-made flow records and small query helpers for the executor's tests.
 */
import { readFileSync } from 'node:fs';
import type { FlowRecord } from '../../src/flow/record.js';
import { compileQuery, type CheckedQuery, type ExtraField } from '../../src/nfql/index.js';
import { executeQuery, type QueryResult } from '../../src/nfql/exec/index.js';

export const T0 = Date.UTC(2012, 5, 1, 10, 0, 0);
export const SEC = 1000;

let nextId = 1;

/** Start numbering rec_ids at 1 again. */
export function resetIds(): void {
  nextId = 1;
}

export interface FlowSpec extends Partial<FlowRecord> {
  /** start, seconds after T0 */
  at?: number;
  /** duration in seconds */
  lasts?: number;
}

/** A TCP flow record with defaults; `at`/`lasts` in seconds relative to T0. */
export function flow(spec: FlowSpec): FlowRecord {
  const { at, lasts, ...rest } = spec;
  const stime = rest.stime ?? T0 + (at ?? 0) * SEC;
  const etime = rest.etime ?? stime + (lasts ?? 0) * SEC;
  const srcip = rest.srcip ?? '192.0.2.10';
  return {
    rec_id: nextId++,
    ipver: srcip.includes(':') ? 6 : 4,
    proto: 6,
    srcip,
    srcport: 40000,
    dstip: '198.51.100.20',
    dstport: 80,
    tos: 0,
    tcpflags: 0x1b,
    packets: 10,
    bytes: 1000,
    l2bytes: 1140,
    input: 0,
    vlan: 0,
    tunnel: null,
    tun_srcip: null,
    tun_dstip: null,
    endreason: 'fin',
    ...rest,
    stime,
    etime,
    duration: etime - stime,
  };
}

/** Tag fields the tests use (their taggers are not part of this suite). */
export const TAGS: ExtraField[] = [
  { name: 'app', type: 'enum', values: ['sip', 'rtp', 'rtcp', 'mdns', 'dns'] },
  { name: 'sip_methods', type: 'set' },
  { name: 'sip_codes', type: 'set' },
  { name: 'nat64', type: 'bool' },
];

export function compile(text: string, name = 'test'): CheckedQuery {
  return compileQuery(text, `${name}.nfql`, { extraFields: TAGS });
}

export function run(text: string, records: FlowRecord[], name = 'test'): QueryResult {
  return executeQuery(compile(text, name), records);
}

/** rec_ids a filter-only query keeps */
export function kept(filterBody: string, records: FlowRecord[]): number[] {
  const r = run(`filter f { ${filterBody} }`, records);
  return r.matches.map((m) => m.flows[0].rec_id);
}

/** rec_ids of each match's flows */
export function matchIds(result: QueryResult): number[][] {
  return result.matches.map((m) => m.flows.map((f) => f.rec_id));
}

export const LEARNED = new URL('../../learned/', import.meta.url);

export function learned(name: string): string {
  return readFileSync(new URL(name, LEARNED), 'utf8');
}

/**
 * A failed Skype login behind NAT64, as NFQL.md §6 describes it: an mDNS flow
 * to 224.0.0.251:5353 lasting 1–5 s, then three HTTPS flows from one host to
 * one server, 55–59 s each, consecutive source ports, strictly decreasing
 * packet counts, all after the mDNS flow.
 */
export function failedSkypeLogin(host = '2001:db8:1::10', server = '64:ff9b::5db8:d822', at = 0, lanHost = '192.168.1.10'): FlowRecord[] {
  return [
    flow({ at, lasts: 3, proto: 17, srcip: lanHost, srcport: 5353, dstip: '224.0.0.251', dstport: 5353, packets: 4, bytes: 400, tcpflags: 0 }),
    flow({ at: at + 5, lasts: 57, srcip: host, srcport: 50123, dstip: server, dstport: 443, packets: 12 }),
    flow({ at: at + 6, lasts: 58, srcip: host, srcport: 50124, dstip: server, dstport: 443, packets: 9 }),
    flow({ at: at + 7, lasts: 56, srcip: host, srcport: 50125, dstip: server, dstport: 443, packets: 7 }),
  ];
}
