/**
 * AST → clean NFQL text. Learned signatures are printed ASTs, so the output
 * is meant for people: stages in definition order separated by blank lines,
 * one rule per line, two-space indentation, the wiring last.
 * `parse(print(q))` equals `q` ignoring positions (see positions.ts).
 */
import type { Aggregate, Chain, Expr, FilterDef, GroupFilterDef, GrouperDef, MergerDef, Query, Rule, StageDef, Term, WireItem } from './ast.js';

const INDENT = '  ';
/** Aggregate lists longer than this are wrapped after a comma, continued under the first item. */
const WRAP_AT = 80;

export function printQuery(q: Query): string {
  const blocks = q.stages.map(printStage);
  if (q.wiring.length > 0) blocks.push(q.wiring.map(printChain).join('\n'));
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

export function printStage(s: StageDef): string {
  switch (s.kind) {
    case 'filter':
    case 'groupfilter':
      return block(`${s.kind} ${s.name}`, printRules(s));
    case 'grouper':
      return block(`grouper ${s.name}`, printGrouperBody(s));
    case 'merger':
      return block(`merger ${s.name}`, printMergerBody(s));
    case 'ungrouper':
    case 'splitter':
      return `${s.kind} ${s.name} {}`;
  }
}

function printRules(s: FilterDef | GroupFilterDef): string[] {
  return s.rules.map(printRule);
}

function printGrouperBody(g: GrouperDef): string[] {
  const lines: string[] = [];
  for (const m of g.modules) lines.push(...block(`module ${m.name}`, m.rules.map(printRule)).split('\n'));
  if (g.aggregates.length > 0) lines.push(...printAggregates(g.aggregates));
  return lines;
}

function printAggregates(aggs: readonly Aggregate[]): string[] {
  const items = aggs.map(printAggregate);
  const lines: string[] = [];
  let line = 'aggregate ';
  items.forEach((item, i) => {
    const piece = item + (i < items.length - 1 ? ',' : '');
    if (line.trim() !== 'aggregate' && line.length + piece.length + 1 > WRAP_AT) {
      lines.push(line.trimEnd());
      line = ' '.repeat('aggregate '.length);
    }
    line += `${piece} `;
  });
  lines.push(line.trimEnd());
  return lines;
}

export function printAggregate(a: Aggregate): string {
  const core = a.fn === undefined ? a.field : `${a.fn}(${a.field})`;
  return a.alias === undefined ? core : `${core} as ${a.alias}`;
}

function printMergerBody(m: MergerDef): string[] {
  if (m.implicitModule && m.modules.length === 1) {
    const mod = m.modules[0];
    return [`branches ${mod.branches.join(', ')}`, ...mod.rules.map(printRule)];
  }
  const lines: string[] = [];
  for (const mod of m.modules) {
    lines.push(...block(`module ${mod.name}`, [`branches ${mod.branches.join(', ')}`, ...mod.rules.map(printRule)]).split('\n'));
  }
  if (m.exports.length > 0) lines.push(`export ${m.exports.join(', ')}`);
  return lines;
}

function block(head: string, lines: readonly string[]): string {
  if (lines.length === 0) return `${head} {}`;
  return [`${head} {`, ...lines.map((l) => INDENT + l), '}'].join('\n');
}

export function printRule(r: Rule): string {
  return r.terms.map(printTerm).join(' OR ');
}

export function printTerm(t: Term): string {
  switch (t.kind) {
    case 'not':
      return `NOT ${printTerm(t.term)}`;
    case 'bool':
      return printExpr(t.expr);
    case 'allen':
      return `${t.left} ${t.written} ${t.right}${t.delta ? ` delta ${printExpr(t.delta)}` : ''}`;
    case 'cmp': {
      const delta = t.delta ? ` ${t.delta.kind} ${printExpr(t.delta.value)}` : '';
      return `${printExpr(t.left)} ${t.op} ${printExpr(t.right)}${delta}`;
    }
  }
}

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 } as const;

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'field':
      return e.qualifier === undefined ? e.name : `${e.qualifier}.${e.name}`;
    case 'number':
      return e.text + (e.unit ?? '');
    case 'ip':
    case 'cidr':
      return e.text;
    case 'string':
      return printString(e.value);
    case 'set':
      return `{${e.items.map((i) => printExpr(i)).join(', ')}}`;
    case 'range':
      return `[${printExpr(e.lo)}, ${printExpr(e.hi)}]`;
    case 'call':
      return `${e.fn}(${e.args.map((a) => printExpr(a)).join(', ')})`;
    case 'binary': {
      const p = PRECEDENCE[e.op];
      // Parenthesize what the parser would otherwise group differently:
      // a lower-precedence left side, a right side of equal or lower precedence.
      const side = (x: Expr, right: boolean) => {
        const text = printExpr(x);
        if (x.kind !== 'binary') return text;
        const xp = PRECEDENCE[x.op];
        return xp < p || (right && xp === p) ? `(${text})` : text;
      };
      return `${side(e.left, false)} ${e.op} ${side(e.right, true)}`;
    }
  }
}

export function printString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

export function printChain(c: Chain): string {
  return c.items.map(printWireItem).join(' -> ');
}

export function printWireItem(w: WireItem): string {
  switch (w.kind) {
    case 'io':
      return printString(w.text);
    case 'stage':
      return w.name;
    case 'branch':
      return `${w.splitter} ${w.written} ${w.branch}`;
  }
}
