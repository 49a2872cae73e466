/**
 * Groups and group records (docs/nfql.md §4 grouper).
 *
 * A group keeps its member flow records in the order they joined (start-time
 * order) and, once the grouper is done, its group record: the aggregates and
 * bare fields of the grouper's `aggregate` list. Every group record also has
 * the built-ins stime (min), etime (max), duration, records (member rec_ids
 * in order) and n. A branch without a grouper makes every record a group of
 * one whose group record is the flow record itself (plus records and n).
 */
import type { Aggregate, GrouperDef } from '../ast.js';
import { lookupField } from '../../flow/fields.js';
import type { FlowRecord } from '../../flow/record.js';
import { isAbsent } from './values.js';

export interface Group {
  /** creation order within its branch, from 0 */
  id: number;
  members: FlowRecord[];
  stime: number;
  etime: number;
  /** aggregates and bare fields by group-record name; for a branch without grouper, the flow record */
  fields: Readonly<Record<string, unknown>>;
}

export const GROUP_BUILTIN_NAMES = ['stime', 'etime', 'duration', 'records', 'n'] as const;

/** A group of one record (a branch without grouper). */
export function singletonGroup(rec: FlowRecord, id: number): Group {
  return { id, members: [rec], stime: rec.stime, etime: rec.etime, fields: rec };
}

/** How a group-record field is read; built-ins come from the group itself. */
export function groupGetter(name: string): (g: Group) => unknown {
  switch (name) {
    case 'stime':
      return (g) => g.stime;
    case 'etime':
      return (g) => g.etime;
    case 'duration':
      return (g) => g.etime - g.stime;
    case 'n':
      return (g) => g.members.length;
    case 'records':
      return (g) => g.members.map((m) => m.rec_id);
    default:
      return (g) => g.fields[name];
  }
}

/** The group record as an object, built-ins first (for output). */
export function groupRecord(g: Group, withFields: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    stime: g.stime,
    etime: g.etime,
    duration: g.etime - g.stime,
    n: g.members.length,
    records: g.members.map((m) => m.rec_id),
  };
  if (withFields) for (const [k, v] of Object.entries(g.fields)) if (!(k in out) && !isAbsent(v)) out[k] = v;
  return out;
}

/** The canonical record field an aggregate reads (aliases resolved; tag fields unknown to the registry as written). */
export function aggregateSource(a: Aggregate): string {
  return lookupField(a.field)?.name ?? a.field;
}

/** The group-record name an aggregate defines: its `as` name, or the canonical field of a bare field. */
export function aggregateName(a: Aggregate): string {
  return a.alias ?? aggregateSource(a);
}

/** Fills in the group record of a finished group. */
export function aggregate(grouper: GrouperDef, members: readonly FlowRecord[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of grouper.aggregates) {
    const v = aggregateOne(a, aggregateSource(a), members);
    if (!isAbsent(v)) out[aggregateName(a)] = v;
  }
  return out;
}

function numbers(field: string, members: readonly FlowRecord[]): number[] {
  const out: number[] = [];
  for (const m of members) {
    const v = m[field];
    if (typeof v === 'number' && !Number.isNaN(v)) out.push(v);
  }
  return out;
}

function aggregateOne(a: Aggregate, field: string, members: readonly FlowRecord[]): unknown {
  switch (a.fn) {
    case undefined:
    // A bare field is its value when constant across the group, else the last record's: the last record's either way.
    // falls through
    case 'last':
      return members[members.length - 1][field];
    case 'first':
      return members[0][field];
    case 'count': {
      let n = 0;
      for (const m of members) if (!isAbsent(m[field])) n++;
      return n;
    }
    case 'union': {
      const seen = new Set<unknown>();
      const out: (string | number)[] = [];
      const add = (x: unknown) => {
        const key = typeof x === 'number' ? x : String(x);
        if (seen.has(key)) return;
        seen.add(key);
        out.push(x as string | number);
      };
      for (const m of members) {
        const v = m[field];
        if (isAbsent(v)) continue;
        if (Array.isArray(v)) v.forEach(add);
        else add(v);
      }
      return out;
    }
    case 'min':
    case 'max':
    case 'sum':
    case 'avg': {
      // one pass, no intermediate array (groups are many and mostly small)
      let n = 0;
      let acc = 0;
      for (let i = 0; i < members.length; i++) {
        const v = members[i][field];
        if (typeof v !== 'number' || Number.isNaN(v)) continue;
        if (n === 0) acc = v;
        else if (a.fn === 'min') acc = v < acc ? v : acc;
        else if (a.fn === 'max') acc = v > acc ? v : acc;
        else acc += v;
        n++;
      }
      if (n === 0) return undefined;
      return a.fn === 'avg' ? acc / n : acc;
    }
    case 'median': {
      const xs = numbers(field, members).sort((x, y) => x - y);
      if (xs.length === 0) return undefined;
      const mid = xs.length >> 1;
      return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
    }
    case 'stddev': {
      // population standard deviation: a group is all there is, not a sample of something larger
      const xs = numbers(field, members);
      if (xs.length === 0) return undefined;
      const mean = xs.reduce((x, y) => x + y, 0) / xs.length;
      return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    }
    case 'bitOR': {
      const xs = numbers(field, members);
      return xs.length ? xs.reduce((x, y) => (x | y) >>> 0, 0) : undefined;
    }
    case 'bitAND': {
      const xs = numbers(field, members);
      return xs.length ? xs.reduce((x, y) => (x & y) >>> 0, 0xffffffff) : undefined;
    }
  }
}
