/**
 * From mined facts to NFQL, and back through the NFQL engine.
 *
 * Shapes (docs/learn.md):
 * * a pattern alone is a flow filter (`filter f-fail { … }`);
 * * a pattern with an absence is a merger whose exported module holds the
 *   failing flow (branch A) and whose reject module says "and no flow R of
 *   the missing kind from the same host (R.srcip = A.srcip) starting within
 *   W after it";
 * * a repeated pattern is n branches of the same filter joined by "same
 *   client, same server, next source port, later start".
 *
 * Every candidate is compiled and run with the engine (compileQuery,
 * createQueryRunner) on every run; what the engine says is the score.
 * (Only the intermediate trials of minimizing are counted in code, with the
 * items' own tests and the merger's rules written out; the result of
 * minimizing is validated with the engine.)
 * Minimizing drops the pattern's items one at a time, least telling first;
 * a drop is kept when the signature still matches every bad run, no good run,
 * and no more flows of the bad runs than before (so it does not start
 * matching the NAT's translated copies or the client's other traffic).
 */
import type { FlowRecord } from '../flow/record.js';
import { createQueryRunner } from '../nfql/exec/run.js';
import type { Match } from '../nfql/exec/ungrouper.js';
import { compileQuery, printQuery } from '../nfql/index.js';
import { formatDuration, type Item } from './items.js';
import { type Absence, chains, type Repeat } from './mine.js';
import type { Run } from './runs.js';

export interface Candidate {
  anchor: Item[];
  absence?: Absence;
  repeat?: Repeat;
  /** the failing flow's reply (addresses and ports swapped) has these items in every bad run: branch B */
  answer?: Item[];
  /** no reply at all: no flow with addresses and ports swapped (reject module, branch R unfiltered) */
  noReply?: boolean;
}

export interface Validation {
  /** matches per run, in run order */
  perRun: Match[][];
  badRunsMatched: number;
  goodRunsMatched: number;
  badMatches: number;
  ok: boolean;
}

const BRANCHES = ['A', 'B', 'C', 'D'];

function filterBlock(name: string, items: readonly Item[]): string {
  const rules = items.flatMap((i) => i.rule.split('\n'));
  return `filter ${name} {\n${rules.map((r) => `  ${r}`).join('\n')}\n}`;
}

/** The candidate as NFQL text (not yet normalized: `normalize` prints it through the engine's printer). */
export function candidateText(c: Candidate): string {
  if (c.repeat) {
    const n = c.repeat.count;
    const br = BRANCHES.slice(0, n);
    const rules: string[] = [];
    for (let i = 0; i + 1 < n; i++) {
      const [x, y] = [br[i], br[i + 1]];
      rules.push(`${x}.srcip = ${y}.srcip`, `${x}.dstip = ${y}.dstip`, `${x}.dstport = ${y}.dstport`, `${x}.srcport = ${y}.srcport rdelta 1`);
      if (c.repeat.decreasing) rules.push(`${x}.packets > ${y}.packets`);
      rules.push(c.repeat.sequential ? `${x} < ${y}` : `${x}.stime < ${y}.stime`);
    }
    return [
      'splitter S {}',
      filterBlock('f-attempt', c.anchor),
      `merger M {\n  branches ${br.join(', ')}\n${rules.map((r) => `  ${r}`).join('\n')}\n}`,
      'ungrouper U {}',
      ['"input" -> S', ...br.map((b) => `S branch ${b} -> f-attempt -> M`), 'M -> U -> "output"'].join('\n'),
    ].join('\n\n');
  }
  if (c.noReply) {
    return [
      'splitter S {}',
      filterBlock('f-fail', c.anchor),
      'merger M {\n  module failing { branches A }\n  module answered {\n    branches A, R\n    R.proto = A.proto\n    R.srcip = A.dstip\n    R.dstip = A.srcip\n    R.srcport = A.dstport\n    R.dstport = A.srcport\n  }\n  export failing\n}',
      'ungrouper U {}',
      ['"input" -> S', 'S branch A -> f-fail -> M', 'S branch R -> M', 'M -> U -> "output"'].join('\n'),
    ].join('\n\n');
  }
  if (c.absence || c.answer) {
    const failing = c.answer
      ? '  module failing {\n    branches A, B\n    B.srcip = A.dstip\n    B.dstip = A.srcip\n    B.srcport = A.dstport\n    B.dstport = A.srcport\n  }'
      : '  module failing { branches A }';
    const followed = c.absence
      ? `\n  module followed {\n    branches A, R\n    R.srcip = A.srcip\n    A.stime <= R.stime delta ${formatDuration(c.absence.windowMs)}\n  }`
      : '';
    return [
      'splitter S {}',
      filterBlock('f-fail', c.anchor),
      ...(c.answer ? [filterBlock('f-answer', c.answer)] : []),
      ...(c.absence ? [filterBlock('f-missing', [c.absence.item])] : []),
      `merger M {\n${failing}${followed}\n  export failing\n}`,
      'ungrouper U {}',
      ['"input" -> S', 'S branch A -> f-fail -> M', ...(c.answer ? ['S branch B -> f-answer -> M'] : []),
        ...(c.absence ? ['S branch R -> f-missing -> M'] : []), 'M -> U -> "output"'].join('\n'),
    ].join('\n\n');
  }
  return filterBlock('f-fail', c.anchor);
}

/** Printed by the engine's printer, so the text round-trips through `flowsig check`. */
export function normalize(text: string, name: string): string {
  return printQuery(compileQuery(text, `${name}.nfql`).normalized);
}

export function runSignature(text: string, name: string, records: readonly FlowRecord[]): Match[] {
  const runner = createQueryRunner(compileQuery(text, `${name}.nfql`));
  for (const r of records) runner.push(r);
  return runner.finish().matches;
}

export function validate(c: Candidate, runs: readonly Run[], name = 'candidate'): Validation {
  const text = candidateText(c);
  // The signature runs on every record, as `flowsig query` does (housekeeping included), except those
  // no branch filter of it can pass: the engine would drop them at its filters anyway, so the
  // matches are the same, and a busy capture's other 10^5 flows cost nothing.
  const filters = [c.anchor, ...(c.answer ? [c.answer] : []), ...(c.absence ? [[c.absence.item]] : [])];
  const relevant = c.noReply ? () => true : (r: FlowRecord) => filters.some((items) => items.every((i) => i.test(r)));
  const perRun = runs.map((run) => runSignature(text, name, run.records.filter(relevant)));
  return { perRun, ...tally(runs, (run) => perRun[runs.indexOf(run)].length) };
}

/**
 * A flow filter's counts without the engine: every item's test is its rule
 * in code, so the counts are the engine's. Used for the trials while
 * minimizing a single-flow candidate (each trial is a pass over every record
 * of every run); the result is then validated with the engine.
 */
function countFilter(c: Candidate, runs: readonly Run[]): Omit<Validation, 'perRun'> {
  return tally(runs, (run) => {
    let n = 0;
    for (const r of run.records) if (c.anchor.every((i) => i.test(r))) n++;
    return n;
  });
}

/** Runs matched and matches in the bad runs, from a count of matches per run. */
function tally(runs: readonly Run[], matchesIn: (run: Run) => number): Omit<Validation, 'perRun'> {
  let badRunsMatched = 0;
  let goodRunsMatched = 0;
  let badMatches = 0;
  for (const run of runs) {
    const n = matchesIn(run);
    if (n === 0) continue;
    if (run.label === 'bad') {
      badRunsMatched++;
      badMatches += n;
    } else goodRunsMatched++;
  }
  const badRuns = runs.filter((r) => r.label === 'bad').length;
  return { badRunsMatched, goodRunsMatched, badMatches, ok: badRunsMatched === badRuns && goodRunsMatched === 0 };
}

/**
 * A repetition's matches without the engine: windows of n flows that pass the
 * filter, from one host to one server port, with consecutive source ports,
 * each starting later (and, if asked, with fewer packets and ending before
 * the next starts) — the merger's rules in code.
 */
function countRepeat(c: Candidate, runs: readonly Run[]): Omit<Validation, 'perRun'> {
  const rep = c.repeat!;
  return tally(runs, (run) => {
    let n = 0;
    for (const chain of chains(run.records.filter((r) => c.anchor.every((i) => i.test(r))))) {
      for (let s = 0; s + rep.count <= chain.length; s++) {
        let ok = true;
        for (let j = s + 1; j < s + rep.count && ok; j++) {
          const [x, y] = [chain[j - 1], chain[j]];
          ok = x.stime < y.stime && (!rep.decreasing || x.packets > y.packets) && (!rep.sequential || x.etime < y.stime);
        }
        if (ok) n++;
      }
    }
    return n;
  });
}

/** Drops items while the signature still separates the runs as well; returns the smaller candidate and its validation. */
export function minimize(c: Candidate, runs: readonly Run[]): { candidate: Candidate; validation: Validation } {
  const trial = (x: Candidate) => (x.absence || x.answer || x.noReply ? validate(x, runs) : x.repeat ? countRepeat(x, runs) : countFilter(x, runs));
  let best = c;
  let v: Omit<Validation, 'perRun'> = trial(c);
  if (!v.ok) return { candidate: c, validation: validate(c, runs) };
  // least telling first; among equals, the later item first (the earlier ones name the flow)
  const order = c.anchor.map((item, index) => ({ item, index })).sort((a, b) => a.item.weight - b.item.weight || b.index - a.index);
  for (const { item } of order) {
    if (best.anchor.length <= 1) break;
    const smaller: Candidate = { ...best, anchor: best.anchor.filter((i) => i !== item) };
    const tv = trial(smaller);
    if (tv.ok && tv.badMatches <= v.badMatches) {
      best = smaller;
      v = tv;
    }
  }
  // the engine has the last word
  return { candidate: best, validation: validate(best, runs) };
}
