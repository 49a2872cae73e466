/**
 * The names a rule can use. Filters and grouper rules see record fields (the
 * registry in src/flow/fields.ts plus extra fields the caller passes, such as
 * tag fields); group filters and mergers see group-record fields: the
 * grouper's aggregates and the built-ins stime, etime, duration, records, n.
 */
import { allFields, type FieldDef, type FieldType } from '../flow/fields.js';
import { AGGREGATE_FUNCTIONS, type Aggregate, type AggregateFn, type GrouperDef, type Pos } from './ast.js';
import { type Diagnostics, q } from './errors.js';

/** A field definition the caller adds for one check (tag fields before their tagger registers them). */
export interface ExtraField {
  name: string;
  type: FieldType;
  aliases?: readonly string[];
  /** allowed values of an enum field */
  values?: readonly string[];
}

/** What a name means in one scope. */
export interface FieldInfo {
  /** the name the normalized query uses: canonical record field, or the group-record field */
  key: string;
  type: FieldType;
  values?: readonly string[];
  /** where a group-record field comes from, for hints: "defined by grouper `g`" */
  origin?: string;
}

export type Scope = ReadonlyMap<string, FieldInfo>;

/** Record fields by name and alias. Registry fields win over extra fields of the same name. */
export function recordScope(extraFields: readonly ExtraField[] = []): Scope {
  const scope = new Map<string, FieldInfo>();
  const add = (f: FieldDef | ExtraField) => {
    const info: FieldInfo = { key: f.name, type: f.type, ...(f.values ? { values: f.values } : {}) };
    for (const n of [f.name, ...(f.aliases ?? [])]) if (!scope.has(n)) scope.set(n, info);
  };
  for (const f of allFields()) add(f);
  for (const f of extraFields) add(f);
  return scope;
}

/** Built-in fields of every group record. */
export const GROUP_BUILTINS: readonly { name: string; type: FieldType; meaning: string }[] = [
  { name: 'stime', type: 'time', meaning: 'the earliest start of its records' },
  { name: 'etime', type: 'time', meaning: 'the latest end of its records' },
  { name: 'duration', type: 'duration', meaning: 'etime − stime' },
  { name: 'records', type: 'set', meaning: 'the rec_ids of its records, in order' },
  { name: 'n', type: 'int', meaning: 'the number of its records' },
];

/**
 * An `as` name may repeat a built-in when it computes the same thing
 * (Flowy's examples write `min(stime) as stime`, `count(rec_id) as n`).
 */
function sameAsBuiltin(name: string, fn: AggregateFn | undefined, field: string | undefined): boolean {
  switch (name) {
    case 'stime':
      return fn === 'min' && field === 'stime';
    case 'etime':
      return fn === 'max' && field === 'etime';
    case 'n':
      return fn === 'count';
    case 'records':
      return fn === 'union' && field === 'rec_id';
    default:
      return false;
  }
}

const NUMERIC: readonly FieldType[] = ['int', 'time', 'duration'];

const TYPE_NAMES: Readonly<Record<FieldType, string>> = {
  int: 'a number',
  ip: 'an IP address',
  time: 'a time',
  duration: 'a duration',
  bool: 'a boolean',
  enum: 'a word',
  string: 'text',
  set: 'a set',
};

/** The type of `fn(field)`, or why the function does not apply to the field's type. */
export function aggregateType(fn: AggregateFn, field: string, type: FieldType): { type: FieldType } | { error: string } {
  const ok = (t: FieldType) => ({ type: t });
  const wrong = (what: string) => ({ error: `\`${fn}\` needs ${what}; ${q(field)} is ${TYPE_NAMES[type]}` });
  switch (fn) {
    case 'count':
      return ok('int');
    case 'union':
      return ok('set');
    case 'first':
    case 'last':
      return ok(type);
    case 'min':
    case 'max':
    case 'median':
    case 'avg':
      return NUMERIC.includes(type) ? ok(type) : wrong('numbers or times');
    case 'stddev':
      return type === 'int' ? ok('int') : type === 'time' || type === 'duration' ? ok('duration') : wrong('numbers or times');
    case 'sum':
      return type === 'int' || type === 'duration' ? ok(type) : wrong(type === 'time' ? 'numbers or durations (a sum of times means nothing)' : 'numbers or durations');
    case 'bitOR':
    case 'bitAND':
      return type === 'int' ? ok('int') : wrong('integers');
  }
}

/**
 * The group-record fields a grouper produces, reporting bad aggregates.
 * Without a grouper every record is its own group, so the record fields stay
 * visible (plus `records` and `n`).
 */
export function groupScope(grouper: GrouperDef | undefined, records: Scope, diags: Diagnostics): Scope {
  const scope = new Map<string, FieldInfo>();
  if (grouper === undefined) {
    for (const [name, info] of records) scope.set(name, { ...info, origin: 'a field of the record (the branch has no grouper)' });
    for (const b of GROUP_BUILTINS) if (!scope.has(b.name)) scope.set(b.name, { key: b.name, type: b.type, origin: `built in: ${b.meaning}` });
    return scope;
  }
  const origin = `defined by grouper ${q(grouper.name)}`;
  const defined = new Map<string, Pos>();
  const define = (key: string, names: readonly string[], info: FieldInfo, pos: Pos, length: number) => {
    if (defined.has(key)) {
      diags.error(pos, `group-record field ${q(key)} is defined twice in grouper ${q(grouper.name)}`, { length, hint: 'give one of them another name with `as`' });
      return;
    }
    defined.set(key, pos);
    for (const n of names) if (!scope.has(n)) scope.set(n, info);
  };
  const builtinNames = new Set(GROUP_BUILTINS.map((b) => b.name));
  // Explicit `as` names first: they win over a bare field's aliases.
  const ordered = [...grouper.aggregates.filter((a) => a.alias !== undefined), ...grouper.aggregates.filter((a) => a.alias === undefined)];
  for (const agg of ordered) {
    const length = aggregateLength(agg);
    const field = records.get(agg.field);
    if (field === undefined) continue; // reported by the grouper check
    let type: FieldType = field.type;
    if (agg.fn !== undefined) {
      const t = aggregateType(agg.fn, agg.field, field.type);
      if ('error' in t) continue; // reported by the grouper check
      type = t.type;
    }
    if (agg.alias !== undefined) {
      if (builtinNames.has(agg.alias) && !sameAsBuiltin(agg.alias, agg.fn, field.key)) {
        const b = GROUP_BUILTINS.find((x) => x.name === agg.alias)!;
        diags.error(agg.pos, `${q(agg.alias)} is a built-in group-record field (${b.meaning})`, { length, hint: 'choose another name after `as`' });
        continue;
      }
      define(agg.alias, [agg.alias], { key: agg.alias, type, origin }, agg.pos, length);
    } else if (agg.fn === undefined) {
      if (builtinNames.has(field.key)) {
        const b = GROUP_BUILTINS.find((x) => x.name === field.key)!;
        diags.error(agg.pos, `every group record already has ${q(field.key)} (${b.meaning})`, { length, hint: `remove ${q(agg.field)} from the aggregate list` });
        continue;
      }
      const names = [...records].filter(([, info]) => info.key === field.key).map(([n]) => n);
      define(field.key, names, { key: field.key, type, ...(field.values ? { values: field.values } : {}), origin }, agg.pos, length);
    }
    // fn without alias is reported by the grouper check
  }
  for (const b of GROUP_BUILTINS) {
    const names = [b.name, ...[...records].filter(([n, info]) => info.key === b.name && n !== b.name).map(([n]) => n)];
    for (const n of names) if (!scope.has(n)) scope.set(n, { key: b.name, type: b.type, origin: `built in: ${b.meaning}` });
  }
  return scope;
}

export function aggregateLength(a: Aggregate): number {
  return a.fn === undefined ? a.field.length : a.fn.length + a.field.length + 2;
}

export function isAggregateName(name: string): AggregateFn | undefined {
  return AGGREGATE_FUNCTIONS.find((f) => f.toLowerCase() === name.toLowerCase());
}
