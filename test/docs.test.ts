import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allFields } from '../src/flow/fields.js';

describe('docs stay true to the field registry', () => {
  const doc = readFileSync(new URL('../docs/flows.md', import.meta.url), 'utf8');
  it('docs/flows.md lists every field of the registry', () => {
    const missing = allFields().filter((f) => !doc.includes(`| \`${f.name}\` |`)).map((f) => f.name);
    expect(missing).toEqual([]);
  });
});
