import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Chain, Expr, Pos, Query, Rule, StageDef, Term } from '../../src/nfql/ast.js';
import { parseQuery, printQuery, stripPositions } from '../../src/nfql/index.js';
import { mulberry32, type Random } from '../../scripts/bench/random.js';
import { expectRoundTrip, fixtures, parse } from './helpers.js';

describe('printing', () => {
  it('writes tidy text: one rule per line, two-space indentation, blank lines between stages, wiring last', () => {
    const messy = `# a comment
SPLITTER S{}
filter f-mDNS{dstport=5353 srcport = 5353 AND dstip=224.0.0.251 duration>1 sec;duration<5 sec}
Grouper g { module g1 { srcip=srcip  etime<stime rdelta 500ms } Aggregate srcip,sum(packets)  as pkt-sum,count(rec_id) as n }
groupfilter gf {pkt-sum>10 OR NOT n=1}
merger M { module m1 { branches A , B   A.srcip=B.srcip  A o B OR B oi A delta 5s } module r1 { branches A, C } export m1 }
ungrouper U{ }
"input"->S
S br A->f-mDNS->g->gf->M
S branch B -> f-mDNS -> M
S branch C -> M
M->U->"output"`;
    expect(printQuery(parse(messy))).toBe(`splitter S {}

filter f-mDNS {
  dstport = 5353
  srcport = 5353
  dstip = 224.0.0.251
  duration > 1sec
  duration < 5sec
}

grouper g {
  module g1 {
    srcip = srcip
    etime < stime rdelta 500ms
  }
  aggregate srcip, sum(packets) as pkt-sum, count(rec_id) as n
}

groupfilter gf {
  pkt-sum > 10 OR NOT n = 1
}

merger M {
  module m1 {
    branches A, B
    A.srcip = B.srcip
    A o B OR B oi A delta 5s
  }
  module r1 {
    branches A, C
  }
  export m1
}

ungrouper U {}

"input" -> S
S br A -> f-mDNS -> g -> gf -> M
S branch B -> f-mDNS -> M
S branch C -> M
M -> U -> "output"
`);
  });

  it('writes the papers\' merger form back as written, and empty bodies as {}', () => {
    expect(printQuery(parse('merger M { branches A, B  A < B }  grouper g { module m {} }  filter f {}'))).toBe(
      'merger M {\n  branches A, B\n  A < B\n}\n\ngrouper g {\n  module m {}\n}\n\nfilter f {}\n',
    );
  });

  it('parenthesizes arithmetic only where needed and keeps literals as written', () => {
    const text = 'filter f { (a + b) * c > a + b * c  a - (b - c) = (a - b) - c  a / (b * c) < 0x1F  x = -5  (-5) * x < -y  s = "q\\"uo\\\\te" }';
    expect(printQuery(parse(text))).toBe(
      [
        'filter f {',
        '  (a + b) * c > a + b * c',
        '  a - (b - c) = a - b - c',
        '  a / (b * c) < 0x1F',
        '  x = -5',
        '  -5 * x < 0 - y',
        '  s = "q\\"uo\\\\te"',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('wraps a long aggregate list under its first item', () => {
    const g = 'grouper g { aggregate srcip, dstip, sum(bytes) as bytes, count(rec_id) as n, bitOR(tcpflags) as flags, union(srcport) as srcports }';
    expect(printQuery(parse(g))).toBe(
      [
        'grouper g {',
        '  aggregate srcip, dstip, sum(bytes) as bytes, count(rec_id) as n,',
        '            bitOR(tcpflags) as flags, union(srcport) as srcports',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('prints an AST built without positions (as the learner builds them)', () => {
    const pos = undefined as unknown as Pos;
    const q: Query = {
      source: 'learned.nfql',
      stages: [{ kind: 'filter', name: 'f', rules: [{ terms: [{ kind: 'cmp', op: '=', left: { kind: 'field', name: 'dstport', pos }, right: { kind: 'number', value: 443, text: '443', pos }, pos }], pos }], pos }],
      wiring: [],
    };
    expect(printQuery(q)).toBe('filter f {\n  dstport = 443\n}\n');
    expect(stripPositions(parseQuery(printQuery(q), 'learned.nfql'))).toEqual(stripPositions(q));
  });
});

describe('round trip', () => {
  it.each([...fixtures().entries()])('fixture %s prints to text that parses to the same AST', (_name, text) => {
    parse(text);
  });

  it('the learned Skype signature is exactly its printed AST, below its header comments', () => {
    const text = readFileSync(new URL('../../learned/skype-nat64-login.nfql', import.meta.url), 'utf8');
    const body = text.replace(/^(#.*\n|\n)*/, '');
    expect(printQuery(parse(text))).toBe(body);
  });

  it('holds for random ASTs (property test, fixed seed)', () => {
    const rand = mulberry32(20120523);
    for (let i = 0; i < 400; i++) {
      const q = randomQuery(rand);
      try {
        expectRoundTrip(q);
      } catch (err) {
        throw new Error(`iteration ${i}:\n${printQuery(q)}\n${(err as Error).message}`);
      }
    }
  });
});

// ------------------------------------------------------------------ random ASTs

type Rand = Random;

const P: Pos = { line: 1, col: 1, offset: 0 };
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const NAMES = ['srcip', 'dstport', 'pkt-sum', 'x_1', 'f-mDNS', 'a', 'duration', 'sip_methods'];
const BRANCHES = ['A', 'B', 'C2', 'login-1'];
const UNITS = [undefined, undefined, 'ms', 's', 'sec', 'min', 'h', 'k', 'M', 'G'] as const;

function randomNumber(r: Rand): Expr {
  const unit = pick(r, UNITS);
  const kind = r();
  let value: number;
  let text: string;
  if (kind < 0.2) {
    value = Math.floor(r() * 4096);
    text = `0x${value.toString(16)}`;
  } else if (kind < 0.4) {
    value = Math.floor(r() * 1000) / 10 + 0.5;
    text = String(value);
  } else {
    value = Math.floor(r() * 100000);
    text = String(value);
  }
  if (r() < 0.15 && value !== 0) {
    value = -value;
    text = `-${text}`;
  }
  return { kind: 'number', value, text, ...(unit ? { unit } : {}), pos: P };
}

function randomField(r: Rand, merger: boolean): Expr {
  return merger ? { kind: 'field', qualifier: pick(r, BRANCHES), name: pick(r, NAMES), pos: P } : { kind: 'field', name: pick(r, NAMES), pos: P };
}

function randomExpr(r: Rand, merger: boolean, depth = 0): Expr {
  const k = r();
  if (depth > 2 || k < 0.3) return r() < 0.5 ? randomField(r, merger) : randomNumber(r);
  if (k < 0.4) return { kind: 'ip', text: pick(r, ['224.0.0.251', '10.0.0.1', 'fe80::1', '::1', '64:ff9b::c000:201']), pos: P };
  if (k < 0.45) return { kind: 'cidr', text: pick(r, ['10.0.0.0/8', '64:ff9b::/96', '::/0']), pos: P };
  if (k < 0.55) return { kind: 'string', value: pick(r, ['UDP', 'a "quoted" \\ text', 'tab\there', 'line\nbreak', '']), pos: P };
  if (k < 0.62) return { kind: 'set', items: Array.from({ length: Math.floor(r() * 3) }, () => randomExpr(r, merger, 3)), pos: P };
  if (k < 0.67) return { kind: 'range', lo: randomExpr(r, merger, 3), hi: randomExpr(r, merger, 3), pos: P };
  if (k < 0.77) return { kind: 'call', fn: pick(r, ['abs', 'bitAND', 'protocol', 'minus']), args: Array.from({ length: Math.floor(r() * 3) }, () => randomExpr(r, merger, depth + 1)), pos: P };
  return { kind: 'binary', op: pick(r, ['+', '-', '*', '/'] as const), left: randomExpr(r, merger, depth + 1), right: randomExpr(r, merger, depth + 1), pos: P };
}

function randomTerm(r: Rand, merger: boolean, depth = 0): Term {
  const k = r();
  if (k < 0.1 && depth < 2) return { kind: 'not', term: randomTerm(r, merger, depth + 1), pos: P };
  if (k < 0.2) return { kind: 'bool', expr: randomExpr(r, merger), pos: P };
  if (merger && k < 0.4) {
    const written = pick(r, ['<', '>', '=', 'm', 'mi', 'o', 'oi', 's', 'si', 'd', 'di', 'f', 'fi', 'before', 'overlaps', 'contains', 'equals']);
    const relation = ({ '<': 'before', '>': 'after', '=': 'equals', m: 'meets', mi: 'metby', o: 'overlaps', oi: 'overlappedby', s: 'starts', si: 'startedby', d: 'during', di: 'contains', f: 'finishes', fi: 'finishedby' } as Record<string, string>)[written] ?? written;
    return { kind: 'allen', relation: relation as 'before', written, left: pick(r, BRANCHES), right: pick(r, BRANCHES), ...(r() < 0.3 ? { delta: randomNumber(r) } : {}), pos: P };
  }
  const op = pick(r, ['=', '!=', '<', '>', '<=', '>=', 'in', 'notin', 'contains'] as const);
  const term: Term = { kind: 'cmp', op, left: randomExpr(r, merger), right: randomExpr(r, merger), pos: P };
  if (r() < 0.2) term.delta = { kind: r() < 0.5 ? 'delta' : 'rdelta', value: randomNumber(r), pos: P };
  return term;
}

function randomRules(r: Rand, merger: boolean): Rule[] {
  return Array.from({ length: Math.floor(r() * 4) }, () => ({ terms: Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomTerm(r, merger)), pos: P }));
}

function randomQuery(r: Rand): Query {
  const stages: StageDef[] = [];
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const name = `s${i}-${pick(r, ['f', 'g', 'x'])}`;
    const k = pick(r, ['filter', 'groupfilter', 'grouper', 'merger', 'merger', 'ungrouper', 'splitter'] as const);
    if (k === 'filter' || k === 'groupfilter') stages.push({ kind: k, name, rules: randomRules(r, false), pos: P });
    else if (k === 'grouper')
      stages.push({
        kind: 'grouper',
        name,
        modules: Array.from({ length: Math.floor(r() * 3) }, (_, j) => ({ name: `m${j}`, rules: randomRules(r, false), pos: P })),
        aggregates: Array.from({ length: Math.floor(r() * 4) }, () => {
          const fn = r() < 0.7 ? pick(r, ['min', 'max', 'sum', 'avg', 'count', 'union', 'bitOR', 'bitAND', 'first', 'last', 'median', 'stddev'] as const) : undefined;
          return { ...(fn ? { fn } : {}), field: pick(r, NAMES), ...(r() < 0.6 ? { alias: pick(r, ['total', 'pkt-sum', 'n2']) } : {}), pos: P };
        }),
        pos: P,
      });
    else if (k === 'merger') {
      const implicit = r() < 0.4;
      const modules = Array.from({ length: implicit ? 1 : 1 + Math.floor(r() * 2) }, (_, j) => ({
        name: implicit ? name : `mod${j}`,
        branches: BRANCHES.slice(0, 1 + Math.floor(r() * 3)),
        rules: randomRules(r, true),
        pos: P,
      }));
      stages.push({ kind: 'merger', name, modules, exports: implicit ? [name] : modules.slice(0, 1 + Math.floor(r() * modules.length)).map((m) => m.name), implicitModule: implicit, pos: P });
    } else stages.push({ kind: k, name, pos: P });
  }
  const wiring: Chain[] = Array.from({ length: Math.floor(r() * 3) }, () => {
    const items: Chain['items'] = [];
    if (r() < 0.3) items.push({ kind: 'io', text: pick(r, ['input', 'trace "x".h5']), pos: P });
    items.push(r() < 0.5 ? { kind: 'branch', splitter: 'S', branch: pick(r, BRANCHES), written: pick(r, ['branch', 'br'] as const), pos: P } : { kind: 'stage', name: pick(r, stages).name, pos: P });
    for (let j = Math.floor(r() * 3); j >= 0; j--) items.push({ kind: 'stage', name: pick(r, stages).name, pos: P });
    if (r() < 0.3) items.push({ kind: 'io', text: 'output', pos: P });
    return { items, pos: P };
  });
  return { stages, wiring, source: 'random.nfql' };
}
