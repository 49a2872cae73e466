/**
 * Test helpers: every query a test parses goes through `parse`, which also
 * checks the printer's round trip (print, parse again, same AST without
 * positions) — so the property holds for every query in the suites.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type CheckedQuery, type CheckOptions, compileQuery, NfqlError, parseQuery, printQuery, type Query, stripPositions } from '../../src/nfql/index.js';

export const FIXTURES = new URL('./fixtures/', import.meta.url);

/** Parse, and assert that printing and parsing again gives the same AST. */
export function parse(text: string, source = 'test.nfql'): Query {
  const q = parseQuery(text, source);
  expectRoundTrip(q);
  return q;
}

export function expectRoundTrip(q: Query): void {
  const printed = printQuery(q);
  const again = parseQuery(printed, q.source);
  expect(stripPositions(again), `round trip of:\n${printed}`).toEqual(stripPositions(q));
  // Printing is stable: the printed text prints to itself.
  expect(printQuery(again)).toBe(printed);
}

/** The AST without positions (and without `source`). */
export function ast(text: string): Omit<Query, 'source'> {
  const { source: _source, ...rest } = stripPositions(parse(text));
  return rest;
}

/** Parse (with the round-trip check) and check. */
export function compile(text: string, opts: CheckOptions = {}, source = 'test.nfql'): CheckedQuery {
  parse(text, source);
  return compileQuery(text, source, opts);
}

/** The formatted errors compiling `text` produces; fails when it compiles. */
export function errors(text: string, opts: CheckOptions = {}, source = 'test.nfql'): string {
  try {
    compileQuery(text, source, opts);
  } catch (err) {
    if (err instanceof NfqlError) return err.formatAll(text);
    throw err;
  }
  throw new Error(`expected an error from:\n${text}`);
}

/** Fixture files: name → text. */
export function fixtures(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(FIXTURES).sort()) if (f.endsWith('.nfql')) out.set(f, readFileSync(new URL(f, FIXTURES), 'utf8'));
  return out;
}
