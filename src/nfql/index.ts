/**
 * NFQL, the public API: text → AST → checked query, and AST → text.
 *
 *   const checked = compileQuery(text, 'skype.nfql');   // throws NfqlError
 *   process.stdout.write(printQuery(checked.normalized));
 *
 * The language is described in docs/nfql.md.
 */
import type { Query } from './ast.js';
import type { CheckedQuery } from './checked.js';
import { check, type CheckOptions } from './checker.js';
import { parse } from './parser.js';

export type * from './ast.js';
export { AGGREGATE_FUNCTIONS, ALLEN_RELATIONS, ALLEN_SYMBOLS } from './ast.js';
export type { CheckedBranch, CheckedQuery } from './checked.js';
export { literalValue, isTimeUnit } from './checked.js';
export type { CheckOptions } from './checker.js';
export { MAX_ERRORS, NfqlError } from './errors.js';
export { FUNCTIONS, lookupFunction, PROTOCOL_NUMBERS, protocolNumber, type FunctionDef } from './functions.js';
export { stripPositions } from './positions.js';
export { printExpr, printQuery, printRule, printTerm } from './printer.js';
export { GROUP_BUILTINS, type ExtraField } from './scope.js';

/** Parse NFQL text into an AST. `source` names the text in error messages (usually its file name). Throws NfqlError. */
export function parseQuery(text: string, source: string): Query {
  return parse(text, source);
}

/** Check a parsed query against the field registry (plus `opts.extraFields`). Throws NfqlError listing every error found. */
export function checkQuery(q: Query, opts: CheckOptions = {}): CheckedQuery {
  return check(q, opts);
}

/** Parse and check. Throws NfqlError. */
export function compileQuery(text: string, source: string, opts: CheckOptions = {}): CheckedQuery {
  return check(parse(text, source), opts);
}
