/**
 * The NFQL abstract syntax tree (../shared/docs/NFQL.md, docs/nfql.md).
 *
 * The parser builds it, the checker validates it against the field registry
 * and annotates nothing in place (it returns a CheckedQuery), the printer
 * writes it back as clean NFQL text, and the executor runs a checked query.
 * Learned signatures are built as ASTs and printed.
 *
 * Every node carries `pos` (where it starts in the source) for error
 * messages; `print(parse(x))` must parse to an AST equal to `parse(x)`
 * ignoring `pos` (see `stripPositions`).
 */

export interface Pos {
  /** 1-based */
  line: number;
  /** 1-based, in characters */
  col: number;
  /** 0-based character offset */
  offset: number;
}

// ---------------------------------------------------------------- expressions

export type TimeUnit = 'ms' | 's' | 'sec' | 'min' | 'h';
export type SizeUnit = 'k' | 'M' | 'G';

export type Expr =
  | FieldRef
  | NumberLit
  | IpLit
  | CidrLit
  | StringLit
  | SetLit
  | RangeLit
  | Call
  | Binary;

/**
 * A field of the current record (`srcip`, `pkt_sum`) or, in a merger, of a
 * branch (`A.srcip`: qualifier "A"). Bare words that are not fields
 * (`tcp`, `udp`, `icmp`, …) are also parsed as FieldRef; the checker
 * resolves them (protocol names become numbers).
 */
export interface FieldRef {
  kind: 'field';
  qualifier?: string;
  name: string;
  pos: Pos;
}

/**
 * A number as written. `value` is the number before units; `unit` as
 * written. The checker converts: time units to milliseconds (and rejects them
 * on non-time fields), size units ×1000.
 */
export interface NumberLit {
  kind: 'number';
  value: number;
  unit?: TimeUnit | SizeUnit;
  /** the source text, e.g. "0x1F", "1.5", kept for printing */
  text: string;
  pos: Pos;
}

export interface IpLit {
  kind: 'ip';
  text: string;
  pos: Pos;
}

/** `64:ff9b::/96`, `10.0.0.0/8` */
export interface CidrLit {
  kind: 'cidr';
  text: string;
  pos: Pos;
}

export interface StringLit {
  kind: 'string';
  value: string;
  pos: Pos;
}

/** `{a, b, c}` */
export interface SetLit {
  kind: 'set';
  items: Expr[];
  pos: Pos;
}

/** `[a, b]` (inclusive), only as the right side of `in`/`notin` */
export interface RangeLit {
  kind: 'range';
  lo: Expr;
  hi: Expr;
  pos: Pos;
}

/** `minus(a,b)`, `abs(x)`, `bitAND(a,b)`, `bitOR(a,b)`, `protocol("UDP")`, and boolean functions */
export interface Call {
  kind: 'call';
  fn: string;
  args: Expr[];
  pos: Pos;
}

export interface Binary {
  kind: 'binary';
  op: '+' | '-' | '*' | '/';
  left: Expr;
  right: Expr;
  pos: Pos;
}

// ---------------------------------------------------------------- rules

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=' | 'in' | 'notin' | 'contains';

/** `delta d` (tolerance against the group's first record / plain tolerance) or `rdelta d` */
export interface Delta {
  kind: 'delta' | 'rdelta';
  value: Expr;
  pos: Pos;
}

export const ALLEN_RELATIONS = [
  'before', 'after', 'meets', 'metby', 'overlaps', 'overlappedby',
  'starts', 'startedby', 'during', 'contains', 'finishes', 'finishedby', 'equals',
] as const;
export type AllenRelation = (typeof ALLEN_RELATIONS)[number];

/** symbol → relation name (`=` is `equals` only between two bare branch names in a merger) */
export const ALLEN_SYMBOLS: Readonly<Record<string, AllenRelation>> = {
  '<': 'before', '>': 'after', m: 'meets', mi: 'metby', o: 'overlaps', oi: 'overlappedby',
  s: 'starts', si: 'startedby', d: 'during', di: 'contains', f: 'finishes', fi: 'finishedby', '=': 'equals',
};

export type Term = Comparison | Not | BoolTerm | AllenTerm;

/** `left op right [delta d | rdelta d]` */
export interface Comparison {
  kind: 'cmp';
  op: CompareOp;
  left: Expr;
  right: Expr;
  delta?: Delta;
  pos: Pos;
}

export interface Not {
  kind: 'not';
  term: Term;
  pos: Pos;
}

/** A boolean field or function used alone: `sdp_ipv4_literal`, `nat64`, `isTCP()` */
export interface BoolTerm {
  kind: 'bool';
  expr: Expr;
  pos: Pos;
}

/** Merger only: `A o B`, `A overlaps B delta 5s`, `A < B` */
export interface AllenTerm {
  kind: 'allen';
  relation: AllenRelation;
  /** as written (symbol or name), for printing */
  written: string;
  left: string;
  right: string;
  delta?: Expr;
  pos: Pos;
}

/** Terms OR-ed together. Rules of a stage or module are AND-ed. */
export interface Rule {
  terms: Term[];
  pos: Pos;
}

// ---------------------------------------------------------------- stages

export interface FilterDef {
  kind: 'filter';
  name: string;
  rules: Rule[];
  pos: Pos;
}

export interface GrouperModule {
  name: string;
  rules: Rule[];
  pos: Pos;
}

/** `sum(packets) as pkt_sum`, `srcip` (bare field), `count(rec_id) as n`, `union(sip_methods) as methods` */
export interface Aggregate {
  /** undefined for a bare field */
  fn?: AggregateFn;
  field: string;
  alias?: string;
  pos: Pos;
}

export const AGGREGATE_FUNCTIONS = ['min', 'max', 'sum', 'avg', 'count', 'union', 'bitOR', 'bitAND', 'first', 'last', 'median', 'stddev'] as const;
export type AggregateFn = (typeof AGGREGATE_FUNCTIONS)[number];

export interface GrouperDef {
  kind: 'grouper';
  name: string;
  modules: GrouperModule[];
  aggregates: Aggregate[];
  pos: Pos;
}

export interface GroupFilterDef {
  kind: 'groupfilter';
  name: string;
  rules: Rule[];
  pos: Pos;
}

export interface MergerModule {
  name: string;
  branches: string[];
  rules: Rule[];
  pos: Pos;
}

export interface MergerDef {
  kind: 'merger';
  name: string;
  modules: MergerModule[];
  /** names of exported modules; the others are reject modules. `module`/`export` omitted in the source ⇒ one module named after the merger, exported, and `implicitModule` is true (printed back the same way) */
  exports: string[];
  implicitModule: boolean;
  pos: Pos;
}

export interface UngrouperDef {
  kind: 'ungrouper';
  name: string;
  pos: Pos;
}

export interface SplitterDef {
  kind: 'splitter';
  name: string;
  pos: Pos;
}

export type StageDef = FilterDef | GrouperDef | GroupFilterDef | MergerDef | UngrouperDef | SplitterDef;

// ---------------------------------------------------------------- wiring

/** One element of an arrow chain: `"input"`, a stage name, or `S branch A` */
export type WireItem =
  | { kind: 'io'; text: string; pos: Pos }
  | { kind: 'stage'; name: string; pos: Pos }
  | { kind: 'branch'; splitter: string; branch: string; written: 'branch' | 'br'; pos: Pos };

/** `a -> b -> c` */
export interface Chain {
  items: WireItem[];
  pos: Pos;
}

export interface Query {
  stages: StageDef[];
  /** empty when the wiring was omitted (a query with one filter and nothing else) */
  wiring: Chain[];
  /** file name for messages */
  source: string;
}
