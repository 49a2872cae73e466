/**
 * The flows screen's `/` filter: an NFQL filter expression (the rules inside
 * `filter f { … }`), checked as it is typed. Errors come back as one line,
 * never thrown.
 */
import type { FlowRecord } from '../src/flow/record.js';
import { compileFilter } from '../src/nfql/exec/index.js';
import { compileQuery, NfqlError } from '../src/nfql/index.js';

export type FlowFilter = { ok: true; test: (r: Readonly<Record<string, unknown>>) => boolean } | { ok: false; error: string };

export function compileFlowFilter(text: string): FlowFilter {
  if (text.trim() === '') return { ok: true, test: () => true };
  try {
    const q = compileQuery(`filter f {\n${text}\n}`, 'filter');
    const pred = compileFilter(q.branches[0].filter);
    return {
      ok: true,
      test: (r) => {
        try {
          return pred(r as FlowRecord);
        } catch {
          return false;
        }
      },
    };
  } catch (err) {
    if (err instanceof NfqlError) {
      const first = err.errors[0];
      // positions are in the wrapped text: line 2 is what was typed
      return { ok: false, error: first.line === 2 ? `col ${first.col}: ${first.message}${first.hint ? ` (${first.hint})` : ''}` : `${first.message}${first.hint ? ` (${first.hint})` : ''}` };
    }
    return { ok: false, error: (err as Error).message };
  }
}
