/**
 * The checker: a parsed query → a CheckedQuery the executor can run, or
 * NfqlError listing what is wrong (unknown stages and fields with
 * suggestions, alias mismatches, types and units, the wiring). Everything is
 * found before a single record is read.
 */
import type { FieldType } from '../flow/fields.js';
import type { Aggregate, FieldRef, GroupFilterDef, GrouperDef, MergerDef, MergerModule, Pos, Query, Rule, StageDef } from './ast.js';
import type { CheckedBranch, CheckedQuery } from './checked.js';
import { checkRules, type RuleEnv } from './check-rules.js';
import { type BranchPath, checkWiring, stageLabel, stageLength, type Wiring } from './check-wiring.js';
import { Diagnostics, q } from './errors.js';
import type { RuleContext } from './parser.js';
import { printExpr, printRule } from './printer.js';
import { aggregateLength, aggregateType, type ExtraField, type FieldInfo, groupScope, recordScope, type Scope } from './scope.js';
import { closest } from './suggest.js';

export interface CheckOptions {
  /** fields beyond the registry, e.g. tag fields whose tagger is not loaded */
  extraFields?: readonly ExtraField[];
  /** the signature's name; default: the source's file name without extension */
  name?: string;
}

export function check(query: Query, opts: CheckOptions = {}): CheckedQuery {
  const diags = new Diagnostics(query.source);
  const records = recordScope(opts.extraFields);

  const stages = new Map<string, StageDef>();
  for (const s of query.stages) {
    const prev = stages.get(s.name);
    if (prev) diags.error(s.pos, `stage ${q(s.name)} is defined twice`, { length: stageLength(s), hint: `it is already ${stageLabel(prev)} on line ${prev.pos.line}` });
    else stages.set(s.name, s);
  }
  for (const kind of ['splitter', 'merger', 'ungrouper'] as const) {
    const all = query.stages.filter((s) => s.kind === kind);
    for (const extra of all.slice(1))
      diags.error(extra.pos, `a query has one ${kind} at most; ${stageLabel(all[0])} is on line ${all[0].pos.line}`, { length: stageLength(extra) });
  }

  // Stage bodies that do not depend on the wiring.
  const normalized = new Map<StageDef, StageDef>();
  for (const s of query.stages) {
    if (s.kind === 'filter') {
      const env = recordEnv('filter', stageLabel(s), records, diags, stages);
      normalized.set(s, { ...s, rules: checkRules(s.rules, env) });
    } else if (s.kind === 'grouper') {
      normalized.set(s, checkGrouper(s, records, diags));
    }
  }

  const wiring = checkWiring(query, stages, diags);
  const groupScopes = new Map<string, Scope>();
  if (wiring) {
    for (const b of wiring.branches) groupScopes.set(b.name, groupScope(b.grouper, records, diags));
    for (const s of query.stages) if (s.kind === 'groupfilter') normalized.set(s, checkGroupFilter(s, wiring, groupScopes, records, diags));
    if (wiring.merger) normalized.set(wiring.merger, checkMerger(wiring.merger, wiring, groupScopes, records, diags));
  }
  diags.throwIfAny();
  if (!wiring) throw new Error('unreachable: wiring failed without an error');

  const norm = <T extends StageDef>(s: T | undefined): T | undefined => (s === undefined ? undefined : ((normalized.get(s) as T | undefined) ?? s));
  const branchOrder = orderBranches(wiring);
  const branches: CheckedBranch[] = branchOrder.map((b) => {
    const out: CheckedBranch = { name: b.name };
    const f = norm(b.filter);
    const g = norm(b.grouper);
    const gf = norm(b.groupfilter);
    if (f) out.filter = f;
    if (g) out.grouper = g;
    if (gf) out.groupfilter = gf;
    return out;
  });
  const groupFields = new Map<string, ReadonlyMap<string, FieldType>>();
  for (const b of branchOrder) {
    const fields = new Map<string, FieldType>();
    for (const info of groupScopes.get(b.name)!.values()) if (!fields.has(info.key)) fields.set(info.key, info.type);
    groupFields.set(b.name, fields);
  }
  const checked: CheckedQuery = {
    name: opts.name ?? signatureName(query.source),
    normalized: { stages: query.stages.map((s) => norm(s)!), wiring: wiring.chains, source: query.source },
    branches,
    groupFields,
  };
  const merger = norm(wiring.merger);
  const ungrouper = norm(wiring.ungrouper);
  if (merger) checked.merger = merger;
  if (ungrouper) checked.ungrouper = ungrouper;
  return checked;
}

function signatureName(source: string): string {
  const base = source.split(/[\\/]/).pop() ?? source;
  return base.replace(/\.[^.]*$/, '') || base;
}

/** Merger order: as the merger's modules list them; without merger, the wiring's. */
function orderBranches(w: Wiring): BranchPath[] {
  if (!w.merger) return w.branches;
  const out: BranchPath[] = [];
  for (const m of w.merger.modules)
    for (const name of m.branches) {
      const b = w.branches.find((x) => x.name === name);
      if (b && !out.includes(b)) out.push(b);
    }
  for (const b of w.branches) if (!out.includes(b)) out.push(b);
  return out;
}

// ------------------------------------------------------------------ environments

/** Rules over one record's fields (filters, grouper rules). */
function recordEnv(ctx: RuleContext, where: string, records: Scope, diags: Diagnostics, stages?: ReadonlyMap<string, StageDef>): RuleEnv {
  const reported = new Set<string>();
  return {
    ctx,
    where,
    diags,
    field(ref) {
      if (ref.qualifier !== undefined) {
        diags.error(ref.pos, `${q(printExpr(ref))}: a branch-qualified field belongs in a merger`, { length: printExpr(ref).length, hint: `in ${where} write ${q(ref.name)}` });
        return null;
      }
      return records.get(ref.name);
    },
    reportUnknown(ref) {
      if (reported.has(ref.name)) return;
      reported.add(ref.name);
      const near = closest(ref.name, records.keys());
      const stage = stages?.get(ref.name);
      // Flowy let a filter name other filters (`filter c { a OR NOT b }`); flowsig does not.
      const hint = stage?.kind === 'filter' ? `${q(ref.name)} is a filter; filters do not name other filters: copy its rules here` : near ? `did you mean ${q(near)}?` : undefined;
      diags.error(ref.pos, `unknown field ${q(ref.name)} in ${where}`, { length: ref.name.length, ...(hint ? { hint } : {}) });
    },
  };
}

function originNote(info: FieldInfo | undefined): string {
  return info?.origin?.startsWith('defined by') ? ` (${info.origin})` : '';
}

// ------------------------------------------------------------------ grouper

function checkGrouper(g: GrouperDef, records: Scope, diags: Diagnostics): GrouperDef {
  const env = recordEnv('grouper', stageLabel(g), records, diags);
  const modules = g.modules.map((m) => ({ ...m, rules: checkRules(m.rules, env) }));
  const aggregates = g.aggregates.map((a): Aggregate => {
    const info = records.get(a.field);
    if (info === undefined) {
      const near = closest(a.field, records.keys());
      const fieldPos = a.fn === undefined ? a.pos : shift(a.pos, a.fn.length + 1);
      diags.error(fieldPos, `unknown field ${q(a.field)} in ${stageLabel(g)}`, { length: a.field.length, ...(near ? { hint: `did you mean ${q(near)}?` } : {}) });
      return a;
    }
    if (a.fn !== undefined) {
      const t = aggregateType(a.fn, a.field, info.type);
      if ('error' in t) diags.error(a.pos, t.error, { length: aggregateLength(a) });
      if (a.alias === undefined)
        diags.error(a.pos, `aggregate ${q(`${a.fn}(${a.field})`)} needs a name`, { length: aggregateLength(a), hint: `name it with \`as\`: \`${a.fn}(${a.field}) as ${a.fn}_${info.key}\`` });
    }
    return { ...a, field: info.key };
  });
  return { ...g, modules, aggregates };
}

function shift(pos: Pos, by: number): Pos {
  return { line: pos.line, col: pos.col + by, offset: pos.offset + by };
}

// ------------------------------------------------------------------ group filter

function checkGroupFilter(gf: GroupFilterDef, wiring: Wiring, scopes: ReadonlyMap<string, Scope>, records: Scope, diags: Diagnostics): GroupFilterDef {
  const users = wiring.branches.filter((b) => b.groupfilter === gf);
  const groupers = new Set(users.map((b) => b.grouper));
  let first: { rules: Rule[]; branch: BranchPath } | undefined;
  for (const b of users) {
    const scope = scopes.get(b.name)!;
    const where = groupers.size > 1 ? `group filter ${q(gf.name)} (branch ${q(b.name)})` : `group filter ${q(gf.name)}`;
    const env = groupEnv(where, scope, b.grouper, records, diags);
    const rules = checkRules(gf.rules, env);
    if (!first) first = { rules, branch: b };
    else if (rules.map(printRule).join('\n') !== first.rules.map(printRule).join('\n'))
      diags.error(gf.pos, `${stageLabel(gf)} reads different group-record fields in branches ${q(first.branch.name)} and ${q(b.name)}`, {
        length: stageLength(gf),
        hint: 'their groupers name the fields differently: give each branch its own group filter',
      });
  }
  return { ...gf, rules: first?.rules ?? gf.rules };
}

/** Rules over one group record's fields. */
function groupEnv(where: string, scope: Scope, grouper: GrouperDef | undefined, records: Scope, diags: Diagnostics): RuleEnv {
  const reported = new Set<string>();
  return {
    ctx: 'groupfilter',
    where,
    diags,
    field(ref) {
      if (ref.qualifier !== undefined) {
        diags.error(ref.pos, `${q(printExpr(ref))}: a branch-qualified field belongs in a merger`, { length: printExpr(ref).length, hint: `in a group filter write ${q(ref.name)}` });
        return null;
      }
      return scope.get(ref.name);
    },
    reportUnknown(ref) {
      if (reported.has(ref.name)) return;
      reported.add(ref.name);
      diags.error(ref.pos, `unknown field ${q(ref.name)} in ${where}`, { length: ref.name.length, hint: unknownGroupFieldHint(ref.name, scope, grouper, records) });
    },
  };
}

function unknownGroupFieldHint(name: string, scope: Scope, grouper: GrouperDef | undefined, records: Scope, qualifier?: string): string {
  const near = closest(name, scope.keys());
  const qual = qualifier === undefined ? '' : `${qualifier}.`;
  if (near) return `did you mean ${q(qual + near)}${originNote(scope.get(near))}?`;
  const rec = records.get(name);
  if (rec && grouper) return `grouper ${q(grouper.name)} does not aggregate ${q(name)}: add it to its list (\`aggregate …, ${name}\`)`;
  return grouper
    ? `the fields of a group record are grouper ${q(grouper.name)}'s aggregates and stime, etime, duration, records, n`
    : 'the fields of a group record are the record fields and records, n';
}

// ------------------------------------------------------------------ merger

function checkMerger(m: MergerDef, wiring: Wiring, scopes: ReadonlyMap<string, Scope>, records: Scope, diags: Diagnostics): MergerDef {
  const label = stageLabel(m);
  const wired = wiring.branches.filter((b) => b.merger === m);
  const wiredNames = wired.map((b) => b.name);
  const moduleNames = new Map<string, MergerModule>();
  for (const mod of m.modules) {
    if (moduleNames.has(mod.name)) diags.error(mod.pos, `module ${q(mod.name)} is defined twice in ${label}`, { length: 6 + mod.name.length });
    moduleNames.set(mod.name, mod);
  }
  if (m.modules.length === 0) diags.error(m.pos, `${label} has no module`, { length: stageLength(m), hint: 'write `merger M { branches A, B  rule … }`' });
  else if (m.exports.length === 0)
    diags.error(m.pos, `${label} exports no module`, { length: stageLength(m), hint: `add \`export ${m.modules[0].name}\`: an exported module's tuples are the matches, the others reject tuples` });
  for (const e of m.exports) {
    if (!moduleNames.has(e)) {
      const near = closest(e, moduleNames.keys());
      diags.error(m.pos, `${label} exports ${q(e)}, which is not one of its modules`, { length: stageLength(m), ...(near ? { hint: `did you mean ${q(near)}?` } : {}) });
    }
  }
  const exported = m.modules.filter((mod) => m.exports.includes(mod.name));
  const listed = new Set<string>();
  const modules = m.modules.map((mod) => {
    const where = m.implicitModule ? label : `merger module ${q(mod.name)}`;
    const modLength = m.implicitModule ? 8 : 6 + mod.name.length + 1;
    const seen = new Set<string>();
    for (const b of mod.branches) {
      if (seen.has(b)) diags.error(mod.pos, `${where} lists branch ${q(b)} twice`, { length: modLength });
      seen.add(b);
      listed.add(b);
      if (!wiredNames.includes(b)) {
        const near = closest(b, wiredNames);
        diags.error(mod.pos, `${where} lists branch ${q(b)}, which is not wired into ${label}`, {
          length: modLength,
          hint: near ? `did you mean ${q(near)}?` : `wire it: \`S branch ${b} -> … -> ${m.name}\``,
        });
      }
    }
    if (!m.exports.includes(mod.name) && exported.length > 0 && !mod.branches.some((b) => exported.some((x) => x.branches.includes(b))))
      diags.error(mod.pos, `reject module ${q(mod.name)} shares no branch with the exported module${exported.length > 1 ? 's' : ''}`, {
        length: modLength,
        hint: 'a reject module removes the tuples it matches, so it must name at least one of their branches',
      });
    const env = mergerEnv(label, where, mod, wiredNames, scopes, records, wiring, diags);
    return { ...mod, rules: checkRules(mod.rules, env) };
  });
  for (const b of wired) {
    if (!listed.has(b.name))
      diags.error(b.pos, `branch ${q(b.name)} is wired into ${label}, but no merger module lists it`, { length: b.length, hint: `add it to a module: \`branches …, ${b.name}\`` });
  }
  return { ...m, modules };
}

function mergerEnv(
  label: string,
  where: string,
  mod: MergerModule,
  wiredNames: readonly string[],
  scopes: ReadonlyMap<string, Scope>,
  records: Scope,
  wiring: Wiring,
  diags: Diagnostics,
): RuleEnv {
  const reported = new Set<string>();
  const checkBranch = (name: string, pos: Pos, length: number): boolean => {
    if (mod.branches.includes(name)) return true;
    if (wiredNames.includes(name)) {
      diags.error(pos, `${where} does not list branch ${q(name)}`, { length, hint: `add it: \`branches ${[...mod.branches, name].join(', ')}\`` });
    } else {
      const near = closest(name, mod.branches);
      diags.error(pos, `${q(name)} is not a branch of ${where}`, { length, hint: near ? `did you mean ${q(near)}?` : `its branches are ${mod.branches.join(', ')}` });
    }
    return false;
  };
  return {
    ctx: 'merger',
    where: label,
    diags,
    field(ref: FieldRef) {
      if (ref.qualifier === undefined) return undefined;
      if (!checkBranch(ref.qualifier, ref.pos, ref.qualifier.length)) return null;
      // A listed branch that is not wired has no group record; that is reported once, at the module.
      const scope = scopes.get(ref.qualifier);
      return scope ? scope.get(ref.name) : null;
    },
    reportUnknown(ref: FieldRef) {
      // One error per name and merger: `B.pckt-sum > C.pckt-sum` is one mistake.
      const text = printExpr(ref);
      if (reported.has(ref.name)) return;
      reported.add(ref.name);
      if (ref.qualifier === undefined) {
        const somewhere = mod.branches.find((b) => scopes.get(b)?.has(ref.name));
        diags.error(ref.pos, somewhere ? `field ${q(ref.name)} in ${label} needs a branch` : `unknown name ${q(ref.name)} in ${label}`, {
          length: ref.name.length,
          hint: somewhere ? `write it with its branch, e.g. \`${somewhere}.${ref.name}\`` : 'fields in a merger are written with their branch: `A.srcip`',
        });
        return;
      }
      const scope = scopes.get(ref.qualifier);
      const branch = wiring.branches.find((b) => b.name === ref.qualifier);
      diags.error(ref.pos, `unknown field ${q(text)} in ${label}`, {
        length: text.length,
        ...(scope ? { hint: unknownGroupFieldHint(ref.name, scope, branch?.grouper, records, ref.qualifier) } : {}),
      });
    },
    checkBranch,
  };
}
