import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allFields } from '../../src/flow/fields.js';
import { fieldSpecs } from '../../src/ipfix/elements.js';
import '../../src/tag/index.js';

describe('docs/ipfix.md stays true to the field registry', () => {
  const doc = readFileSync(new URL('../../docs/ipfix.md', import.meta.url), 'utf8');
  it('lists every information element with its id, name and field', () => {
    const missing = allFields().flatMap((f) => fieldSpecs(f, 32473).map((s) => ({ f, s })))
      .filter(({ f, s }) => !new RegExp(`\\| ${s.id} \\| \`${s.element.name}\` \\| [^|]+ \\| \`${f.name}\` \\|`).test(doc))
      .map(({ s }) => s.element.name);
    expect(missing).toEqual([]);
  });
});
