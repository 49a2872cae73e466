/**
 * docs/nfql.md stays true: every ```nfql block checks, every ```nfql-error
 * block fails with exactly the error shown in the ```text block after it,
 * and every aggregate, Allen relation and function is documented.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALLEN_RELATIONS, AGGREGATE_FUNCTIONS } from '../../src/nfql/ast.js';
import { FUNCTIONS } from '../../src/nfql/index.js';
import { compile, errors } from './helpers.js';

const doc = readFileSync(new URL('../../docs/nfql.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```([\w-]*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));

describe('docs/nfql.md', () => {
  const examples = blocks.filter((b) => b.lang === 'nfql');
  it.each(examples.map((b, i) => [i + 1, b.text]))('example %i checks', (_i, text) => {
    expect(() => compile(text, {}, 'example.nfql')).not.toThrow();
  });

  const failing = blocks.flatMap((b, i) => (b.lang === 'nfql-error' ? [[i, b.text, blocks[i + 1]] as const] : []));
  it.each(failing.map(([i, text, next]) => [i, text, next]))('error example (block %i) fails as shown', (_i, text, next) => {
    expect(next?.lang).toBe('text');
    expect(errors(text, {}, 'example.nfql')).toBe(next!.text.trimEnd());
  });

  it('has examples of both kinds', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(failing.length).toBeGreaterThanOrEqual(6);
  });

  it('documents every aggregate, Allen relation and function', () => {
    const missing = [
      ...AGGREGATE_FUNCTIONS.filter((f) => !doc.includes(`\`${f}`)),
      // relations are listed as `symbol`/`name`
      ...ALLEN_RELATIONS.filter((r) => !doc.includes(`\`/\`${r}\``)),
      ...[...FUNCTIONS.keys()].filter((f) => !doc.includes(`\`${f}(`)),
    ];
    expect(missing).toEqual([]);
  });
});
