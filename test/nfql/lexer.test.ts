import { describe, expect, it } from 'vitest';
import { NfqlError } from '../../src/nfql/errors.js';
import { tokenize } from '../../src/nfql/lexer.js';

/** `kind:text` (with `+unit` for numbers) of every token but the final eof. */
function toks(text: string): string[] {
  return tokenize(text, 't.nfql')
    .filter((t) => t.kind !== 'eof')
    .map((t) => `${t.kind}:${t.text}${t.unit ? `+${t.unit}` : ''}`);
}

function lexError(text: string): string {
  try {
    tokenize(text, 't.nfql');
  } catch (err) {
    if (err instanceof NfqlError) return err.format(text);
    throw err;
  }
  throw new Error('expected a lexer error');
}

describe('names', () => {
  it('take an inner `-` before a letter, digit or `_`', () => {
    expect(toks('f-mDNS pkt-sum f-login1 a_b-_c nat64-v6')).toEqual(['name:f-mDNS', 'name:pkt-sum', 'name:f-login1', 'name:a_b-_c', 'name:nat64-v6']);
  });

  it('`a->b` is a, ->, b; a trailing or doubled `-` is not part of the name', () => {
    expect(toks('a->b')).toEqual(['name:a', 'punct:->', 'name:b']);
    expect(toks('M->U->"out"')).toEqual(['name:M', 'punct:->', 'name:U', 'punct:->', 'string:"out"']);
    expect(toks('a - b')).toEqual(['name:a', 'punct:-', 'name:b']);
    expect(toks('a- b a--b')).toEqual(['name:a', 'punct:-', 'name:b', 'name:a', 'punct:-', 'punct:-', 'name:b']);
  });

  it('qualified names are name . name', () => {
    expect(toks('A.srcip B.pkt-sum')).toEqual(['name:A', 'punct:.', 'name:srcip', 'name:B', 'punct:.', 'name:pkt-sum']);
  });
});

describe('numbers and units', () => {
  it('reads decimal, float and hex', () => {
    const t = tokenize('5353 1.5 0x13 0XfF', 't');
    expect(t.slice(0, 4).map((x) => [x.text, x.value])).toEqual([['5353', 5353], ['1.5', 1.5], ['0x13', 19], ['0XfF', 255]]);
  });

  it('attaches a unit written next to the number or after spaces on the same line', () => {
    expect(toks('500ms 1 sec 1440min 2h 5 s 10k 3 M 1G')).toEqual([
      'number:500+ms', 'number:1+sec', 'number:1440+min', 'number:2+h', 'number:5+s', 'number:10+k', 'number:3+M', 'number:1+G',
    ]);
  });

  it('does not take a unit from the next line or a word that continues', () => {
    expect(toks('5\ns = 1')).toEqual(['number:5', 'name:s', 'punct:=', 'number:1']);
    expect(toks('5 min(x)')).toEqual(['number:5', 'name:min', 'punct:(', 'name:x', 'punct:)']);
    expect(toks('5 sec-x')).toEqual(['number:5', 'name:sec-x']);
  });

  it('rejects a number glued to a word that is no unit (enum words such as 4in6 excepted)', () => {
    expect(lexError('x = 4inch')).toBe(
      [
        't.nfql:1:5: error: invalid number `4inch`',
        '    1 | x = 4inch',
        '      |     ^^^^^',
        'hint: a number may be followed by a unit: ms, s, sec, min, h (time) or k, M, G (×1000); text goes in double quotes: "4inch"',
      ].join('\n'),
    );
  });
});

describe('addresses', () => {
  it('reads IPv4, IPv6 (also starting with a letter or ::) and prefixes', () => {
    expect(toks('224.0.0.251 10.0.0.0/8 64:ff9b::/96 fe80::1 ff02::fb ::1 :: ::ffff:192.0.2.1 2001:db8::/32')).toEqual([
      'ip:224.0.0.251', 'cidr:10.0.0.0/8', 'cidr:64:ff9b::/96', 'ip:fe80::1', 'ip:ff02::fb', 'ip:::1', 'ip:::', 'ip:::ffff:192.0.2.1', 'cidr:2001:db8::/32',
    ]);
  });

  it('keeps hex-looking names and qualified names apart from addresses', () => {
    expect(toks('dead beef A.dstip fe80')).toEqual(['name:dead', 'name:beef', 'name:A', 'punct:.', 'name:dstip', 'name:fe80']);
  });

  it('rejects an IPv4 address with a part above 255 and a prefix that is too long', () => {
    expect(lexError('dstip = 300.1.1.1')).toBe(
      ['t.nfql:1:9: error: invalid IPv4 address `300.1.1.1`', '    1 | dstip = 300.1.1.1', '      |         ^^^^^^^^^', 'hint: each part is 0 to 255, without leading zeros'].join('\n'),
    );
    expect(lexError('srcip in 64:ff9b::/129')).toBe(
      ['t.nfql:1:10: error: prefix length /129 is too long for an IPv6 address (at most /128)', '    1 | srcip in 64:ff9b::/129', '      |          ^^^^^^^^^^^^^'].join('\n'),
    );
  });

  it('says how to write IPv6 when a stray colon appears, and that MAC addresses are not supported', () => {
    expect(lexError('x = [1:2]')).toContain('error: unexpected `:`');
    expect(lexError('mac = 00:1b:21:3a:4f:5c')).toBe(
      ['t.nfql:1:7: error: MAC addresses are not supported: `00:1b:21:3a:4f:5c`', '    1 | mac = 00:1b:21:3a:4f:5c', '      |       ^^^^^^^^^^^^^^^^^'].join('\n'),
    );
  });
});

describe('strings, punctuation, comments', () => {
  it('reads strings with escapes', () => {
    const [s] = tokenize('"a \\"b\\" \\\\ c"', 't');
    expect(s.value).toBe('a "b" \\ c');
  });

  it('reads every operator; `==` is `=`', () => {
    expect(toks('= != < > <= >= == -> + - * / ( ) { } [ ] , . ;').map((t) => t.slice(6))).toEqual([
      '=', '!=', '<', '>', '<=', '>=', '=', '->', '+', '-', '*', '/', '(', ')', '{', '}', '[', ']', ',', '.', ';',
    ]);
  });

  it('skips comments to the end of the line, not inside strings', () => {
    expect(toks('a # comment -> b\n"x # y" # tail')).toEqual(['name:a', 'string:"x # y"']);
  });

  it('counts lines and columns (tabs count as one column) and marks tokens after a newline', () => {
    const t = tokenize('filter f {\n\tdstport = 80\r\n}', 't');
    expect(t.map((x) => [x.text, x.pos.line, x.pos.col, x.newlineBefore])).toEqual([
      ['filter', 1, 1, true], ['f', 1, 8, false], ['{', 1, 10, false], ['dstport', 2, 2, true], ['=', 2, 10, false], ['80', 2, 12, false], ['}', 3, 1, true], ['', 3, 2, true],
    ]);
  });

  it('rejects an unterminated string, single quotes and stray characters', () => {
    expect(lexError('app = "sip')).toBe(['t.nfql:1:7: error: unterminated string', '    1 | app = "sip', '      |       ^^^^', 'hint: close it with `"` on the same line'].join('\n'));
    expect(lexError("app = 'sip'")).toBe(['t.nfql:1:7: error: strings are written in double quotes', "    1 | app = 'sip'", '      |       ^^^^^', `hint: write "sip", not 'sip'`].join('\n'));
    expect(lexError('a @ b')).toBe(['t.nfql:1:3: error: unexpected character `@`', '    1 | a @ b', '      |   ^'].join('\n'));
  });
});
