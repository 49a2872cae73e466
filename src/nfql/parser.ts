/**
 * Recursive-descent parser: tokens → the AST of ast.ts (docs/nfql.md §4).
 * It knows the grammar only; names, fields, types and the wiring are the
 * checker's job. On a syntax error it records the error, skips to the next
 * stage definition or wiring line, and goes on, so one run reports several
 * mistakes.
 *
 *   query      := (stage | chain)*
 *   stage      := splitter NAME {} | ungrouper NAME {}
 *               | filter NAME { rule* } | groupfilter NAME { rule* }
 *               | grouper NAME { (module NAME { rule* } | rule)* [aggregate item, …] }
 *               | merger NAME { (module NAME { branches NAME, … rule* } | export NAME, …)* }
 *               | merger NAME { branches NAME, … rule* }
 *   rule       := term (OR term)*            rules are AND-ed; `AND` may separate them
 *   term       := NOT term | NAME allen NAME [delta expr] | expr [op expr [(delta|rdelta) expr]]
 *   expr       := sum;  sum := product ((+|-) product)*;  product := unary ((*|/) unary)*
 *   unary      := - unary | primary
 *   primary    := number | ip | cidr | string | { expr, … } | [ expr, expr ] | ( expr )
 *               | NAME(expr, …) | NAME | NAME.NAME
 *   chain      := item (-> item)+;  item := "string" | NAME | NAME (branch|br) NAME
 */
import {
  AGGREGATE_FUNCTIONS,
  ALLEN_RELATIONS,
  ALLEN_SYMBOLS,
  type Aggregate,
  type AggregateFn,
  type AllenRelation,
  type AllenTerm,
  type Chain,
  type CompareOp,
  type Delta,
  type Expr,
  type FieldRef,
  type GrouperModule,
  type MergerModule,
  type Pos,
  type Query,
  type Rule,
  type StageDef,
  type Term,
  type WireItem,
} from './ast.js';
import { Diagnostics, NfqlError, q } from './errors.js';
import { isKeyword, type Token, tokenize } from './lexer.js';
import { closest } from './suggest.js';

export type RuleContext = 'filter' | 'groupfilter' | 'grouper' | 'merger';

const STAGE_KEYWORDS = ['filter', 'grouper', 'groupfilter', 'merger', 'ungrouper', 'splitter'] as const;
type StageKeyword = (typeof STAGE_KEYWORDS)[number];

/** Allen relations by name (case-insensitive) and symbol; `eq` is Flowy's spelling of `=`. */
const ALLEN_WORDS: ReadonlyMap<string, AllenRelation> = new Map<string, AllenRelation>([
  ...ALLEN_RELATIONS.map((r) => [r, r] as [string, AllenRelation]),
  ...Object.entries(ALLEN_SYMBOLS).filter(([s]) => /^[a-z]+$/.test(s)),
  ['eq', 'equals'],
]);

const COMPARE_PUNCT = new Set(['=', '!=', '<', '>', '<=', '>=']);
const COMPARE_WORDS = new Set(['in', 'notin', 'contains']);

/** Parse NFQL text. Throws NfqlError (with every syntax error found in `errors`). */
export function parse(text: string, source: string): Query {
  const tokens = tokenize(text, source);
  return new Parser(tokens, source).parseQuery();
}

class Parser {
  private i = 0;
  /** depth of ( { [ inside the current expression */
  private nesting = 0;
  private readonly diags: Diagnostics;

  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {
    this.diags = new Diagnostics(source);
  }

  parseQuery(): Query {
    const query: Query = { stages: [], wiring: [], source: this.source };
    while (!this.at('eof') && !this.diags.full) {
      const start = this.i;
      try {
        const t = this.peek();
        const kw = this.stageKeyword(t);
        if (kw) query.stages.push(this.parseStage(kw));
        else if (t.kind === 'string' || (t.kind === 'name' && !isKeyword(t.text))) query.wiring.push(this.parseChain());
        else
          this.fail(t, `expected a stage definition or a wiring line, found ${describe(t)}`, {
            hint: 'a query is made of stages (filter, grouper, groupfilter, merger, ungrouper, splitter) and wiring lines such as `S branch A -> f -> g -> M`',
          });
      } catch (err) {
        if (!(err instanceof NfqlError)) throw err;
        this.diags.list.push(err);
        this.recover(start);
      }
    }
    this.diags.throwIfAny();
    return query;
  }

  // ------------------------------------------------------------ stages

  private parseStage(kw: StageKeyword): StageDef {
    const kwTok = this.next();
    const pos = kwTok.pos;
    const name = this.expectName(`a name for the ${kwTok.text.toLowerCase()}`);
    this.expectPunct('{', `after ${kw} ${q(name)}`);
    switch (kw) {
      case 'filter':
      case 'groupfilter': {
        const rules = this.parseRules(kw);
        this.expectPunct('}', `to close ${kw} ${q(name)}`);
        return kw === 'filter' ? { kind: 'filter', name, rules, pos } : { kind: 'groupfilter', name, rules, pos };
      }
      case 'grouper':
        return this.parseGrouper(name, pos);
      case 'merger':
        return this.parseMerger(name, pos);
      case 'ungrouper':
      case 'splitter': {
        const t = this.peek();
        if (!this.isPunct(t, '}')) this.fail(t, `the body of ${kw} ${q(name)} must be empty, found ${describe(t)}`, { hint: `write \`${kw} ${name} {}\`` });
        this.next();
        return { kind: kw, name, pos };
      }
    }
  }

  private parseGrouper(name: string, pos: Pos): StageDef {
    const modules: GrouperModule[] = [];
    const aggregates: Aggregate[] = [];
    // The papers' form: rules directly in the grouper body, one implicit module named after the grouper.
    const bareRules: Rule[] = [];
    let barePos: Pos | undefined;
    while (!this.isPunct(this.peek(), '}')) {
      const t = this.peek();
      if (this.isKw(t, 'module')) {
        const modName = this.parseModuleHead();
        const rules = this.parseRules('grouper');
        this.expectPunct('}', `to close module ${q(modName)}`);
        modules.push({ name: modName, rules, pos: t.pos });
      } else if (this.isKw(t, 'aggregate')) {
        this.next();
        aggregates.push(...this.parseAggregates());
      } else if (this.isPunct(t, ';')) {
        this.next();
      } else if (t.kind === 'eof') {
        this.fail(t, `expected \`}\` to close grouper ${q(name)}, found end of input`);
      } else if (this.startsTerm(t)) {
        barePos ??= t.pos;
        bareRules.push(...this.parseRules('grouper', true));
      } else {
        this.fail(t, `expected \`module\`, \`aggregate\` or \`}\` in grouper ${q(name)}, found ${describe(t)}`);
      }
    }
    this.next();
    if (bareRules.length > 0 && barePos !== undefined) {
      if (modules.length > 0)
        throw new NfqlError(this.source, barePos, `grouper ${q(name)} mixes modules with rules outside any module`, {
          length: 1,
          hint: 'put these rules into a module of their own: `module m { … }` (modules are OR-ed)',
        });
      modules.push({ name, rules: bareRules, pos: barePos });
    }
    return { kind: 'grouper', name, modules, aggregates, pos };
  }

  private parseAggregates(): Aggregate[] {
    const out: Aggregate[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'name' || isKeyword(t.text)) this.fail(t, `expected an aggregate such as \`sum(bytes) as bytes\` or a field, found ${describe(t)}`);
      this.next();
      let agg: Aggregate;
      const open = this.peek();
      if (this.isPunct(open, '(')) {
        const fn = AGGREGATE_FUNCTIONS.find((f) => f.toLowerCase() === t.text.toLowerCase());
        if (fn === undefined) {
          const near = closest(t.text, AGGREGATE_FUNCTIONS);
          this.fail(t, `unknown aggregate function ${q(t.text)}`, {
            hint: near ? `did you mean ${q(near)}?` : `the aggregates are ${AGGREGATE_FUNCTIONS.join(', ')}`,
          });
        }
        this.next();
        const field = this.expectName('a field name');
        if (this.isPunct(this.peek(), '.')) this.fail(this.peek(), 'aggregates take a field of the record, not a qualified name');
        this.expectPunct(')', `after ${fn}(${field}`);
        agg = { fn: fn as AggregateFn, field, pos: t.pos };
      } else {
        agg = { field: t.text, pos: t.pos };
      }
      if (this.isKw(this.peek(), 'as')) {
        this.next();
        agg.alias = this.expectName('a name after `as`');
      }
      out.push(agg);
      if (!this.isPunct(this.peek(), ',')) return out;
      this.next();
    }
  }

  private parseMerger(name: string, pos: Pos): StageDef {
    const first = this.peek();
    if (this.isKw(first, 'branches')) {
      // The papers' form: one module, named after the merger, exported.
      const branches = this.parseBranchList();
      const rules = this.parseRules('merger');
      this.expectPunct('}', `to close merger ${q(name)}`);
      return { kind: 'merger', name, modules: [{ name, branches, rules, pos: first.pos }], exports: [name], implicitModule: true, pos };
    }
    const modules: MergerModule[] = [];
    const exports: string[] = [];
    while (!this.isPunct(this.peek(), '}')) {
      const t = this.peek();
      if (this.isKw(t, 'module')) {
        const modName = this.parseModuleHead();
        const b = this.peek();
        if (!this.isKw(b, 'branches'))
          this.fail(b, `expected \`branches\` at the start of merger module ${q(modName)}, found ${describe(b)}`, { hint: 'a merger module starts with the branches it joins: `branches A, B`' });
        const branches = this.parseBranchList();
        const rules = this.parseRules('merger');
        this.expectPunct('}', `to close module ${q(modName)}`);
        modules.push({ name: modName, branches, rules, pos: t.pos });
      } else if (this.isKw(t, 'export')) {
        this.next();
        exports.push(this.expectName('the name of a module to export'));
        while (this.isPunct(this.peek(), ',')) {
          this.next();
          exports.push(this.expectName('the name of a module to export'));
        }
      } else if (this.isPunct(t, ';')) {
        this.next();
      } else {
        this.fail(t, `expected \`module\`, \`export\`, \`branches\` or \`}\` in merger ${q(name)}, found ${describe(t)}`, {
          hint: 'write `merger M { branches A, B  rule … }` or `merger M { module m1 { branches A, B  rule … } export m1 }`',
        });
      }
    }
    this.next();
    return { kind: 'merger', name, modules, exports, implicitModule: false, pos };
  }

  /** `module NAME {`; returns the name. */
  private parseModuleHead(): string {
    this.next(); // `module`
    const name = this.expectName('a name for the module');
    this.expectPunct('{', `after module ${q(name)}`);
    return name;
  }

  private parseBranchList(): string[] {
    this.next(); // `branches`
    const names = [this.expectName('a branch name')];
    while (this.isPunct(this.peek(), ',')) {
      this.next();
      names.push(this.expectName('a branch name'));
    }
    return names;
  }

  // ------------------------------------------------------------ rules

  /** Rules up to (not including) `}`. `stopAtStageWord`: stop at `module`/`aggregate` (bare grouper rules). */
  private parseRules(ctx: RuleContext, stopAtStageWord = false): Rule[] {
    const rules: Rule[] = [];
    let andTok: Token | undefined;
    for (;;) {
      const t = this.peek();
      // A stage keyword here means a `}` is missing: stop and let the caller say so.
      if (this.isPunct(t, '}') || t.kind === 'eof' || this.stageKeyword(t)) break;
      if (stopAtStageWord && (this.isKw(t, 'module') || this.isKw(t, 'aggregate'))) break;
      if (this.isPunct(t, ';')) {
        this.next();
        continue;
      }
      if (this.isKw(t, 'and')) {
        if (rules.length === 0 || andTok) this.fail(t, andTok ? 'expected a rule after `AND`' : 'expected a rule before `AND`');
        andTok = this.next();
        continue;
      }
      const rule = this.parseRule(ctx);
      if (andTok) {
        const before = rules[rules.length - 1];
        if (before.terms.length > 1 || rule.terms.length > 1)
          this.fail(andTok, '`AND` next to `OR` is ambiguous', {
            hint: 'rules are AND-ed and OR joins terms within one rule: write each AND-ed rule on its own line, e.g. `a = 1 OR b = 2` and then `c = 3`',
          });
        andTok = undefined;
      }
      rules.push(rule);
    }
    if (andTok) this.fail(this.peek(), `expected a rule after \`AND\`, found ${describe(this.peek())}`);
    return rules;
  }

  private parseRule(ctx: RuleContext): Rule {
    const first = this.parseTerm(ctx);
    const terms: Term[] = [first];
    while (this.isKw(this.peek(), 'or')) {
      this.next();
      terms.push(this.parseTerm(ctx));
    }
    return { terms, pos: first.pos };
  }

  private parseTerm(ctx: RuleContext): Term {
    const t = this.peek();
    if (this.isKw(t, 'not')) {
      this.next();
      return { kind: 'not', term: this.parseTerm(ctx), pos: t.pos };
    }
    if (ctx === 'merger') {
      const allen = this.tryAllen();
      if (allen) return allen;
    }
    if (!this.startsTerm(t)) this.fail(t, `expected a rule, found ${describe(t)}`);
    const left = this.parseExpr();
    const opTok = this.peek();
    const op = this.compareOp(opTok);
    if (op === undefined) {
      if (this.isKw(opTok, 'delta') || this.isKw(opTok, 'rdelta')) this.fail(opTok, `\`${opTok.text}\` follows a comparison such as \`etime < stime rdelta 1s\``);
      return { kind: 'bool', expr: left, pos: left.pos };
    }
    this.next();
    const right = this.parseExpr();
    const cmp: Term = { kind: 'cmp', op, left, right, pos: left.pos };
    const d = this.peek();
    if (this.isKw(d, 'delta') || this.isKw(d, 'rdelta')) {
      this.next();
      const delta: Delta = { kind: d.text.toLowerCase() as 'delta' | 'rdelta', value: this.parseExpr(), pos: d.pos };
      cmp.delta = delta;
    }
    return cmp;
  }

  /** `A o B`, `A overlaps B delta 5s`, `A < B`: two bare names around an Allen relation. */
  private tryAllen(): AllenTerm | undefined {
    const [a, op, b, after] = [this.peek(0), this.peek(1), this.peek(2), this.peek(3)];
    const bare = (t: Token, next: Token) =>
      t.kind === 'name' && !isKeyword(t.text) && !(this.isPunct(next, '.') || (this.isPunct(next, '(') && !next.newlineBefore));
    if (!bare(a, op) || !bare(b, after)) return undefined;
    if (!after.newlineBefore && after.kind === 'punct' && '+-*/'.includes(after.text)) return undefined;
    let relation: AllenRelation | undefined;
    if (op.kind === 'punct') relation = ['<', '>', '='].includes(op.text) ? ALLEN_SYMBOLS[op.text] : undefined;
    else if (op.kind === 'name') relation = ALLEN_WORDS.get(op.text.toLowerCase());
    if (relation === undefined) return undefined;
    this.i += 3;
    const term: AllenTerm = { kind: 'allen', relation, written: op.text, left: a.text, right: b.text, pos: a.pos };
    const d = this.peek();
    if (this.isKw(d, 'delta')) {
      this.next();
      term.delta = this.parseExpr();
    } else if (this.isKw(d, 'rdelta')) {
      this.fail(d, '`rdelta` does not apply to Allen relations', { hint: `use \`delta\`: \`${a.text} ${op.text} ${b.text} delta 5s\`` });
    }
    return term;
  }

  private compareOp(t: Token): CompareOp | undefined {
    if (t.kind === 'punct' && COMPARE_PUNCT.has(t.text)) return t.text as CompareOp;
    if (t.kind === 'name' && COMPARE_WORDS.has(t.text.toLowerCase())) return t.text.toLowerCase() as CompareOp;
    return undefined;
  }

  private startsTerm(t: Token): boolean {
    if (t.kind === 'number' || t.kind === 'ip' || t.kind === 'cidr' || t.kind === 'string') return true;
    if (t.kind === 'name') return !isKeyword(t.text) || this.isKw(t, 'not');
    return t.kind === 'punct' && ['(', '{', '[', '-'].includes(t.text);
  }

  // ------------------------------------------------------------ expressions

  private parseExpr(): Expr {
    let left = this.parseProduct();
    for (;;) {
      const t = this.peek();
      if (!(this.isPunct(t, '+') || this.isPunct(t, '-'))) return left;
      // Outside brackets, a `-` that starts a line starts the next rule (`-5 < x`), not a subtraction.
      if (t.text === '-' && t.newlineBefore && this.nesting === 0) return left;
      this.next();
      const right = this.parseProduct();
      left = { kind: 'binary', op: t.text as '+' | '-', left, right, pos: left.pos };
    }
  }

  private parseProduct(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (!(this.isPunct(t, '*') || this.isPunct(t, '/'))) return left;
      this.next();
      const right = this.parseUnary();
      left = { kind: 'binary', op: t.text as '*' | '/', left, right, pos: left.pos };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (!this.isPunct(t, '-')) return this.parsePrimary();
    this.next();
    const operand = this.parseUnary();
    // A negative literal stays a literal; `-x` is `0 - x`.
    if (operand.kind === 'number' && !operand.text.startsWith('-')) return { ...operand, value: -operand.value, text: `-${operand.text}`, pos: t.pos };
    return { kind: 'binary', op: '-', left: { kind: 'number', value: 0, text: '0', pos: t.pos }, right: operand, pos: t.pos };
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number': {
        this.next();
        return { kind: 'number', value: t.value as number, text: t.text, ...(t.unit !== undefined ? { unit: t.unit } : {}), pos: t.pos };
      }
      case 'ip':
        this.next();
        return { kind: 'ip', text: t.text, pos: t.pos };
      case 'cidr':
        this.next();
        return { kind: 'cidr', text: t.text, pos: t.pos };
      case 'string':
        this.next();
        return { kind: 'string', value: t.value as string, pos: t.pos };
      case 'name': {
        if (isKeyword(t.text)) this.fail(t, `expected a value, found keyword ${q(t.text)}`);
        this.next();
        const n = this.peek();
        if (this.isPunct(n, '(') && !n.newlineBefore) {
          this.next();
          const args = this.nested(() => this.parseList(')', 'an argument'));
          return { kind: 'call', fn: t.text, args, pos: t.pos };
        }
        if (this.isPunct(n, '.')) {
          this.next();
          const name = this.expectName(`a field name after ${q(`${t.text}.`)}`);
          const ref: FieldRef = { kind: 'field', qualifier: t.text, name, pos: t.pos };
          return ref;
        }
        return { kind: 'field', name: t.text, pos: t.pos };
      }
      case 'punct':
        if (t.text === '(') {
          this.next();
          return this.nested(() => {
            const e = this.parseExpr();
            this.expectPunct(')', 'to close `(`');
            return e;
          });
        }
        if (t.text === '{') {
          this.next();
          return { kind: 'set', items: this.nested(() => this.parseList('}', 'a set item')), pos: t.pos };
        }
        if (t.text === '[') {
          this.next();
          return this.nested(() => {
            const lo = this.parseExpr();
            this.expectPunct(',', 'between the bounds of a range `[lo, hi]`');
            const hi = this.parseExpr();
            this.expectPunct(']', 'to close a range `[lo, hi]`');
            return { kind: 'range', lo, hi, pos: t.pos };
          });
        }
        break;
      default:
        break;
    }
    return this.fail(t, `expected a value, found ${describe(t)}`);
  }

  private nested<T>(parse: () => T): T {
    this.nesting++;
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  /** Comma-separated expressions up to `close` (already past the opener). */
  private parseList(close: string, what: string): Expr[] {
    const items: Expr[] = [];
    if (this.isPunct(this.peek(), close)) {
      this.next();
      return items;
    }
    for (;;) {
      items.push(this.parseExpr());
      const t = this.peek();
      if (this.isPunct(t, ',')) {
        this.next();
        continue;
      }
      if (this.isPunct(t, close)) {
        this.next();
        return items;
      }
      this.fail(t, `expected \`,\` or \`${close}\` after ${what}, found ${describe(t)}`);
    }
  }

  // ------------------------------------------------------------ wiring

  private parseChain(): Chain {
    const first = this.parseWireItem();
    const items: WireItem[] = [first];
    const arrow = this.peek();
    if (!this.isPunct(arrow, '->'))
      this.fail(arrow, `expected \`->\` after ${describeItem(first)}, found ${describe(arrow)}`, {
        hint: 'wiring lines connect stages: `"input" -> S`, `S branch A -> f -> g -> M`, `M -> U -> "output"`',
      });
    while (this.isPunct(this.peek(), '->')) {
      this.next();
      items.push(this.parseWireItem());
    }
    return { items, pos: first.pos };
  }

  private parseWireItem(): WireItem {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return { kind: 'io', text: t.value as string, pos: t.pos };
    }
    const name = this.expectName('a stage name or a quoted placeholder such as "input"');
    const b = this.peek();
    if (this.isKw(b, 'branch') || this.isKw(b, 'br')) {
      this.next();
      const branch = this.expectName(`a branch name after ${q(`${name} ${b.text}`)}`);
      return { kind: 'branch', splitter: name, branch, written: b.text.toLowerCase() === 'br' ? 'br' : 'branch', pos: t.pos };
    }
    return { kind: 'stage', name, pos: t.pos };
  }

  // ------------------------------------------------------------ tokens

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private at(kind: Token['kind']): boolean {
    return this.peek().kind === kind;
  }

  private isPunct(t: Token, text: string): boolean {
    return t.kind === 'punct' && t.text === text;
  }

  private isKw(t: Token, word: string): boolean {
    return t.kind === 'name' && t.text.toLowerCase() === word;
  }

  private stageKeyword(t: Token): StageKeyword | undefined {
    if (t.kind !== 'name') return undefined;
    const w = t.text.toLowerCase();
    return (STAGE_KEYWORDS as readonly string[]).includes(w) ? (w as StageKeyword) : undefined;
  }

  private expectName(what: string): string {
    const t = this.peek();
    if (t.kind === 'name' && !isKeyword(t.text)) {
      this.next();
      return t.text;
    }
    if (t.kind === 'name') this.fail(t, `expected ${what}, found keyword ${q(t.text)}`, { hint: 'keywords cannot be used as names' });
    return this.fail(t, `expected ${what}, found ${describe(t)}`);
  }

  private expectPunct(text: string, where: string): Token {
    const t = this.peek();
    if (this.isPunct(t, text)) return this.next();
    return this.fail(t, `expected \`${text}\` ${where}, found ${describe(t)}`);
  }

  private fail(t: Token, message: string, opts: { hint?: string } = {}): never {
    throw new NfqlError(this.source, t.pos, message, { length: t.kind === 'eof' ? 1 : t.length, ...opts });
  }

  /**
   * After a syntax error: skip to the next stage keyword or wiring line that
   * starts a line outside the braces of the broken stage.
   */
  private recover(start: number): void {
    let depth = 0;
    for (let j = start; j < this.i; j++) depth += braceDelta(this.tokens[j]);
    if (this.i === start) {
      depth += braceDelta(this.peek());
      this.next();
    }
    while (!this.at('eof')) {
      const t = this.peek();
      // Stage keywords never appear inside a stage, so one starting a line always starts a stage.
      if (t.newlineBefore && this.stageKeyword(t)) return;
      if (depth <= 0 && t.newlineBefore) {
        const n = this.peek(1);
        if ((t.kind === 'string' || (t.kind === 'name' && !isKeyword(t.text))) && (this.isPunct(n, '->') || this.isKw(n, 'branch') || this.isKw(n, 'br'))) return;
      }
      depth += braceDelta(t);
      this.next();
    }
  }
}

function braceDelta(t: Token): number {
  if (t.kind !== 'punct') return 0;
  return t.text === '{' ? 1 : t.text === '}' ? -1 : 0;
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'name':
      return isKeyword(t.text) ? `keyword ${q(t.text)}` : `name ${q(t.text)}`;
    case 'number':
      return `number ${q(t.text + (t.unit ?? ''))}`;
    case 'ip':
      return `address ${q(t.text)}`;
    case 'cidr':
      return `prefix ${q(t.text)}`;
    case 'string':
      return `string ${t.text}`;
    case 'punct':
      return q(t.text);
  }
}

function describeItem(item: WireItem): string {
  if (item.kind === 'io') return `"${item.text}"`;
  if (item.kind === 'branch') return q(`${item.splitter} ${item.written} ${item.branch}`);
  return q(item.name);
}
