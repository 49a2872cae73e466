/**
 * What the checker hands the executor: a query with every name resolved and
 * every branch's chain laid out. The executor never sees an unchecked AST.
 */
import type { FieldType } from '../flow/fields.js';
import type { FilterDef, GroupFilterDef, GrouperDef, MergerDef, NumberLit, Query, UngrouperDef } from './ast.js';

/** One branch: records → [filter] → [grouper] → [groupfilter]. A missing grouper means every record is its own group. */
export interface CheckedBranch {
  name: string;
  filter?: FilterDef;
  grouper?: GrouperDef;
  groupfilter?: GroupFilterDef;
}

export interface CheckedQuery {
  /** signature name: the file name without extension, or given by the caller */
  name: string;
  /**
   * The query with field aliases replaced by canonical names (group-record
   * aliases defined by `as` stay), bare protocol words and `protocol("…")`
   * replaced by numbers, bare enum/text/set words by strings, `x = true` by
   * `x` (and `x = false` by `NOT x`), and the implicit wiring of a
   * filter-only query made explicit. `flowsig check` prints this.
   */
  normalized: Query;
  /** branches in the merger's order (one unnamed branch when there is no merger) */
  branches: CheckedBranch[];
  merger?: MergerDef;
  ungrouper?: UngrouperDef;
  /**
   * Type of every name a rule can use, per branch: record fields for filters
   * and grouper rules, group-record fields (aggregate aliases, stime, etime,
   * duration, records, n) for group filters and mergers.
   * As built by the checker: the group-record fields by their normalized
   * names (a branch without grouper: every record field, plus records and n);
   * record fields are the registry's (plus the caller's extra fields).
   */
  groupFields: ReadonlyMap<string, ReadonlyMap<string, FieldType>>;
}

const TIME_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, sec: 1000, min: 60_000, h: 3_600_000 };
const SIZE_UNIT: Readonly<Record<string, number>> = { k: 1e3, M: 1e6, G: 1e9 };

/** The value of a number literal in the field's unit: milliseconds for time units, ×1000ⁿ for k/M/G. */
export function literalValue(n: NumberLit): number {
  if (n.unit === undefined) return n.value;
  return n.value * (TIME_UNIT_MS[n.unit] ?? SIZE_UNIT[n.unit] ?? 1);
}

export function isTimeUnit(unit: string | undefined): boolean {
  return unit !== undefined && unit in TIME_UNIT_MS;
}
