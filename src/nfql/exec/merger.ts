/**
 * The merger (docs/nfql.md §4): tuples of groups, one per branch of a
 * module, that satisfy the module's rules; tuples of an exported module that
 * also satisfy a non-exported module (sharing their common branches, the
 * other branches of that module free) are rejected.
 *
 * No Cartesian product. A module is joined one branch at a time, in an order
 * chosen so that each new branch is reached through its rules with the
 * branches already bound:
 *
 *  - equality rules (`A.srcip = B.dstip`, `B.srcport = A.srcport + 1`,
 *    `A.srcport = B.srcport rdelta 1`) become hash look-ups on the new
 *    branch's groups;
 *  - Allen relations and comparisons on `stime`/`etime` become windows on
 *    the new branch's start times, found by binary search over its groups
 *    sorted by start (a bound on the end becomes one on the start through the
 *    longest group duration of the bucket);
 *  - every other rule is checked at the first level where all its branches
 *    are bound; rules on a single branch filter that branch's groups before
 *    the join.
 *
 * Reject modules are anti-joins planned the same way, starting from the
 * branches the tuple already binds; the search stops at the first witness.
 */
import type { AllenTerm, Comparison, Expr, FieldRef, MergerDef, Rule, Term } from '../ast.js';
import { allenBounds, allenHolds, CONVERSE, type YBounds } from './allen.js';
import { compileExpr, compileRule, deltaValue, ExecError, type Getter, type Pred } from './expr.js';
import { type Group, groupGetter } from './group.js';
import type { ExecCounters } from './grouper.js';
import { joinKey } from './values.js';

/** Groups by branch index; unbound branches are undefined. */
export type Tuple = (Group | undefined)[];

export interface ModuleMatches {
  module: string;
  /** branch indices of the module, in the module's order */
  branches: number[];
  /** each a tuple indexed by branch index (the module's branches set) */
  tuples: Tuple[];
}

interface CompiledRule {
  rule: Rule;
  branches: Set<number>;
  test: Pred<Tuple>;
}

interface Sorted {
  groups: Group[];
  starts: Float64Array;
  /** longest etime − stime in the bucket */
  maxDuration: number;
}

interface Level {
  branch: number;
  checks: CompiledRule[];
  /** hash join: key of a candidate group, and the key the bound branches probe with */
  groupKey?: (g: Group) => unknown;
  probe?: (t: Tuple) => unknown;
  windows: ((t: Tuple) => YBounds)[];
  index: Map<unknown, Sorted> | Sorted;
}

interface Plan {
  /** rules decided by the bound branches alone (reject modules) */
  pre: CompiledRule[];
  levels: Level[];
}

export interface MergerInput {
  merger: MergerDef;
  /** branch names by branch index */
  branchNames: readonly string[];
  /** groups by branch index (after the group filters) */
  groups: readonly Group[][];
  counters: ExecCounters;
}

export function runMerger(input: MergerInput): ModuleMatches[] {
  const { merger, branchNames, counters } = input;
  const branchIndex = (name: string): number => {
    const i = branchNames.indexOf(name);
    if (i < 0) throw new ExecError(`merger ${merger.name}: unknown branch ${name}`);
    return i;
  };
  const names: BranchNames = { index: branchIndex };
  const exported = merger.modules.filter((m) => merger.exports.includes(m.name));
  const rejects = merger.modules.filter((m) => !merger.exports.includes(m.name));
  const compiled = new Map(merger.modules.map((m) => [m, m.rules.map((r) => compileMergerRule(r, branchIndex))]));

  const out: ModuleMatches[] = [];
  for (const m of exported) {
    const branches = m.branches.map(branchIndex);
    const rules = compiled.get(m)!;
    const plan = planJoin(branches, new Set(), rules, input.groups, counters, names);
    const antiPlans = rejects.map((r) => {
      const rb = r.branches.map(branchIndex);
      const shared = new Set(rb.filter((b) => branches.includes(b)));
      return planJoin(rb, shared, compiled.get(r)!, input.groups, counters, names);
    });
    const tuples: Tuple[] = [];
    const tuple: Tuple = new Array(branchNames.length).fill(undefined);
    complete(plan, tuple, counters, (t) => {
      for (const anti of antiPlans) if (complete(anti, t, counters, () => true)) return false;
      tuples.push([...t]);
      return false;
    });
    out.push({ module: m.name, branches, tuples });
  }
  return out;
}

// ------------------------------------------------------------------ compiling rules

function compileMergerRule(rule: Rule, branchIndex: (name: string) => number): CompiledRule {
  const env = tupleEnv(branchIndex);
  const branches = new Set<number>();
  for (const t of rule.terms) termBranches(t, branchIndex, branches);
  return { rule, branches, test: compileRule(rule, env) };
}

function tupleEnv(branchIndex: (name: string) => number) {
  return {
    field(ref: FieldRef): Getter<Tuple> {
      if (ref.qualifier === undefined) throw new ExecError(`merger rules use qualified fields such as A.${ref.name}`);
      const b = branchIndex(ref.qualifier);
      const get = groupGetter(ref.name);
      return (t: Tuple) => {
        const g = t[b];
        return g === undefined ? undefined : get(g);
      };
    },
    allen(term: AllenTerm): Pred<Tuple> {
      const x = branchIndex(term.left);
      const y = branchIndex(term.right);
      const d = term.delta === undefined ? undefined : deltaValue(term.delta);
      const rel = term.relation;
      return (t: Tuple) => {
        const gx = t[x];
        const gy = t[y];
        return gx !== undefined && gy !== undefined && allenHolds(rel, gx, gy, d);
      };
    },
  };
}

function termBranches(t: Term, branchIndex: (name: string) => number, into: Set<number>): void {
  switch (t.kind) {
    case 'not':
      termBranches(t.term, branchIndex, into);
      return;
    case 'allen':
      into.add(branchIndex(t.left));
      into.add(branchIndex(t.right));
      return;
    case 'bool':
      exprBranches(t.expr, branchIndex, into);
      return;
    case 'cmp':
      exprBranches(t.left, branchIndex, into);
      exprBranches(t.right, branchIndex, into);
      if (t.delta) exprBranches(t.delta.value, branchIndex, into);
      return;
  }
}

function exprBranches(e: Expr, branchIndex: (name: string) => number, into: Set<number>): void {
  switch (e.kind) {
    case 'field':
      if (e.qualifier !== undefined) into.add(branchIndex(e.qualifier));
      return;
    case 'set':
      e.items.forEach((i) => exprBranches(i, branchIndex, into));
      return;
    case 'range':
      exprBranches(e.lo, branchIndex, into);
      exprBranches(e.hi, branchIndex, into);
      return;
    case 'call':
      e.args.forEach((a) => exprBranches(a, branchIndex, into));
      return;
    case 'binary':
      exprBranches(e.left, branchIndex, into);
      exprBranches(e.right, branchIndex, into);
      return;
    default:
      return;
  }
}

function branchesOf(e: Expr, branchIndex: (name: string) => number): Set<number> {
  const s = new Set<number>();
  exprBranches(e, branchIndex, s);
  return s;
}

const subset = (a: Set<number>, b: Set<number>) => [...a].every((x) => b.has(x));

// ------------------------------------------------------------------ index hints

interface BranchNames {
  index(name: string): number;
}

/** `Y-side = bound-side` (or with rdelta): how to key Y's groups and probe from the bound ones. */
interface HashHint {
  groupKey: Getter<Tuple>;
  probe: Getter<Tuple>;
  /** the hash decides the rule exactly: no need to check it again */
  exact: boolean;
}

function hashHint(rule: CompiledRule, y: number, bound: Set<number>, names: BranchNames): HashHint | undefined {
  if (rule.rule.terms.length !== 1) return undefined;
  const t = rule.rule.terms[0];
  if (t.kind !== 'cmp' || t.op !== '=' || (t.delta && t.delta.kind !== 'rdelta')) return undefined;
  const env = tupleEnv((n) => names.index(n));
  const lb = branchesOf(t.left, names.index);
  const rb = branchesOf(t.right, names.index);
  const isY = (s: Set<number>) => s.size === 1 && s.has(y);
  const isBound = (s: Set<number>) => s.size > 0 && subset(s, bound);
  const left = compileExpr(t.left, env).get;
  const right = compileExpr(t.right, env).get;
  const d = t.delta ? deltaValue(t.delta.value) : 0;
  // rdelta: left + d = right. With Y on the left the probe is right − d, which floating point may
  // round differently from the rule's left + d on fractional values: the rule is checked again.
  if (isY(lb) && isBound(rb)) {
    if (!t.delta) return { groupKey: left, probe: right, exact: true };
    return { groupKey: left, probe: (tu) => { const v = right(tu); return typeof v === 'number' ? v - d : undefined; }, exact: false };
  }
  if (isY(rb) && isBound(lb)) {
    if (!t.delta) return { groupKey: right, probe: left, exact: true };
    return { groupKey: right, probe: (tu) => { const v = left(tu); return typeof v === 'number' ? v + d : undefined; }, exact: true };
  }
  return undefined;
}

/** Bounds on Y's start/end from one rule (all its OR-ed terms must give one; the union is their hull). */
function windowHint(rule: CompiledRule, y: number, bound: Set<number>, names: BranchNames): ((t: Tuple) => YBounds) | undefined {
  const parts: ((t: Tuple) => YBounds)[] = [];
  for (const term of rule.rule.terms) {
    const w = termWindow(term, y, bound, names);
    if (!w) return undefined;
    parts.push(w);
  }
  if (parts.length === 1) return parts[0];
  return (t) => {
    const all = parts.map((p) => p(t));
    return {
      startLo: Math.min(...all.map((b) => b.startLo)),
      startHi: Math.max(...all.map((b) => b.startHi)),
      endLo: Math.min(...all.map((b) => b.endLo)),
      endHi: Math.max(...all.map((b) => b.endHi)),
    };
  };
}

const OPEN: YBounds = { startLo: -Infinity, startHi: Infinity, endLo: -Infinity, endHi: Infinity };

function termWindow(term: Term, y: number, bound: Set<number>, names: BranchNames): ((t: Tuple) => YBounds) | undefined {
  if (term.kind === 'allen') {
    const l = names.index(term.left);
    const r = names.index(term.right);
    const d = term.delta === undefined ? undefined : deltaValue(term.delta);
    if (r === y && bound.has(l)) return (t) => allenBounds(term.relation, t[l]!, d);
    if (l === y && bound.has(r)) return (t) => allenBounds(CONVERSE[term.relation], t[r]!, d);
    return undefined;
  }
  if (term.kind === 'cmp') return comparisonWindow(term, y, bound, names);
  return undefined;
}

const isYTime = (e: Expr, y: number, names: BranchNames): 'stime' | 'etime' | undefined =>
  e.kind === 'field' && e.qualifier !== undefined && names.index(e.qualifier) === y && (e.name === 'stime' || e.name === 'etime') ? e.name : undefined;

/** `Y.stime op expr(bound)` and mirrored, with delta/rdelta (values.ts withinDelta): the range of Y's time. */
function comparisonWindow(t: Comparison, y: number, bound: Set<number>, names: BranchNames): ((t: Tuple) => YBounds) | undefined {
  if (t.op === '!=' || t.op === 'in' || t.op === 'notin' || t.op === 'contains') return undefined;
  const env = tupleEnv((n) => names.index(n));
  let which: 'stime' | 'etime' | undefined;
  let other: Expr;
  let yLeft: boolean;
  if ((which = isYTime(t.left, y, names))) {
    other = t.right;
    yLeft = true;
  } else if ((which = isYTime(t.right, y, names))) {
    other = t.left;
    yLeft = false;
  } else {
    return undefined;
  }
  const ob = branchesOf(other, names.index);
  if (ob.size === 0 || !subset(ob, bound)) return undefined;
  const v = compileExpr(other, env).get;
  const d = t.delta ? deltaValue(t.delta.value) : undefined;
  const kind = t.delta?.kind;
  const op = t.op;
  // the range of the left side a and right side b given the other (see withinDelta and the rdelta rule)
  const range = (x: number): [number, number] => {
    if (d === undefined) {
      // no delta: y op x (yLeft) or x op y
      const lt = yLeft ? op === '<' || op === '<=' : op === '>' || op === '>=';
      if (op === '=') return [x, x];
      return lt ? [-Infinity, x] : [x, Infinity];
    }
    if (kind === 'rdelta') return yLeft ? [x - d, x - d] : [x + d, x + d];
    if (op === '=') return [x - d, x + d];
    // delta window: `<`: 0 ≤ b − a ≤ d, `>`: 0 ≤ a − b ≤ d
    const less = op === '<' || op === '<=';
    if (yLeft) return less ? [x - d, x] : [x, x + d];
    return less ? [x, x + d] : [x - d, x];
  };
  return (tu) => {
    const x = v(tu);
    if (typeof x !== 'number') return { startLo: Infinity, startHi: -Infinity, endLo: Infinity, endHi: -Infinity };
    const [lo, hi] = range(x);
    return which === 'stime' ? { ...OPEN, startLo: lo, startHi: hi } : { ...OPEN, endLo: lo, endHi: hi };
  };
}

// ------------------------------------------------------------------ planning

function sortedOf(groups: Group[]): Sorted {
  const sorted = [...groups].sort((a, b) => a.stime - b.stime || a.id - b.id);
  const starts = new Float64Array(sorted.length);
  let maxDuration = 0;
  for (let i = 0; i < sorted.length; i++) {
    starts[i] = sorted[i].stime;
    const dur = sorted[i].etime - sorted[i].stime;
    if (dur > maxDuration) maxDuration = dur;
  }
  return { groups: sorted, starts, maxDuration };
}

/**
 * Join order and per-level look-ups for `branches`, starting from the bound
 * set `initial` (empty for exported modules, the shared branches for reject
 * modules).
 */
function planJoin(
  branches: number[],
  initial: Set<number>,
  rules: CompiledRule[],
  groups: readonly Group[][],
  counters: ExecCounters,
  names: BranchNames,
): Plan {
  const bound = new Set(initial);
  const pre = rules.filter((r) => subset(r.branches, bound));
  const done = new Set(pre);

  // rules on a single free branch filter its groups up front
  const candidates = new Map<number, Group[]>();
  for (const b of branches) {
    if (bound.has(b)) continue;
    const own = rules.filter((r) => !done.has(r) && r.branches.size === 1 && r.branches.has(b));
    own.forEach((r) => done.add(r));
    const scratch: Tuple = [];
    candidates.set(
      b,
      own.length === 0
        ? groups[b]
        : groups[b].filter((g) => {
            scratch[b] = g;
            for (const r of own) {
              counters.ruleEvaluations++;
              if (!r.test(scratch)) return false;
            }
            return true;
          }),
    );
  }

  const levels: Level[] = [];
  const free = branches.filter((b) => !bound.has(b));
  while (free.length > 0) {
    // the free branch best connected to the bound ones; ties: fewer groups
    let bestI = 0;
    let bestScore = -1;
    for (let i = 0; i < free.length; i++) {
      const y = free[i];
      let score = 0;
      for (const r of rules) {
        if (done.has(r) || !r.branches.has(y) || !subset(r.branches, new Set([...bound, y]))) continue;
        if (hashHint(r, y, bound, names)) score = Math.max(score, 3);
        else if (windowHint(r, y, bound, names)) score = Math.max(score, 2);
      }
      const better = score > bestScore || (score === bestScore && candidates.get(y)!.length < candidates.get(free[bestI])!.length);
      if (better) {
        bestI = i;
        bestScore = score;
      }
    }
    const y = free.splice(bestI, 1)[0];
    const now = rules.filter((r) => !done.has(r) && subset(r.branches, new Set([...bound, y])));
    now.forEach((r) => done.add(r));
    const hashes: HashHint[] = [];
    const windows: ((t: Tuple) => YBounds)[] = [];
    const checks: CompiledRule[] = [];
    for (const r of now) {
      const h = hashHint(r, y, bound, names);
      if (h) {
        hashes.push(h);
        if (!h.exact) checks.push(r);
        continue;
      }
      const w = windowHint(r, y, bound, names);
      if (w) windows.push(w);
      checks.push(r);
    }
    const level: Level = { branch: y, checks, windows, index: sortedOf(candidates.get(y)!) };
    if (hashes.length > 0) {
      const scratch: Tuple = [];
      const keyOf = (get: (h: HashHint) => Getter<Tuple>, t: Tuple) => {
        if (hashes.length === 1) return joinKey(get(hashes[0])(t));
        let key = '';
        for (let i = 0; i < hashes.length; i++) {
          const k = joinKey(get(hashes[i])(t));
          if (k === undefined) return undefined;
          key += `${i ? '\u0001' : ''}${typeof k}:${String(k)}`;
        }
        return key;
      };
      level.groupKey = (g) => {
        scratch[y] = g;
        return keyOf((h) => h.groupKey, scratch);
      };
      level.probe = (t) => keyOf((h) => h.probe, t);
      const buckets = new Map<unknown, Group[]>();
      for (const g of candidates.get(y)!) {
        const k = level.groupKey(g);
        if (k === undefined) continue;
        let list = buckets.get(k);
        if (!list) buckets.set(k, (list = []));
        list.push(g);
      }
      level.index = new Map([...buckets].map(([k, list]) => [k, sortedOf(list)]));
    }
    levels.push(level);
    bound.add(y);
  }
  return { pre, levels };
}

// ------------------------------------------------------------------ searching

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Depth-first join; `emit` returns true to stop the search. Returns true when stopped. */
function search(plan: Plan, depth: number, tuple: Tuple, counters: ExecCounters, emit: (t: Tuple) => boolean): boolean {
  if (depth === plan.levels.length) return emit(tuple);
  const level = plan.levels[depth];
  let sorted: Sorted | undefined;
  if (level.probe) {
    const key = level.probe(tuple);
    sorted = key === undefined ? undefined : (level.index as Map<unknown, Sorted>).get(key);
  } else {
    sorted = level.index as Sorted;
  }
  if (!sorted || sorted.groups.length === 0) return false;
  let startLo = -Infinity;
  let startHi = Infinity;
  for (const w of level.windows) {
    const b = w(tuple);
    const lo = Math.max(b.startLo, b.endLo - sorted.maxDuration);
    const hi = Math.min(b.startHi, b.endHi);
    if (lo > startLo) startLo = lo;
    if (hi < startHi) startHi = hi;
  }
  if (!(startLo <= startHi)) return false;
  const { groups, starts } = sorted;
  const checks = level.checks;
  const y = level.branch;
  for (let i = startLo === -Infinity ? 0 : lowerBound(starts, startLo); i < groups.length && starts[i] <= startHi; i++) {
    tuple[y] = groups[i];
    let ok = true;
    for (let c = 0; c < checks.length; c++) {
      counters.ruleEvaluations++;
      if (!checks[c].test(tuple)) {
        ok = false;
        break;
      }
    }
    if (ok && search(plan, depth + 1, tuple, counters, emit)) {
      tuple[y] = undefined;
      return true;
    }
  }
  tuple[y] = undefined;
  return false;
}

/**
 * Every completion of `tuple` that satisfies the plan, passed to `emit`,
 * which returns true to stop (a reject module's anti-join stops at the first
 * witness). The search binds only the plan's free branches and unbinds them
 * again. Returns true when stopped.
 */
function complete(plan: Plan, tuple: Tuple, counters: ExecCounters, emit: (t: Tuple) => boolean): boolean {
  for (const r of plan.pre) {
    counters.ruleEvaluations++;
    if (!r.test(tuple)) return false;
  }
  return search(plan, 0, tuple, counters, emit);
}
