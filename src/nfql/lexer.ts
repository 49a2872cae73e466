/**
 * The NFQL lexer (docs/nfql.md §2). Hand-written, one pass, positions in
 * 1-based lines and columns.
 *
 * The subtle parts:
 *  - a name may contain `-` when a letter, digit or `_` follows, so
 *    `pkt-sum` and `f-mDNS` are names while `a->b` is `a` `->` `b`;
 *  - IPv6 literals may start with a letter (`fe80::1`) and contain `::`; a
 *    run of hex digits, `:` and `.` that holds a `:` and is a valid IPv6
 *    address is an address (`:` has no other use in NFQL);
 *  - a number may carry a unit, written next to it or after spaces on the
 *    same line (`500ms`, `1 sec`, `5 M`).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Pos, SizeUnit, TimeUnit } from './ast.js';
import { allFields } from '../flow/fields.js';
import { NfqlError, q } from './errors.js';

/** Enum values of the registry that begin with a digit (`4in6`, `6in4`): lexed as names. */
const DIGIT_WORDS: ReadonlySet<string> = new Set(allFields().flatMap((f) => (f.values ?? []).filter((v) => /^[0-9]/.test(v))));

export type TokenKind =
  | 'name'
  | 'number'
  | 'ip'
  | 'cidr'
  | 'string'
  /** operators and punctuation: = != < > <= >= -> + - * / ( ) { } [ ] , . ; */
  | 'punct'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** the source text (for strings: with quotes; for numbers: without the unit) */
  text: string;
  pos: Pos;
  /** length in source characters, for carets */
  length: number;
  /** strings: the value without quotes and escapes; numbers: the numeric value before units */
  value?: string | number;
  unit?: TimeUnit | SizeUnit;
  /** a newline lies between the previous token and this one */
  newlineBefore: boolean;
}

/** Keywords are case-insensitive (docs/nfql.md §2); names are case-sensitive. */
export const KEYWORDS = new Set([
  'filter', 'grouper', 'groupfilter', 'merger', 'ungrouper', 'splitter', 'module', 'branches', 'branch', 'br',
  'export', 'aggregate', 'as', 'delta', 'rdelta', 'or', 'not', 'and', 'in', 'notin', 'contains',
]);

export const TIME_UNITS: readonly TimeUnit[] = ['ms', 's', 'sec', 'min', 'h'];
export const SIZE_UNITS: readonly SizeUnit[] = ['k', 'M', 'G'];
const UNITS = new Set<string>([...TIME_UNITS, ...SIZE_UNITS]);

const PUNCT2 = ['->', '!=', '<=', '>=', '=='];
const PUNCT1 = '=<>+-*/(){}[],.;';

const isNameStart = (c: string) => /[A-Za-z_]/.test(c);
const isNameChar = (c: string) => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';
const isAddrChar = (c: string) => /[0-9A-Fa-f:.]/.test(c);

export function isKeyword(word: string): boolean {
  return KEYWORDS.has(word.toLowerCase());
}

/** Tokens of `text`, ending with one `eof` token. Throws NfqlError on the first bad character. */
export function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let newlineBefore = true;

  const posAt = (offset: number): Pos => ({ line, col: offset - lineStart + 1, offset });
  const fail = (offset: number, message: string, length = 1, hint?: string): never => {
    throw new NfqlError(source, posAt(offset), message, { length, hint });
  };
  const push = (kind: TokenKind, start: number, end: number, extra: Partial<Token> = {}): void => {
    tokens.push({ kind, text: text.slice(start, end), pos: posAt(start), length: end - start, newlineBefore, ...extra });
    newlineBefore = false;
  };

  while (i < text.length) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      lineStart = i;
      newlineBefore = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    const start = i;

    // Addresses first: they can start with a digit (10.0.0.1, 64:ff9b::) or a hex letter (fe80::1).
    if (isAddrChar(c) && c !== '.' && (c !== ':' || text[i + 1] === ':')) {
      const addr = scanAddress(text, i);
      if (addr !== undefined) {
        i += addr.length;
        if (text[i] === '/' && isDigit(text[i + 1] ?? '')) {
          let j = i + 1;
          while (isDigit(text[j] ?? '')) j++;
          const bits = Number(text.slice(i + 1, j));
          const max = isIPv4(addr) ? 32 : 128;
          if (bits > max) fail(start, `prefix length /${bits} is too long for ${isIPv4(addr) ? 'an IPv4' : 'an IPv6'} address (at most /${max})`, j - start);
          if (isNameChar(text[j] ?? '')) fail(start, `invalid prefix ${q(text.slice(start, j + 1))}`, j + 1 - start);
          i = j;
          push('cidr', start, i);
        } else {
          push('ip', start, i);
        }
        continue;
      }
    }

    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      i = lexNumber(start);
      continue;
    }

    if (isNameStart(c)) {
      i++;
      for (;;) {
        if (isNameChar(text[i] ?? '')) i++;
        else if (text[i] === '-' && isNameChar(text[i + 1] ?? '')) i += 2;
        else break;
      }
      push('name', start, i);
      continue;
    }

    if (c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const d = text[j];
        if (d === undefined || d === '\n' || d === '\r') fail(start, 'unterminated string', j - start, 'close it with `"` on the same line');
        if (d === '"') break;
        if (d === '\\') {
          const e = text[j + 1];
          if (e === '"' || e === '\\') value += e;
          else if (e === 'n') value += '\n';
          else if (e === 't') value += '\t';
          else fail(j, `unknown escape ${q(`\\${e ?? ''}`)} in string`, 2, 'use \\" for a quote and \\\\ for a backslash');
          j += 2;
          continue;
        }
        value += d;
        j++;
      }
      i = j + 1;
      push('string', start, i, { value });
      continue;
    }

    const two = text.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      i += 2;
      // `==` is accepted for `=` (a habit from C and nfdump); it is the same operator.
      push('punct', start, i, two === '==' ? { text: '=' } : {});
      continue;
    }
    if (PUNCT1.includes(c)) {
      i++;
      push('punct', start, i);
      continue;
    }
    if (c === ':') {
      const mac = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}(?![0-9A-Za-z_:])/.exec(text.slice(start - 2));
      if (mac) fail(start - 2, `MAC addresses are not supported: ${q(mac[0])}`, mac[0].length);
      fail(start, 'unexpected `:`', 1, 'IPv6 addresses are written without brackets, e.g. 64:ff9b::/96');
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const inner = end > i && !text.slice(i + 1, end).includes('\n') ? text.slice(i + 1, end) : 'UDP';
      fail(start, 'strings are written in double quotes', end > i ? end - i + 1 : 1, `write "${inner}", not '${inner}'`);
    }
    fail(start, `unexpected character ${q(c)}`);
  }
  tokens.push({ kind: 'eof', text: '', pos: posAt(i), length: 1, newlineBefore: true });
  return tokens;

  /** decimal, float or 0x hex, then an optional unit; returns the offset after it */
  function lexNumber(start: number): number {
    let j = start;
    let value: number;
    if (text[j] === '0' && (text[j + 1] === 'x' || text[j + 1] === 'X') && /[0-9A-Fa-f]/.test(text[j + 2] ?? '')) {
      j += 2;
      while (/[0-9A-Fa-f]/.test(text[j] ?? '')) j++;
      value = parseInt(text.slice(start + 2, j), 16);
    } else {
      while (isDigit(text[j] ?? '')) j++;
      if (text[j] === '.' && isDigit(text[j + 1] ?? '')) {
        j++;
        while (isDigit(text[j] ?? '')) j++;
      }
      if (text[j] === '.' && isDigit(text[j + 1] ?? '')) {
        let k = j;
        while (/[0-9.]/.test(text[k] ?? '')) k++;
        const run = text.slice(start, k);
        if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(run)) fail(start, `invalid IPv4 address ${q(run)}`, k - start, 'each part is 0 to 255, without leading zeros');
        fail(start, `invalid number or address ${q(run)}`, k - start, 'an IPv4 address has four parts, e.g. 224.0.0.251');
      }
      value = Number(text.slice(start, j));
    }
    const numberEnd = j;
    // A unit right after the number or after spaces on the same line.
    let k = j;
    while (text[k] === ' ' || text[k] === '\t') k++;
    let unit: string | undefined;
    if (isNameStart(text[k] ?? '')) {
      let e = k;
      while (isNameChar(text[e] ?? '')) e++;
      const word = text.slice(k, e);
      const follows = text[e] ?? '';
      if (UNITS.has(word) && follows !== '(' && follows !== '.' && !(follows === '-' && isNameChar(text[e + 1] ?? ''))) {
        unit = word;
        j = e;
      } else if (k === numberEnd && DIGIT_WORDS.has(text.slice(start, e))) {
        // enum words that begin with a digit (`tunnel = 4in6`) are names, not numbers
        push('name', start, e);
        newlineBefore = false;
        return e;
      } else if (k === numberEnd) {
        fail(start, `invalid number ${q(text.slice(start, e))}`, e - start, `a number may be followed by a unit: ms, s, sec, min, h (time) or k, M, G (×1000); text goes in double quotes: "${text.slice(start, e)}"`);
      }
    }
    tokens.push({
      kind: 'number',
      text: text.slice(start, numberEnd),
      pos: posAt(start),
      length: j - start,
      value,
      ...(unit !== undefined ? { unit: unit as TimeUnit | SizeUnit } : {}),
      newlineBefore,
    });
    newlineBefore = false;
    return j;
  }
}

/**
 * The IPv4 or IPv6 address starting at `i`, or undefined. A run that looks
 * like an IPv4 address but is not one (300.1.1.1) is an error, not a number.
 */
function scanAddress(text: string, i: number): string | undefined {
  let j = i;
  while (j < text.length && isAddrChar(text[j])) j++;
  // `A.srcip`: the run stops at `s`; an address must not run into a name.
  let run = text.slice(i, j);
  if (isNameChar(text[j] ?? '')) return undefined;
  // A trailing dot ends a sentence, not an address.
  while (run.endsWith('.')) run = run.slice(0, -1);
  if (run.includes(':')) return isIPv6(run) ? run : undefined;
  // 300.1.1.1 is not an address: lexNumber reports it.
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(run) && isIPv4(run)) return run;
  return undefined;
}
