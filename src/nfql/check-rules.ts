/**
 * Type-checks rules and returns them normalized: field aliases replaced by
 * the names of the scope (canonical record fields, group-record fields),
 * bare protocol words and `protocol("…")` replaced by numbers, bare enum
 * words by strings, `x = true` by `x`.
 *
 * Values are numbers (counts, times, durations), IP addresses, prefixes,
 * text, booleans and sets. A number written with a time unit is a duration
 * and only meets times and durations; a size unit (k, M, G) only meets counts.
 */
import type { FieldType } from '../flow/fields.js';
import type { AllenTerm, Call, CompareOp, Comparison, Delta, Expr, FieldRef, NumberLit, Rule, Term } from './ast.js';
import { isTimeUnit } from './checked.js';
import { type Diagnostics, q } from './errors.js';
import { FUNCTIONS, lookupFunction, protocolNumber, type ValueKind } from './functions.js';
import type { RuleContext } from './parser.js';
import { printExpr, printTerm } from './printer.js';
import { type FieldInfo, isAggregateName } from './scope.js';
import { closest } from './suggest.js';

export interface RuleEnv {
  ctx: RuleContext;
  /** "filter `f`", "group filter `gf`", "merger `M`": for messages */
  where: string;
  diags: Diagnostics;
  /**
   * The field a reference names: a FieldInfo, undefined when it names none
   * (an unqualified name may still be a word such as `tcp`), or null when
   * the reference is wrong in a way already reported.
   */
  field(ref: FieldRef): FieldInfo | undefined | null;
  /** report a reference that is neither a field nor a word that fits */
  reportUnknown(ref: FieldRef): void;
  /** merger only: is `name` a branch this module may use? Reports when not. */
  checkBranch?(name: string, pos: AllenTerm['pos'], length: number): boolean;
}

type NumSub = 'int' | 'time' | 'duration';

/** The checker's view of a value. */
type VType =
  | { k: 'num'; sub: NumSub }
  /** a literal number (or arithmetic on literals): adapts to the other side */
  | { k: 'lit' }
  | { k: 'ip' }
  | { k: 'cidr' }
  | { k: 'str'; values?: readonly string[] }
  | { k: 'bool' }
  | { k: 'set' }
  | { k: 'setlit'; items: Checked[] }
  | { k: 'range'; lo: Checked; hi: Checked }
  /** an unqualified name that is no field: a value word (`tcp`, `fin`) or a typo */
  | { k: 'word'; ref: FieldRef }
  /** already reported */
  | { k: 'err' };

interface Checked {
  t: VType;
  /** the normalized expression */
  e: Expr;
  field?: FieldInfo;
  /** the first literal with a time unit / a size unit inside, for unit errors */
  timeLit?: NumberLit;
  sizeLit?: NumberLit;
}

const ERR: VType = { k: 'err' };

// ------------------------------------------------------------------ rules

export function checkRules(rules: readonly Rule[], env: RuleEnv): Rule[] {
  return rules.map((r) => checkRule(r, env));
}

function checkRule(rule: Rule, env: RuleEnv): Rule {
  if (env.ctx === 'grouper' && rule.terms.length > 1) {
    const second = rule.terms[1];
    env.diags.error(second.pos, '`OR` is not allowed in grouper rules', {
      length: printTerm(second).length,
      hint: 'modules are OR-ed: put the alternative into a module of its own',
    });
  }
  return { terms: rule.terms.map((t) => checkTerm(t, env)), pos: rule.pos };
}

function checkTerm(term: Term, env: RuleEnv): Term {
  switch (term.kind) {
    case 'not':
      if (env.ctx === 'grouper') env.diags.error(term.pos, '`NOT` is not allowed in grouper rules', { length: 3, hint: 'a grouper rule compares a field of the group with a field of the new record' });
      return { kind: 'not', term: checkTerm(term.term, env), pos: term.pos };
    case 'allen':
      return checkAllen(term, env);
    case 'bool':
      return checkBoolTerm(term.expr, env, term.pos);
    case 'cmp':
      return env.ctx === 'grouper' ? checkGrouperRule(term, env) : checkComparison(term, env);
  }
}

function checkBoolTerm(expr: Expr, env: RuleEnv, pos: Term['pos']): Term {
  if (env.ctx === 'grouper') {
    env.diags.error(pos, 'a grouper rule compares two fields', { length: printExpr(expr).length, hint: 'e.g. `srcip = srcip`: the field of the group, then the field of the new record' });
    return { kind: 'bool', expr, pos };
  }
  const c = checkExpr(expr, env);
  if (c.t.k === 'word') {
    env.reportUnknown(c.t.ref);
  } else if (c.t.k !== 'bool' && c.t.k !== 'err') {
    env.diags.error(pos, `${subject(c)} is ${typeName(c.t)}, not a condition`, {
      length: printExpr(expr).length,
      hint: `compare it, e.g. \`${printExpr(c.e)} = …\``,
    });
  }
  return { kind: 'bool', expr: c.e, pos };
}

function checkAllen(term: AllenTerm, env: RuleEnv): Term {
  if (env.checkBranch) {
    const leftOk = env.checkBranch(term.left, term.pos, term.left.length);
    const rightPos = { ...term.pos, col: term.pos.col + term.left.length + term.written.length + 2, offset: term.pos.offset + term.left.length + term.written.length + 2 };
    const rightOk = env.checkBranch(term.right, rightPos, term.right.length);
    if (leftOk && rightOk && term.left === term.right)
      env.diags.error(term.pos, `an Allen relation needs two different branches, not ${q(term.left)} twice`, { length: printTerm(term).length });
  }
  const out: AllenTerm = { ...term };
  if (term.delta !== undefined) {
    const d = checkDeltaLiteral(term.delta, env);
    if (d && d.unit !== undefined && !isTimeUnit(d.unit))
      env.diags.error(d.pos, `size unit ${q(d.unit)} on an Allen delta, which is a time`, { length: printExpr(d).length, hint: 'write a time: `delta 5s`, `delta 500ms` (a plain number is milliseconds)' });
    out.delta = term.delta;
  }
  return out;
}

/** `a op b [delta|rdelta d]`: field `a` of the group (its first or last record) against field `b` of the new record. */
function checkGrouperRule(term: Comparison, env: RuleEnv): Term {
  const sides: (FieldInfo | undefined)[] = [];
  const out: Comparison = { ...term };
  for (const [which, e] of [['left', term.left], ['right', term.right]] as const) {
    if (e.kind !== 'field' || e.qualifier !== undefined) {
      const literal = e.kind === 'number' || e.kind === 'string' || e.kind === 'ip' || e.kind === 'cidr' || e.kind === 'set' || e.kind === 'range';
      env.diags.error(e.pos, literal ? `a grouper rule compares two fields; ${q(printTerm(term))} compares a field with a constant` : 'a grouper rule compares two fields, not expressions', {
        length: printExpr(e).length,
        hint: literal ? 'conditions on one record belong in the branch\'s filter' : 'e.g. `srcip = srcip` or `etime < stime rdelta 1s`',
      });
      sides.push(undefined);
      continue;
    }
    const info = env.field(e);
    if (info === undefined) env.reportUnknown(e);
    sides.push(info ?? undefined);
    if (info) out[which] = { ...e, name: info.key };
  }
  if (['in', 'notin', 'contains'].includes(term.op)) {
    env.diags.error(term.pos, `\`${term.op}\` is not a grouper operator`, { length: printTerm(term).length, hint: 'grouper rules use = != < > <= >=' });
    return out;
  }
  const [a, b] = sides;
  if (a && b) {
    const ca = fieldChecked(out.left as FieldRef, a);
    const cb = fieldChecked(out.right as FieldRef, b);
    compareTypes(term.op, ca, cb, term, env);
    if (term.delta) out.delta = checkDelta(term.delta, term.op, ca, cb, env);
  }
  return out;
}

function checkComparison(term: Comparison, env: RuleEnv): Term {
  let left = checkExpr(term.left, env);
  let right = checkExpr(term.right, env);

  // `x = true`, `x != false`: a boolean field compared with a word.
  const boolWord = (w: Checked, other: Checked) => w.t.k === 'word' && other.t.k === 'bool' && /^(true|false)$/i.test(w.t.ref.name) && !w.t.ref.qualifier;
  if ((term.op === '=' || term.op === '!=') && (boolWord(right, left) || boolWord(left, right))) {
    const [word, value] = boolWord(right, left) ? [right, left] : [left, right];
    const positive = (word.t as { ref: FieldRef }).ref.name.toLowerCase() === 'true' === (term.op === '=');
    const bool: Term = { kind: 'bool', expr: value.e, pos: term.pos };
    return positive ? bool : { kind: 'not', term: bool, pos: term.pos };
  }

  if (term.op === 'in' || term.op === 'notin') {
    if (left.t.k === 'word' && right.t.k !== 'word') left = resolveWord(left, right, env);
    if (right.t.k === 'setlit') {
      const items = right.t.items.map((it) => (it.t.k === 'word' ? resolveWord(it, left, env) : it));
      right = { ...right, t: { k: 'setlit', items }, e: { kind: 'set', items: items.map((i) => i.e), pos: right.e.pos } };
    } else if (right.t.k === 'word') {
      env.reportUnknown(right.t.ref);
      right = { ...right, t: ERR };
    }
    if (left.t.k === 'word') {
      env.reportUnknown(left.t.ref);
      left = { ...left, t: ERR };
    }
  } else if (term.op === 'contains') {
    if (right.t.k === 'word' && left.t.k !== 'word') right = resolveWord(right, left, env);
    if (right.t.k === 'setlit') {
      const items = right.t.items.map((it) => (it.t.k === 'word' ? resolveWord(it, left, env) : it));
      right = { ...right, t: { k: 'setlit', items }, e: { kind: 'set', items: items.map((i) => i.e), pos: right.e.pos } };
    }
    if (left.t.k === 'word') {
      env.reportUnknown(left.t.ref);
      left = { ...left, t: ERR };
    }
  } else {
    if (left.t.k === 'word' && right.t.k === 'word') {
      // `app = sip` without an `app` field: the left word is the unknown field; the right one is its value.
      env.reportUnknown(left.t.ref);
      left = { ...left, t: ERR };
      right = { ...right, t: ERR };
    }
    if (left.t.k === 'word') left = resolveWord(left, right, env);
    if (right.t.k === 'word') right = resolveWord(right, left, env);
  }
  if (left.t.k === 'range') {
    env.diags.error(left.e.pos, 'a range `[lo, hi]` only follows `in` or `notin`', { length: printExpr(left.e).length });
    left = { ...left, t: ERR };
  }
  if (right.t.k === 'range' && term.op !== 'in' && term.op !== 'notin') {
    env.diags.error(right.e.pos, 'a range `[lo, hi]` only follows `in` or `notin`', { length: printExpr(right.e).length, hint: `write \`${printExpr(left.e)} in ${printExpr(right.e)}\`` });
    right = { ...right, t: ERR };
  }

  compareTypes(term.op, left, right, term, env);
  const out: Comparison = { kind: 'cmp', op: term.op, left: left.e, right: right.e, pos: term.pos };
  if (term.delta) {
    if (env.ctx !== 'merger') {
      env.diags.error(term.delta.pos, `\`${term.delta.kind}\` belongs in grouper and merger rules`, {
        length: term.delta.kind.length,
        hint: env.ctx === 'filter' ? 'a filter compares one record with constants or with its own fields' : 'a group filter compares one group record with constants',
      });
    } else {
      out.delta = checkDelta(term.delta, term.op, left, right, env);
    }
  }
  return out;
}

/** Compatibility of the two sides of `op`, reporting mismatches. */
function compareTypes(op: CompareOp, a: Checked, b: Checked, term: Comparison, env: RuleEnv): void {
  if (a.t.k === 'err' || b.t.k === 'err') return;
  const { diags } = env;
  const mismatch = (hint?: string) =>
    diags.error(term.pos, `type mismatch: ${subject(a)} is ${typeName(a.t)} and ${subject(b)} is ${typeName(b.t)}`, {
      length: printTerm(term).length,
      ...(hint ? { hint } : {}),
    });
  switch (op) {
    case '=':
    case '!=': {
      if (isNumeric(a) && isNumeric(b)) return mixedNumbers(a, b) ? mismatch() : checkUnits(a, b, env);
      if (a.t.k === 'ip' && b.t.k === 'cidr') return mismatch(`use \`${op === '=' ? 'in' : 'notin'}\` to test a prefix: \`${printExpr(a.e)} ${op === '=' ? 'in' : 'notin'} ${printExpr(b.e)}\``);
      if (a.t.k === 'set' && isScalar(b)) return mismatch(`use \`contains\` to test membership: \`${printExpr(a.e)} contains ${printExpr(b.e)}\``);
      if (sameKind(a, b)) return;
      return mismatch();
    }
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (isNumeric(a) && isNumeric(b)) return mixedNumbers(a, b) ? mismatch() : checkUnits(a, b, env);
      const bad = isNumeric(a) ? b : a;
      diags.error(term.pos, `\`${op}\` compares numbers and times; ${subject(bad)} is ${typeName(bad.t)}`, { length: printTerm(term).length });
      return;
    }
    case 'in':
    case 'notin': {
      if (b.t.k === 'cidr') {
        if (a.t.k !== 'ip') diags.error(term.pos, `a prefix only contains IP addresses; ${subject(a)} is ${typeName(a.t)}`, { length: printTerm(term).length });
        return;
      }
      if (b.t.k === 'range') {
        if (!isNumeric(a)) {
          diags.error(term.pos, `a range holds numbers or times; ${subject(a)} is ${typeName(a.t)}`, { length: printTerm(term).length });
          return;
        }
        for (const bound of [b.t.lo, b.t.hi]) {
          if (bound.t.k === 'err') continue;
          if (!isNumeric(bound)) diags.error(bound.e.pos, `a range bound must be a number or a time; ${subject(bound)} is ${typeName(bound.t)}`, { length: printExpr(bound.e).length });
          else checkUnits(a, bound, env);
        }
        return;
      }
      if (b.t.k === 'setlit') {
        for (const item of b.t.items) {
          if (item.t.k === 'err') continue;
          if (a.t.k === 'ip' && item.t.k === 'cidr') continue;
          if (isNumeric(a) && isNumeric(item)) checkUnits(a, item, env);
          else if (!sameKind(a, item))
            diags.error(item.e.pos, `type mismatch: ${subject(a)} is ${typeName(a.t)} and ${subject(item)} is ${typeName(item.t)}`, { length: printExpr(item.e).length });
        }
        return;
      }
      if (b.t.k === 'set') {
        if (!isScalar(a)) diags.error(term.pos, `\`${op}\` tests one value against a set; ${subject(a)} is ${typeName(a.t)}`, { length: printTerm(term).length });
        return;
      }
      diags.error(b.e.pos, `\`${op}\` takes a prefix, a set \`{a, b}\`, a range \`[lo, hi]\` or a set-valued field; ${subject(b)} is ${typeName(b.t)}`, {
        length: printExpr(b.e).length,
        ...(isScalar(b) ? { hint: `to compare two values use \`=\`: \`${printExpr(a.e)} = ${printExpr(b.e)}\`` } : {}),
      });
      return;
    }
    case 'contains': {
      if (a.t.k !== 'set' && a.t.k !== 'setlit') {
        diags.error(term.pos, `\`contains\` needs a set-valued field on the left; ${subject(a)} is ${typeName(a.t)}`, {
          length: printTerm(term).length,
          hint: a.t.k === 'ip' ? `for a prefix write \`${printExpr(a.e)} in …/len\`` : `to compare one value use \`=\` or \`in\``,
        });
        return;
      }
      if (b.t.k === 'setlit' || isScalar(b)) return;
      diags.error(b.e.pos, `\`contains\` tests for a value or a set \`{a, b}\`; ${subject(b)} is ${typeName(b.t)}`, { length: printExpr(b.e).length });
      return;
    }
  }
}

/** Time units meet times and durations only; size units meet counts only. */
function checkUnits(a: Checked, b: Checked, env: RuleEnv): void {
  for (const [x, y] of [[a, b], [b, a]] as const) {
    if (x.t.k !== 'num') continue;
    if (x.t.sub === 'int' && y.timeLit) {
      const lit = y.timeLit;
      env.diags.error(lit.pos, `time unit ${q(lit.unit!)} on ${subject(x)}, which is not a time`, {
        length: printExpr(lit).length,
        hint: 'time units (ms, s, sec, min, h) go with times and durations such as stime, etime, duration',
      });
    }
    if (x.t.sub !== 'int' && y.sizeLit) {
      const lit = y.sizeLit;
      env.diags.error(lit.pos, `size unit ${q(lit.unit!)} on ${subject(x)}, which is a time`, {
        length: printExpr(lit).length,
        hint: 'write a time unit: ms, s, sec, min, h (a plain number is milliseconds)',
      });
    }
  }
}

/** `delta`/`rdelta`: a non-negative number whose unit fits the compared fields. */
function checkDelta(delta: Delta, op: CompareOp, a: Checked, b: Checked, env: RuleEnv): Delta {
  if (op === 'in' || op === 'notin' || op === 'contains' || op === '!=')
    env.diags.error(delta.pos, `\`${delta.kind}\` does not apply to \`${op}\``, { length: delta.kind.length, hint: 'a delta is a tolerance on = < > <= >=' });
  else if (delta.kind === 'rdelta' && env.ctx === 'merger' && op !== '=')
    env.diags.error(delta.pos, `in a merger, \`rdelta\` goes with \`=\`: \`A.f = B.f rdelta d\` means B.f − A.f = d`, { length: delta.kind.length });
  const lit = checkDeltaLiteral(delta.value, env);
  if (lit && (a.t.k !== 'err' && b.t.k !== 'err')) {
    if (!isNumeric(a) || !isNumeric(b)) {
      const bad = isNumeric(a) ? b : a;
      env.diags.error(delta.pos, `\`${delta.kind}\` needs numbers or times; ${subject(bad)} is ${typeName(bad.t)}`, { length: delta.kind.length });
    } else {
      const c = checkExpr(lit, env);
      checkUnits(a.t.k === 'num' ? a : b, c, env);
    }
  }
  return { kind: delta.kind, value: delta.value, pos: delta.pos };
}

function checkDeltaLiteral(value: Expr, env: RuleEnv): NumberLit | undefined {
  if (value.kind !== 'number') {
    env.diags.error(value.pos, 'a delta is a number, e.g. `delta 5s` or `rdelta 1`', { length: printExpr(value).length });
    return undefined;
  }
  if (value.value < 0) {
    env.diags.error(value.pos, 'a delta is never negative', { length: printExpr(value).length });
    return undefined;
  }
  return value;
}

// ------------------------------------------------------------------ expressions

function checkExpr(e: Expr, env: RuleEnv): Checked {
  switch (e.kind) {
    case 'field': {
      const info = env.field(e);
      if (info === null) return { t: ERR, e };
      if (info === undefined) {
        if (e.qualifier !== undefined) {
          env.reportUnknown(e);
          return { t: ERR, e };
        }
        return { t: { k: 'word', ref: e }, e };
      }
      return fieldChecked({ ...e, name: info.key }, info);
    }
    case 'number': {
      const c: Checked = { t: { k: 'lit' }, e };
      if (e.unit !== undefined) {
        if (isTimeUnit(e.unit)) c.timeLit = e;
        else c.sizeLit = e;
      }
      return c;
    }
    case 'ip':
      return { t: { k: 'ip' }, e };
    case 'cidr':
      return { t: { k: 'cidr' }, e };
    case 'string':
      return { t: { k: 'str' }, e };
    case 'set': {
      const items = e.items.map((i) => checkExpr(i, env));
      for (const it of items) {
        if (it.t.k === 'set' || it.t.k === 'setlit' || it.t.k === 'range')
          env.diags.error(it.e.pos, 'a set holds single values', { length: printExpr(it.e).length });
      }
      return { t: { k: 'setlit', items }, e: { kind: 'set', items: items.map((i) => i.e), pos: e.pos } };
    }
    case 'range': {
      const lo = resolveOrReport(checkExpr(e.lo, env), env);
      const hi = resolveOrReport(checkExpr(e.hi, env), env);
      return { t: { k: 'range', lo, hi }, e: { kind: 'range', lo: lo.e, hi: hi.e, pos: e.pos } };
    }
    case 'call':
      return checkCall(e, env);
    case 'binary': {
      const l = resolveOrReport(checkExpr(e.left, env), env);
      const r = resolveOrReport(checkExpr(e.right, env), env);
      const out: Expr = { kind: 'binary', op: e.op, left: l.e, right: r.e, pos: e.pos };
      if (l.t.k === 'err' || r.t.k === 'err') return { t: ERR, e: out };
      for (const side of [l, r]) {
        if (!isNumeric(side)) {
          env.diags.error(side.e.pos, `\`${e.op}\` needs numbers or times; ${subject(side)} is ${typeName(side.t)}`, { length: printExpr(side.e).length });
          return { t: ERR, e: out };
        }
      }
      checkUnits(l, r, env);
      const subs = [l, r].map(numSub);
      let t: VType;
      if (e.op === '-' && subs[0] === 'time' && subs[1] === 'time') t = { k: 'num', sub: 'duration' };
      else if (subs.includes('time')) t = { k: 'num', sub: 'time' };
      else if (subs.includes('duration')) t = { k: 'num', sub: 'duration' };
      else if (subs.includes('int')) t = { k: 'num', sub: 'int' };
      else t = { k: 'lit' };
      const c: Checked = { t, e: out };
      const timeLit = l.timeLit ?? r.timeLit;
      const sizeLit = l.sizeLit ?? r.sizeLit;
      if (timeLit) c.timeLit = timeLit;
      if (sizeLit) c.sizeLit = sizeLit;
      return c;
    }
  }
}

function checkCall(e: Call, env: RuleEnv): Checked {
  const fn = lookupFunction(e.fn);
  // `minus(a, b)` is Flowy's spelling of `a - b`: typed the same way (time − time is a duration)
  if (fn?.name === 'minus' && e.args.length === 2) {
    const b = checkExpr({ kind: 'binary', op: '-', left: e.args[0], right: e.args[1], pos: e.pos }, env);
    if (b.e.kind !== 'binary') return b;
    return { ...b, e: { kind: 'call', fn: e.fn, args: [b.e.left, b.e.right], pos: e.pos } };
  }
  if (fn === undefined) {
    const agg = isAggregateName(e.fn);
    if (agg !== undefined)
      env.diags.error(e.pos, `${q(agg)} is an aggregate, not a function`, {
        length: e.fn.length,
        hint: `aggregate in the grouper (\`aggregate ${agg}(bytes) as total\`) and compare the result here (\`total > …\`)`,
      });
    else {
      const near = closest(e.fn, FUNCTIONS.keys());
      env.diags.error(e.pos, `unknown function ${q(e.fn)}`, { length: e.fn.length, hint: near ? `did you mean ${q(near)}?` : `the functions are ${[...FUNCTIONS.keys()].join(', ')}` });
    }
    return { t: ERR, e };
  }
  if (e.args.length !== fn.params.length) {
    env.diags.error(e.pos, `${q(fn.name)} takes ${fn.params.length} argument${fn.params.length === 1 ? '' : 's'}, not ${e.args.length}`, { length: printExpr(e).length });
    return { t: ERR, e };
  }
  let failed = false;
  const args = e.args.map((a, i) => {
    let c = checkExpr(a, env);
    const want = fn.params[i];
    // `protocol(UDP)`: a bare word where text is expected is that text.
    if (c.t.k === 'word' && want === 'string') c = { t: { k: 'str' }, e: { kind: 'string', value: c.t.ref.name, pos: a.pos } };
    c = resolveOrReport(c, env);
    if (c.t.k === 'err') failed = true;
    else if (!fitsKind(c, want)) {
      failed = true;
      env.diags.error(a.pos, `argument ${i + 1} of ${q(fn.name)} must be ${kindName(want)}; ${subject(c)} is ${typeName(c.t)}`, { length: printExpr(a).length });
    }
    return c;
  });
  const call: Expr = { kind: 'call', fn: fn.name, args: args.map((a) => a.e), pos: e.pos };
  if (failed) return { t: ERR, e: call };
  if (fn.constant && args.every((a) => a.e.kind === 'string' || a.e.kind === 'number')) {
    const values = args.map((a) => (a.e.kind === 'string' ? a.e.value : a.e.kind === 'number' ? a.e.value : undefined));
    const value = fn.apply(...values);
    if (typeof value !== 'number') {
      env.diags.error(e.pos, `${q(fn.name)} does not know ${values.map((v) => q(String(v))).join(', ')}`, {
        length: printExpr(e).length,
        ...(fn.name === 'protocol' ? { hint: 'known protocols: tcp, udp, icmp, icmpv6, gre, esp, ah, sctp, ipv6, ipip, igmp' } : {}),
      });
      return { t: ERR, e: call };
    }
    return { t: { k: 'lit' }, e: { kind: 'number', value, text: String(value), pos: e.pos } };
  }
  return { t: fn.returns === 'number' ? { k: 'num', sub: 'int' } : fn.returns === 'bool' ? { k: 'bool' } : fn.returns === 'ip' ? { k: 'ip' } : { k: 'str' }, e: call };
}

/** A bare word against the other side of a comparison: a protocol name, an enum value, a set member — or an unknown field. */
function resolveWord(word: Checked, other: Checked, env: RuleEnv): Checked {
  if (word.t.k !== 'word') return word;
  // The other side is already wrong (an unknown field): this word's meaning cannot be known.
  if (other.t.k === 'err') return { t: ERR, e: word.e };
  const ref = word.t.ref;
  const target = other.t.k === 'setlit' ? undefined : other;
  if (target?.field?.key === 'proto') {
    const n = protocolNumber(ref.name);
    if (n !== undefined) return { t: { k: 'lit' }, e: { kind: 'number', value: n, text: String(n), pos: ref.pos } };
  }
  if (target && (target.t.k === 'str' || target.t.k === 'set') && target.field) {
    const values = target.t.k === 'str' ? target.t.values : undefined;
    if (values && !values.includes(ref.name)) {
      // A known field is more likely than a bad value when the word is close to a field name.
      const near = closest(ref.name, values);
      env.diags.error(ref.pos, `${q(ref.name)} is not a value of ${q(target.field.key)}`, {
        length: ref.name.length,
        hint: near ? `did you mean ${q(near)}?` : `its values are ${values.join(', ')}`,
      });
      return { t: ERR, e: word.e };
    }
    return { t: { k: 'str' }, e: { kind: 'string', value: ref.name, pos: ref.pos } };
  }
  env.reportUnknown(ref);
  return { t: ERR, e: word.e };
}

/** Inside arithmetic and ranges a bare word has nothing to be a value of: it must be a field. */
function resolveOrReport(c: Checked, env: RuleEnv): Checked {
  if (c.t.k !== 'word') return c;
  env.reportUnknown(c.t.ref);
  return { t: ERR, e: c.e };
}

function fieldChecked(ref: FieldRef, info: FieldInfo): Checked {
  return { t: fieldVType(info.type, info.values), e: ref, field: info };
}

function fieldVType(t: FieldType, values?: readonly string[]): VType {
  switch (t) {
    case 'int':
    case 'time':
    case 'duration':
      return { k: 'num', sub: t };
    case 'ip':
      return { k: 'ip' };
    case 'bool':
      return { k: 'bool' };
    case 'set':
      return { k: 'set' };
    case 'enum':
    case 'string':
      return values ? { k: 'str', values } : { k: 'str' };
  }
}

// ------------------------------------------------------------------ helpers

function isNumeric(c: Checked): boolean {
  return c.t.k === 'num' || c.t.k === 'lit';
}

/** A count against a time, or a time against a duration: numbers, but not comparable. */
function mixedNumbers(a: Checked, b: Checked): boolean {
  return a.t.k === 'num' && b.t.k === 'num' && a.t.sub !== b.t.sub;
}

function isScalar(c: Checked): boolean {
  return ['num', 'lit', 'ip', 'str', 'bool'].includes(c.t.k);
}

function numSub(c: Checked): NumSub | undefined {
  if (c.t.k === 'num') return c.t.sub;
  return c.timeLit ? 'duration' : undefined;
}

function sameKind(a: Checked, b: Checked): boolean {
  const kind = (c: Checked) => (c.t.k === 'lit' ? 'num' : c.t.k === 'setlit' ? 'set' : c.t.k);
  return kind(a) === kind(b);
}

function fitsKind(c: Checked, want: ValueKind): boolean {
  switch (want) {
    case 'number':
      return isNumeric(c);
    case 'ip':
      return c.t.k === 'ip';
    case 'string':
      return c.t.k === 'str';
    case 'bool':
      return c.t.k === 'bool';
  }
}

function kindName(k: ValueKind): string {
  return { number: 'a number', ip: 'an IP address', string: 'text', bool: 'a boolean' }[k];
}

function typeName(t: VType): string {
  switch (t.k) {
    case 'num':
      return t.sub === 'int' ? 'a number' : t.sub === 'time' ? 'a time' : 'a duration';
    case 'lit':
      return 'a number';
    case 'ip':
      return 'an IP address';
    case 'cidr':
      return 'a prefix';
    case 'str':
      return 'text';
    case 'bool':
      return 'a boolean';
    case 'set':
    case 'setlit':
      return 'a set';
    case 'range':
      return 'a range';
    case 'word':
      return 'a word';
    case 'err':
      return 'wrong';
  }
}

/** How a message names a value: `srcip`, `5`, `"UDP"`. */
function subject(c: Checked): string {
  return q(printExpr(c.e));
}
