/**
 * The ungrouper (docs/nfql.md §1): a matched tuple of groups becomes a match
 * — the member flow records of its groups, each once, sorted by start time
 * (ties: rec_id). Both original implementations skipped the de-duplication
 * and the ordering; flowsig does both, and also reports two tuples with the
 * same member records once (`A o B OR B o A` finds each pair both ways).
 */
import type { FlowRecord } from '../../flow/record.js';
import type { Group } from './group.js';

export interface MatchGroup {
  branch: string;
  group: Group;
}

export interface Match {
  signature: string;
  /** 1-based, in start-time order within the signature */
  match: number;
  stime: number;
  etime: number;
  /** addresses of the member flows, in order of first appearance (source before destination) */
  hosts: string[];
  /** member flow records, de-duplicated, by start time */
  flows: FlowRecord[];
  /** the groups the match was made of, in branch order */
  groups: MatchGroup[];
}

/** Numbers records by first sight, to de-duplicate by identity (rec_ids may repeat across flow files). */
export class RecordIds {
  private readonly ids = new Map<FlowRecord, number>();

  of(rec: FlowRecord): number {
    let id = this.ids.get(rec);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(rec, id);
    }
    return id;
  }
}

export function byStart(a: FlowRecord, b: FlowRecord): number {
  return a.stime - b.stime || a.rec_id - b.rec_id;
}

/** One match (unnumbered) from groups; undefined when an identical match was already made. */
export function ungroup(signature: string, groups: MatchGroup[], ids: RecordIds, seen: Set<string>): Match | undefined {
  const unique = new Set<FlowRecord>();
  for (const { group } of groups) for (const m of group.members) unique.add(m);
  const flows = [...unique].sort(byStart);
  const key = flows.map((f) => ids.of(f)).join(',');
  if (seen.has(key)) return undefined;
  seen.add(key);
  let stime = Infinity;
  let etime = -Infinity;
  for (const { group } of groups) {
    if (group.stime < stime) stime = group.stime;
    if (group.etime > etime) etime = group.etime;
  }
  return { signature, match: 0, stime, etime, hosts: hostsOf(flows), flows, groups };
}

export function hostsOf(flows: readonly FlowRecord[]): string[] {
  const hosts = new Set<string>();
  for (const f of flows) {
    if (typeof f.srcip === 'string') hosts.add(f.srcip);
    if (typeof f.dstip === 'string') hosts.add(f.dstip);
  }
  return [...hosts];
}

/** Sorts matches by time and numbers them 1, 2, … */
export function numberMatches(matches: Match[]): Match[] {
  matches.sort((a, b) => a.stime - b.stime || a.etime - b.etime);
  matches.forEach((m, i) => {
    m.match = i + 1;
  });
  return matches;
}
