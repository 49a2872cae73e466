/**
 * `learn`: good runs and bad runs in, ranked NFQL candidates out (or the plain
 * statement that the bad runs leave no trace on the wire). The steps, each in
 * its own file, are described in docs/learn.md:
 *
 *   runs.ts       one run per file; housekeeping (ND, MLD) set aside
 *   items.ts      facts about one flow, each an NFQL rule; bands (ckmeans)
 *   behaviours.ts k-means over the flows of all runs, to compare runs
 *   mine.ts       patterns in every bad run and no good run; absence; repetition
 *   signature.ts  NFQL text, validation with the engine, minimizing
 *   report.ts     the report and the file header
 *
 * Deterministic: the same inputs in the same order give the same candidates
 * in the same order (no clock, no randomness other than k-means' fixed seed).
 */
import type { FlowRecord } from '../flow/record.js';
import type { Match } from '../nfql/exec/ungrouper.js';
import { clusterBehaviours, missingBehaviours, onlyBadBehaviours, type Behaviour, type Behaviours } from './behaviours.js';
import { itemContext, learnBands, type Item } from './items.js';
import { itemCache, mineAbsence, mineAnswer, mineNoReply, minePatterns, mineRepeat } from './mine.js';
import { readRun, type Run, type RunReadOptions } from './runs.js';
import { type Candidate, candidateText, minimize, normalize, validate, type Validation } from './signature.js';

export interface LearnInput extends RunReadOptions {
  good: readonly string[];
  bad: readonly string[];
  name: string;
  pref64: readonly string[];
  /** learn from this host's flows only (the host the runs were recorded for); default: every host */
  client?: string;
}

export interface LearnedCandidate {
  candidate: Candidate;
  /** normalized NFQL (printQuery), the text written to files */
  text: string;
  validation: Validation;
  sentence: string;
  kind: 'repeat' | 'absence' | 'flow';
  /** behaviours of the failing flows it matched in the bad runs */
  behaviours: number[];
  ruleCount: number;
  /** every failing flow it matched in the bad runs was sent by that run's client */
  namesClient: boolean;
}

export type Verdict = 'signature' | 'no-trace' | 'no-separation';

export interface LearnResult {
  runs: Run[];
  behaviours: Behaviours;
  missing: Behaviour[];
  onlyBad: Behaviour[];
  /** valid candidates first, best first */
  candidates: LearnedCandidate[];
  verdict: Verdict;
  /** with no pattern: the bad runs that do have flows of their own (nothing common to all of them) */
  distinctRuns?: string[];
}

/** How many mined patterns are turned into candidates (each is minimized with the engine). */
export const MAX_PATTERNS = 12;

export function learn(input: LearnInput): LearnResult {
  const runs = [...input.good.map((f) => readRun(f, 'good', input)), ...input.bad.map((f) => readRun(f, 'bad', input))];
  return learnFromRuns(runs, input.name, input.pref64, input.client);
}

/**
 * With `client`, only the bad runs' flows from or to that host are mined (the
 * signature is still validated on every record): on a busy link a single
 * pair of runs holds thousands of other hosts' flows, and some of them
 * differ between the runs by chance.
 */
export function learnFromRuns(allRuns: Run[], name: string, pref64: readonly string[], client?: string): LearnResult {
  // only the bad runs are narrowed: the good runs are evidence, and the same device may use another
  // address there (through a CLAT, say)
  const runs = client === undefined ? allRuns
    : allRuns.map((r) => (r.label === 'good' ? r : { ...r, client, traffic: r.traffic.filter((x) => x.srcip === client || x.dstip === client) }));
  const traffic = runs.flatMap((r) => r.traffic);
  const bands = [learnBands('duration', traffic.map((r) => r.duration)), learnBands('packets', traffic.map((r) => r.packets))];
  const itemsFor = itemCache(itemContext(pref64, bands, allRuns.flatMap((r) => r.traffic)));
  const behaviours = clusterBehaviours(runs);
  const missing = missingBehaviours(behaviours, runs);
  const onlyBad = onlyBadBehaviours(behaviours, runs);

  const goodTraffic = allRuns.filter((r) => r.label === 'good').map((r) => r.traffic);
  const patterns = minePatterns(runs, itemsFor, goodTraffic).slice(0, MAX_PATTERNS);
  if (patterns.length === 0) {
    // "no trace" only when no bad run has anything of its own; otherwise the bad runs differ, each in its own way
    const goodFlows = goodTraffic.flat();
    const distinct = runs.filter((r) => r.label === 'bad' && r.traffic.some((f) => !goodFlows.some((g) => itemsFor(f).every((i) => i.test(g)))));
    return { runs, behaviours, missing, onlyBad, candidates: [], verdict: distinct.length === 0 ? 'no-trace' : 'no-separation', distinctRuns: distinct.map((r) => r.file) };
  }

  const found = new Map<string, LearnedCandidate>();
  const offer = (candidate: Candidate, validation: Validation) => {
    const text = normalize(candidateText(candidate), name);
    if (found.has(text)) return;
    found.set(text, describeCandidate(candidate, text, validation, runs, behaviours));
  };
  const badFlowsOf = (v: Validation) => runs.flatMap((run, i) => (run.label === 'bad' ? [v.perRun[i].flatMap((m) => m.flows)] : []));
  for (const pattern of patterns) {
    if (pattern.repeat > 0) {
      // only the repetition separates the runs: minimize with it, then add what holds along every chain
      const { candidate, validation } = minimize({ anchor: pattern.items, repeat: { count: Math.min(pattern.repeat, 4), sequential: false, decreasing: false } }, runs);
      offer(candidate, validation);
      const refined = validation.ok ? mineRepeat(badFlowsOf(validation)) : undefined;
      if (refined && (refined.sequential || refined.decreasing)) {
        const c: Candidate = { anchor: candidate.anchor, repeat: { ...refined, count: candidate.repeat!.count } };
        offer(c, validate(c, runs));
      }
      continue;
    }
    const { candidate: plain, validation } = minimize({ anchor: pattern.items }, runs);
    offer(plain, validation);
    if (!validation.ok) continue;
    const absence = mineAbsence(pattern.items, runs, itemsFor);
    if (absence) {
      const c: Candidate = { anchor: plain.anchor, absence };
      offer(c, validate(c, runs));
    }
    const failing = runs.flatMap((run, i) => (run.label === 'bad' ? [validation.perRun[i].flatMap((m) => m.flows)] : []));
    if (mineNoReply(failing, runs, pattern.items, itemsFor)) {
      const c: Candidate = { anchor: plain.anchor, noReply: true };
      offer(c, validate(c, runs));
    }
    const answer = mineAnswer(failing, runs, itemsFor);
    if (answer) {
      const c: Candidate = { anchor: plain.anchor, answer, absence };
      offer(c, validate(c, runs));
    }
    const repeat = mineRepeat(badFlowsOf(validation));
    if (repeat) {
      const c: Candidate = { anchor: plain.anchor, repeat };
      offer(c, validate(c, runs));
    }
  }
  const badRuns = runs.filter((r) => r.label === 'bad').length;
  const structure = { repeat: 0, absence: 1, flow: 2 };
  const candidates = [...found.values()].sort((a, b) =>
    Number(!a.validation.ok) - Number(!b.validation.ok)
    || Number(!a.namesClient) - Number(!b.namesClient)
    || structure[a.kind] - structure[b.kind]
    || Number(!a.candidate.answer) - Number(!b.candidate.answer)
    || Math.abs(a.validation.badMatches / badRuns - 1) - Math.abs(b.validation.badMatches / badRuns - 1)
    || a.ruleCount - b.ruleCount
    || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  const verdict: Verdict = candidates.length > 0 && candidates[0].validation.ok ? 'signature' : 'no-separation';
  return { runs, behaviours, missing, onlyBad, candidates, verdict };
}

function describeCandidate(c: Candidate, text: string, v: Validation, runs: readonly Run[], b: Behaviours): LearnedCandidate {
  const kind = c.repeat ? 'repeat' : c.absence || c.noReply ? 'absence' : 'flow';
  const failingPerRun = runs.map((run, i) => (run.label === 'bad' ? v.perRun[i].flatMap((m) => anchorFlows(m, c)) : []));
  const failing = failingPerRun.flat();
  const namesClient = failing.length > 0 && runs.every((run, i) => failingPerRun[i].every((r) => r.srcip === run.client));
  const behaviours = [...new Set(failing.map((r) => b.of.get(r)).filter((x): x is number => x !== undefined))].sort((x, y) => x - y);
  const ruleCount = c.anchor.reduce((n, i) => n + i.rule.split('\n').length, 0) + (c.absence ? 3 : 0) + (c.noReply ? 5 : 0) + (c.answer ? c.answer.length + 4 : 0) + (c.repeat ? (5 + Number(c.repeat.decreasing)) * (c.repeat.count - 1) : 0);
  return { candidate: c, text, validation: v, sentence: sentence(c), kind, behaviours, ruleCount, namesClient };
}

/** The failing flows of a match: every member that passes the anchor's filter (not the reject module's flows, which are never members). */
export function anchorFlows(m: Match, c: Candidate): FlowRecord[] {
  return m.flows.filter((r) => c.anchor.every((i) => i.test(r)));
}

/** "UDP SIP flow carrying SIP INVITE, to a NAT64 address": protocol and application before "flow", the rest after. */
function flowWords(items: readonly Item[]): string {
  const front = items.filter((i) => i.key.startsWith('proto=') || i.key.startsWith('app='));
  const rest = items.filter((i) => !front.includes(i)).map((i) => i.words);
  return `${front.map((i) => `${i.words} `).join('')}flow${rest.length > 0 ? ` ${rest.join(', ')}` : ''}`;
}

export function sentence(c: Candidate): string {
  const flow = flowWords(c.anchor);
  if (c.repeat) {
    const r = c.repeat;
    const order = r.sequential ? 'each starting after the previous one ended' : 'one after another';
    return `${r.count} ${flow.replace(/\bflow\b/, 'flows')}, from one host to the same server port from consecutive source ports, ${order}${r.decreasing ? ', each with fewer packets than the one before' : ''}`;
  }
  const answer = c.answer ? `, answered with a flow ${c.answer.map((i) => i.words).join(', ')}` : '';
  if (c.noReply) return `a host sends a ${flow}, and no reply comes back (no flow with the addresses and ports swapped)`;
  if (!c.absence && c.answer) return `a host sends a ${flow}${answer}`;
  if (c.absence) {
    const w = Math.round(c.absence.windowMs / 1000);
    return `a host sends a ${flow}${answer}, and no ${c.absence.item.key.startsWith('app=') ? `${c.absence.item.words} flow` : `flow ${c.absence.item.words}`} from that host follows within ${w} s (in the working runs one followed within ${(c.absence.maxLagMs / 1000).toFixed(1)} s)`;
  }
  return `a ${flow}`;
}
