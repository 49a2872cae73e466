/**
 * The run loop: records in, matches out (docs/nfql.md §1).
 *
 *   push(record)  every branch's filter; a record that passes is kept for that branch
 *   finish()      groupers → group filters → merger → ungrouper, or the group
 *                 records of the one branch (no merger), or the filtered
 *                 records themselves (a filter-only query)
 *
 * The runner knows flow records only: captures (through the meter) and flow
 * files feed it the same way, and several queries can share one pass over
 * the records (one runner each).
 *
 * Branches that use the same filter share its evaluation and record list;
 * branches whose filter, grouper and group filter are all the same (Skype's
 * three login branches) share their groups.
 */
import type { FieldRef, FilterDef, GroupFilterDef, GrouperDef } from '../ast.js';
import type { CheckedQuery } from '../checked.js';
import { stripPositions } from '../positions.js';
import { lookupField } from '../../flow/fields.js';
import type { FlowRecord } from '../../flow/record.js';
import { compileRules, type Pred } from './expr.js';
import { type Group, groupGetter } from './group.js';
import { type ExecCounters, runGrouper } from './grouper.js';
import { runMerger } from './merger.js';
import { type Match, type MatchGroup, numberMatches, RecordIds, ungroup } from './ungrouper.js';

/** What a query outputs: matches of a merger, group records of its branch, or plain flow records. */
export type ResultKind = 'matches' | 'groups' | 'records';

export interface QueryResult {
  signature: string;
  kind: ResultKind;
  /** every result is a match: for `groups` one per group, for `records` one per record (in input order) */
  matches: Match[];
}

export interface QueryRunner {
  readonly query: CheckedQuery;
  readonly kind: ResultKind;
  readonly counters: ExecCounters;
  push(rec: FlowRecord): void;
  finish(): QueryResult;
}

/** How a filter reads a record's field: by its canonical name (a generated accessor measured no faster). */
export function recordField(ref: FieldRef): (r: FlowRecord) => unknown {
  const name = lookupField(ref.name)?.name ?? ref.name;
  return (r) => r[name];
}

/** A filter as one predicate over flow records (no filter: every record). */
export function compileFilter(filter: FilterDef | undefined): Pred<FlowRecord> {
  if (!filter) return () => true;
  return compileRules(filter.rules, { field: recordField });
}

/** A group filter as one predicate over groups. */
export function compileGroupFilter(gf: GroupFilterDef | undefined): Pred<Group> {
  if (!gf) return () => true;
  return compileRules(gf.rules, { field: (ref) => groupGetter(ref.name) });
}

const stageKey = (s: FilterDef | GrouperDef | GroupFilterDef | undefined): string => (s ? JSON.stringify(stripPositions({ ...s, name: '' })) : '-');

interface FilterSlot {
  test: Pred<FlowRecord>;
  records: FlowRecord[];
}

export function resultKind(q: CheckedQuery): ResultKind {
  if (q.merger) return 'matches';
  return q.branches.some((b) => b.grouper || b.groupfilter) ? 'groups' : 'records';
}

export function createQueryRunner(query: CheckedQuery): QueryRunner {
  const counters: ExecCounters = { ruleEvaluations: 0 };
  const kind = resultKind(query);
  const slots = new Map<string, FilterSlot>();
  const branchSlot = query.branches.map((b) => {
    const key = stageKey(b.filter);
    let slot = slots.get(key);
    if (!slot) slots.set(key, (slot = { test: compileFilter(b.filter), records: [] }));
    return slot;
  });
  const tests = [...slots.values()];
  const ids = new RecordIds();

  function push(rec: FlowRecord): void {
    for (let i = 0; i < tests.length; i++) {
      const s = tests[i];
      if (s.test(rec)) s.records.push(rec);
    }
  }

  function finish(): QueryResult {
    const signature = query.name;
    if (kind === 'records') {
      const records = branchSlot[0]?.records ?? [];
      const branch = query.branches[0]?.name ?? '';
      const matches = records.map((r, i) => ({
        signature,
        match: i + 1,
        stime: r.stime,
        etime: r.etime,
        hosts: [r.srcip, r.dstip].filter((h, j, a) => typeof h === 'string' && a.indexOf(h) === j),
        flows: [r],
        groups: [{ branch, group: { id: i, members: [r], stime: r.stime, etime: r.etime, fields: r } }],
      }));
      return { signature, kind, matches };
    }

    const shared = new Map<string, Group[]>();
    const groups = query.branches.map((b, bi) => {
      const key = `${stageKey(b.filter)}|${stageKey(b.grouper)}|${stageKey(b.groupfilter)}`;
      let gs = shared.get(key);
      if (!gs) {
        gs = runGrouper(b.grouper, branchSlot[bi].records, counters, compileGroupFilter(b.groupfilter));
        shared.set(key, gs);
      }
      return gs;
    });
    const branchNames = query.branches.map((b) => b.name);
    const seen = new Set<string>();
    const matches: Match[] = [];
    const add = (mg: MatchGroup[]) => {
      const m = ungroup(signature, mg, ids, seen);
      if (m) matches.push(m);
    };

    if (kind === 'groups') {
      groups.forEach((gs, bi) => gs.forEach((g) => add([{ branch: branchNames[bi], group: g }])));
    } else {
      for (const mod of runMerger({ merger: query.merger!, branchNames, groups, counters })) {
        for (const t of mod.tuples) add(mod.branches.map((b) => ({ branch: branchNames[b], group: t[b]! })));
      }
    }
    return { signature, kind, matches: numberMatches(matches) };
  }

  return { query, kind, counters, push, finish };
}

/** Runs one query over records already in memory. */
export function executeQuery(query: CheckedQuery, records: Iterable<FlowRecord>): QueryResult {
  const runner = createQueryRunner(query);
  for (const r of records) runner.push(r);
  return runner.finish();
}
