/**
 * NFQL errors: every parse and check error names the file, line and column,
 * shows the line with a caret under the offending text, and may add a hint.
 *
 *   skype.nfql:14:3: error: unknown field `pckt-sum` in group filter `gf-login`
 *      14 |   pckt-sum > 10
 *         |   ^^^^^^^^
 *   hint: did you mean `pkt-sum` (defined by grouper `g-login`)?
 *
 * The parser and the checker collect several errors (up to MAX_ERRORS) and
 * throw one NfqlError whose `errors` lists them all, itself first.
 */
import type { Pos } from './ast.js';

/** Stop collecting after this many errors: later ones are mostly echoes of earlier ones. */
export const MAX_ERRORS = 10;

export class NfqlError extends Error {
  readonly source: string;
  readonly line: number;
  readonly col: number;
  readonly offset: number;
  /** how many characters the caret underlines (at least 1) */
  readonly length: number;
  readonly hint?: string;
  /** every error found in the same run, this one first */
  errors: readonly NfqlError[];

  constructor(source: string, pos: Pos, message: string, opts: { length?: number; hint?: string } = {}) {
    super(message);
    this.name = 'NfqlError';
    this.source = source;
    this.line = pos.line;
    this.col = pos.col;
    this.offset = pos.offset;
    this.length = Math.max(1, opts.length ?? 1);
    if (opts.hint !== undefined) this.hint = opts.hint;
    this.errors = [this];
  }

  /** This error alone, with its source line and caret. */
  format(text: string): string {
    const head = `${this.source}:${this.line}:${this.col}: error: ${this.message}`;
    const lines = text.split(/\r\n|\n|\r/);
    const out = [head];
    const src = lines[this.line - 1];
    if (src !== undefined) {
      const gutter = String(this.line).padStart(5);
      out.push(`${gutter} | ${src}`);
      // Keep tabs in the caret line so the caret lines up under tabbed source.
      const lead = src.slice(0, this.col - 1).replace(/[^\t]/g, ' ');
      const room = Math.max(1, src.length - (this.col - 1));
      out.push(`${' '.repeat(5)} | ${lead}${'^'.repeat(Math.min(this.length, room))}`);
    }
    if (this.hint !== undefined) out.push(`hint: ${this.hint}`);
    return out.join('\n');
  }

  /** Every error of the run, separated by blank lines, with a count when there are several. */
  formatAll(text: string): string {
    const parts = this.errors.map((e) => e.format(text));
    if (this.errors.length > 1) parts.push(`${this.errors.length} errors`);
    return parts.join('\n\n');
  }
}

/** Collects errors in order; `fail()` throws them as one NfqlError. */
export class Diagnostics {
  readonly list: NfqlError[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly source: string) {}

  get full(): boolean {
    return this.list.length >= MAX_ERRORS;
  }

  error(pos: Pos, message: string, opts: { length?: number; hint?: string } = {}): void {
    // The same stage checked for several branches finds the same fault several times.
    const key = `${pos.offset}:${message}`;
    if (this.full || this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(new NfqlError(this.source, pos, message, opts));
  }

  /** Throws when any error was collected. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const sorted = [...this.list].sort((a, b) => a.offset - b.offset);
    const first = sorted[0];
    first.errors = sorted;
    throw first;
  }
}

/** `name` in backquotes, for messages. */
export function q(name: string): string {
  return `\`${name}\``;
}
