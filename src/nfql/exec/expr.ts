/**
 * Expressions and rules compiled to closures, once per query. The same
 * compiler serves filters (context: a flow record), group filters (a group)
 * and merger rules (a tuple of groups); the caller says how a field
 * reference reads its value from the context.
 *
 * Constants are folded at compile time (number literals with units become
 * milliseconds or ×1000ⁿ, addresses become canonical text, prefixes and set
 * literals become matchers), so evaluating a rule allocates nothing.
 */
import type { AllenTerm, Comparison, Expr, FieldRef, Rule, Term } from '../ast.js';
import { literalValue } from '../checked.js';
import { lookupFunction } from '../functions.js';
import { canonicalIp, cidrContains, parseCidr, type Cidr } from './ip.js';
import { isAbsent, ordered, setHas, valuesEqual, withinDelta } from './values.js';

export type Getter<C> = (c: C) => unknown;
export type Pred<C> = (c: C) => boolean;

export interface CompileEnv<C> {
  /** how a field reference reads its value from the context */
  field(ref: FieldRef): Getter<C>;
  /** Allen terms (merger only) */
  allen?(term: AllenTerm): Pred<C>;
}

/** A compiled expression; `constant` is set when it reads no field. */
export interface Compiled<C> {
  get: Getter<C>;
  constant?: { value: unknown };
}

export class ExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecError';
  }
}

// ------------------------------------------------------------------ expressions

export function compileExpr<C>(e: Expr, env: CompileEnv<C>): Compiled<C> {
  switch (e.kind) {
    case 'field':
      return { get: env.field(e) };
    case 'number':
      return constant(literalValue(e));
    case 'ip':
      return constant(canonicalIp(e.text) ?? e.text);
    case 'cidr':
      return constant(e.text);
    case 'string':
      return constant(e.value);
    case 'set': {
      const items = e.items.map((i) => compileExpr(i, env));
      if (items.every((i) => i.constant)) return constant(items.map((i) => i.constant!.value));
      return { get: (c) => items.map((i) => i.get(c)) };
    }
    case 'range':
      throw new ExecError('a range [lo, hi] only follows `in` or `notin`');
    case 'call':
      return compileCall(e.fn, e.args, env);
    case 'binary': {
      const l = compileExpr(e.left, env);
      const r = compileExpr(e.right, env);
      const op = arithmetic(e.op);
      if (l.constant && r.constant) return constant(op(num(l.constant.value), num(r.constant.value)));
      const lg = l.get;
      const rg = r.get;
      if (r.constant) {
        const k = num(r.constant.value);
        return { get: (c) => op(num(lg(c)), k) };
      }
      return { get: (c) => op(num(lg(c)), num(rg(c))) };
    }
  }
}

function constant<C>(value: unknown): Compiled<C> {
  return { get: () => value, constant: { value } };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function arithmetic(op: '+' | '-' | '*' | '/'): (a: number, b: number) => number {
  switch (op) {
    case '+':
      return (a, b) => a + b;
    case '-':
      return (a, b) => a - b;
    case '*':
      return (a, b) => a * b;
    case '/':
      return (a, b) => a / b;
  }
}

function compileCall<C>(name: string, argExprs: readonly Expr[], env: CompileEnv<C>): Compiled<C> {
  const fn = lookupFunction(name);
  if (!fn) throw new ExecError(`unknown function ${name}`);
  const apply = fn.apply;
  const args = argExprs.map((a) => compileExpr(a, env));
  // An absent argument makes the result absent (bitAND of a missing field is no number).
  const guard = (v: unknown) => (isAbsent(v) ? undefined : v);
  if (args.every((a) => a.constant)) return constant(apply(...args.map((a) => a.constant!.value)));
  if (args.length === 1) {
    const a = args[0].get;
    return { get: (c) => { const x = a(c); return isAbsent(x) ? undefined : guard(apply(x)); } };
  }
  if (args.length === 2) {
    const a = args[0].get;
    const b = args[1].get;
    return {
      get: (c) => {
        const x = a(c);
        const y = b(c);
        return isAbsent(x) || isAbsent(y) ? undefined : guard(apply(x, y));
      },
    };
  }
  const getters = args.map((a) => a.get);
  return { get: (c) => { const vs = getters.map((g) => g(c)); return vs.some(isAbsent) ? undefined : guard(apply(...vs)); } };
}

// ------------------------------------------------------------------ rules

/** Rules AND-ed (a stage's or a module's rules). */
export function compileRules<C>(rules: readonly Rule[], env: CompileEnv<C>): Pred<C> {
  return andAll(rules.map((r) => compileRule(r, env)));
}

/** One rule: its terms OR-ed. */
export function compileRule<C>(rule: Rule, env: CompileEnv<C>): Pred<C> {
  const terms = rule.terms.map((t) => compileTerm(t, env));
  if (terms.length === 1) return terms[0];
  if (terms.length === 2) {
    const [a, b] = terms;
    return (c) => a(c) || b(c);
  }
  return (c) => {
    for (let i = 0; i < terms.length; i++) if (terms[i](c)) return true;
    return false;
  };
}

export function andAll<C>(preds: readonly Pred<C>[]): Pred<C> {
  switch (preds.length) {
    case 0:
      return () => true;
    case 1:
      return preds[0];
    case 2: {
      const [a, b] = preds;
      return (c) => a(c) && b(c);
    }
    case 3: {
      const [a, b, d] = preds;
      return (c) => a(c) && b(c) && d(c);
    }
    default:
      return (c) => {
        for (let i = 0; i < preds.length; i++) if (!preds[i](c)) return false;
        return true;
      };
  }
}

export function compileTerm<C>(t: Term, env: CompileEnv<C>): Pred<C> {
  switch (t.kind) {
    case 'not': {
      const inner = compileTerm(t.term, env);
      return (c) => !inner(c);
    }
    case 'bool': {
      const g = compileExpr(t.expr, env).get;
      return (c) => g(c) === true;
    }
    case 'allen':
      if (!env.allen) throw new ExecError(`Allen relation \`${t.left} ${t.written} ${t.right}\` outside a merger`);
      return env.allen(t);
    case 'cmp':
      return compileComparison(t, env);
  }
}

/** The tolerance of a `delta`/`rdelta` in the field's unit. */
export function deltaValue(e: Expr): number {
  if (e.kind !== 'number') throw new ExecError('a delta is a number');
  return literalValue(e);
}

function compileComparison<C>(t: Comparison, env: CompileEnv<C>): Pred<C> {
  switch (t.op) {
    case 'in':
      return compileIn(t, env);
    case 'notin': {
      const inner = compileIn(t, env);
      return (c) => !inner(c);
    }
    case 'contains':
      return compileContains(t, env);
    default:
      break;
  }
  const l = compileExpr(t.left, env);
  const r = compileExpr(t.right, env);
  const lg = l.get;
  const rg = r.get;
  const op = t.op;
  if (t.delta) {
    const d = deltaValue(t.delta.value);
    if (t.delta.kind === 'rdelta' && op === '=') {
      // merger: `A.f = B.f rdelta d` ⇔ B.f − A.f = d (computed as A.f + d, as the hash join probes)
      return (c) => {
        const a = lg(c);
        const b = rg(c);
        return typeof a === 'number' && typeof b === 'number' && a + d === b;
      };
    }
    return (c) => withinDelta(op, lg(c), rg(c), d);
  }
  if (op === '=' || op === '!=') {
    const eq = compileEquals(l, r);
    return op === '=' ? eq : (c) => !eq(c);
  }
  // orderings, with a constant side specialised (the common `packets > 10`)
  if (r.constant && typeof r.constant.value === 'number') {
    const k = r.constant.value;
    switch (op) {
      case '<':
        return (c) => { const a = lg(c); return typeof a === 'number' && a < k; };
      case '<=':
        return (c) => { const a = lg(c); return typeof a === 'number' && a <= k; };
      case '>':
        return (c) => { const a = lg(c); return typeof a === 'number' && a > k; };
      case '>=':
        return (c) => { const a = lg(c); return typeof a === 'number' && a >= k; };
    }
  }
  return (c) => ordered(op, lg(c), rg(c));
}

function compileEquals<C>(l: Compiled<C>, r: Compiled<C>): Pred<C> {
  const [side, k] = r.constant ? [l, r.constant.value] : l.constant ? [r, l.constant.value] : [undefined, undefined];
  if (side && !isAbsent(k) && typeof k !== 'object') {
    const g = side.get;
    return (c) => g(c) === k;
  }
  const lg = l.get;
  const rg = r.get;
  return (c) => valuesEqual(lg(c), rg(c));
}

/** `x in PREFIX`, `x in {…}`, `x in [lo, hi]`, `x in set_field` */
function compileIn<C>(t: Comparison, env: CompileEnv<C>): Pred<C> {
  const lg = compileExpr(t.left, env).get;
  const right = t.right;
  if (right.kind === 'cidr') {
    const cidr = cidrOf(right.text);
    return (c) => cidrContains(cidr, lg(c));
  }
  if (right.kind === 'range') {
    const lo = compileExpr(right.lo, env);
    const hi = compileExpr(right.hi, env);
    if (lo.constant && hi.constant) {
      const a = num(lo.constant.value);
      const b = num(hi.constant.value);
      return (c) => { const v = lg(c); return typeof v === 'number' && v >= a && v <= b; };
    }
    const log = lo.get;
    const hig = hi.get;
    return (c) => { const v = lg(c); return typeof v === 'number' && v >= num(log(c)) && v <= num(hig(c)); };
  }
  if (right.kind === 'set') {
    const items = right.items.map((i) => (i.kind === 'cidr' ? { cidr: cidrOf(i.text) } : { value: compileExpr(i, env) }));
    if (items.every((i) => i.cidr || i.value?.constant)) {
      const plain = new Set<unknown>();
      const cidrs: Cidr[] = [];
      for (const i of items) {
        if (i.cidr) cidrs.push(i.cidr);
        else plain.add(i.value!.constant!.value);
      }
      if (cidrs.length === 0) {
        return (c) => { const v = lg(c); return !isAbsent(v) && plain.has(v); };
      }
      return (c) => {
        const v = lg(c);
        if (isAbsent(v)) return false;
        if (plain.has(v)) return true;
        for (let i = 0; i < cidrs.length; i++) if (cidrContains(cidrs[i], v)) return true;
        return false;
      };
    }
    return (c) => {
      const v = lg(c);
      if (isAbsent(v)) return false;
      for (const i of items) {
        if (i.cidr ? cidrContains(i.cidr, v) : valuesEqual(i.value!.get(c), v)) return true;
      }
      return false;
    };
  }
  // a set-valued field on the right
  const rg = compileExpr(right, env).get;
  return (c) => {
    const v = lg(c);
    const set = rg(c);
    return !isAbsent(v) && Array.isArray(set) && setHas(set, v);
  };
}

/** `set contains x` (x is a member), `set contains {a, b}` (every one of them is a member) */
function compileContains<C>(t: Comparison, env: CompileEnv<C>): Pred<C> {
  const lg = compileExpr(t.left, env).get;
  const r = compileExpr(t.right, env);
  const rg = r.get;
  return (c) => {
    const set = lg(c);
    if (!Array.isArray(set)) return false;
    const x = rg(c);
    if (Array.isArray(x)) {
      for (const m of x) if (!setHas(set, m)) return false;
      return true;
    }
    return !isAbsent(x) && setHas(set, x);
  };
}

function cidrOf(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw new ExecError(`${text} is not a prefix`);
  return cidr;
}

