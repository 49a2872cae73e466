/**
 * Short descriptions of a match for people: who is the client, who the
 * server, and one line of what happened. Used by the terminal UI and by the
 * summary `flowsig watch` prints when it ends.
 */
import type { FlowRecord } from '../flow/record.js';
import type { Match } from '../nfql/exec/ungrouper.js';
import { utcTime } from '../report/matches.js';

/** multicast or broadcast: never a conversation's server */
export function isGroupAddress(ip: string): boolean {
  if (ip.includes(':')) return /^ff/i.test(ip);
  const first = Number(ip.split('.')[0]);
  return (first >= 224 && first <= 239) || ip === '255.255.255.255';
}

/**
 * The client and server of a match: the (source, destination) pair that
 * most member flows share, multicast destinations left out (Skype's mDNS
 * query is not the login); the first flow's pair when every flow is multicast.
 */
export function clientServer(flows: readonly FlowRecord[]): { client: string; server: string } {
  const counts = new Map<string, { client: string; server: string; n: number }>();
  for (const f of flows) {
    if (isGroupAddress(f.dstip)) continue;
    const k = `${f.srcip} ${f.dstip}`;
    const c = counts.get(k) ?? { client: f.srcip, server: f.dstip, n: 0 };
    c.n++;
    counts.set(k, c);
  }
  let best: { client: string; server: string; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  if (best) return { client: best.client, server: best.server };
  return { client: flows[0]?.srcip ?? '', server: flows[0]?.dstip ?? '' };
}

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmp6', 132: 'sctp' };
export const protoName = (p: number): string => PROTO[p] ?? String(p);

/** "4 flows, 3× tcp/443, 1× udp/5353 over 3m 2s" */
export function matchSummary(m: Match): string {
  const kinds = new Map<string, number>();
  for (const f of m.flows) {
    const k = `${protoName(f.proto)}/${f.dstport}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const parts = [...kinds].map(([k, n]) => `${n}× ${k}`).join(', ');
  return `${m.flows.length} flow${m.flows.length === 1 ? '' : 's'}: ${parts} in ${shortSpan(m.etime - m.stime)}`;
}

/** 850ms, 12.3s, 3m 2s, 1h 4m */
export function shortSpan(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** One line per match for the end-of-run summary. */
export function matchLine(m: Match): string {
  const { client, server } = clientServer(m.flows);
  return `${m.signature} #${m.match}  ${utcTime(m.stime)}  client ${client} → server ${server}  (${matchSummary(m)})`;
}

/** The tags worth a glance on a flow: app, SIP methods and codes, one-way RTP, NAT64, xlat side, DNS names. */
export function tagText(rec: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const set = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
  if (rec.app) parts.push(String(rec.app));
  if (Array.isArray(rec.sip_methods) && rec.sip_methods.length) parts.push(`sip ${set(rec.sip_methods)}`);
  if (Array.isArray(rec.sip_codes) && rec.sip_codes.length) parts.push(`codes ${set(rec.sip_codes)}`);
  if (rec.sdp_ipv4_literal === true) parts.push('sdp ipv4 literal');
  if (rec.rtp_reverse === false) parts.push('rtp one-way');
  else if (rec.rtp_reverse === true) parts.push('rtp two-way');
  if (rec.nat64 === true) parts.push(`nat64${rec.nat64_ipv4 ? ` ${rec.nat64_ipv4}` : ''}`);
  if (rec.xlat) parts.push(`xlat ${rec.xlat}`);
  if (Array.isArray(rec.dns_qnames) && rec.dns_qnames.length) parts.push(`q ${rec.dns_qnames.slice(0, 2).join(',')}${rec.dns_qnames.length > 2 ? ',…' : ''}`);
  if (rec.dns_synth64 === true) parts.push('dns64');
  return parts.join('  ');
}
