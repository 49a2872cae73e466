/**
 * Continuous NFQL: signatures evaluated over a sliding window of flow records
 * as they are exported (`flowsig watch`). UI-independent: records in, matches
 * out; the terminal UI and the NDJSON printer both consume it.
 *
 *   push(record)   the record enters the window of every signature whose
 *                  branch filters it passes (the others never look at it
 *                  again, so the window holds only candidate records)
 *   evaluate()     every signature that received records since the last
 *                  evaluation runs over its window (src/nfql/exec/run.ts, the
 *                  same runner as `flowsig query`); matches not reported
 *                  before are returned, each exactly once
 *
 * A match is identified by the set of its member records' rec_id: the same
 * members found again at a later evaluation are not reported again, nor is a
 * match holding every record of one already reported (a group that kept
 * growing after it first passed its group filter: the first report stands). The
 * caller evaluates on a short tick (the watch session: every 250 ms), so a
 * match is reported well within a second of the record completing it.
 *
 * A filter-only signature (every passing record is a match) needs no window:
 * its records are reported as they pass, at the next evaluation.
 *
 * The window is measured in record time: a record stays while its etime is
 * within `windowMs` of the newest etime seen. Its length is the longest any
 * enabled signature needs (signatureWindowMs), else DEFAULT_WINDOW_MS.
 * A window is not the whole input: a group that in batch mode would hold an
 * older record too (and be rejected, say, by `n = 1`) can match once that
 * record has left the window. docs/watch.md says so.
 */
import type { CheckedQuery } from '../nfql/checked.js';
import { literalValue } from '../nfql/checked.js';
import type { Expr, Rule } from '../nfql/ast.js';
import { compileFilter, createQueryRunner, type ResultKind, resultKind } from '../nfql/exec/run.js';
import type { Match } from '../nfql/exec/ungrouper.js';
import type { FlowRecord } from '../flow/record.js';

/** window when a signature's time constraints do not bound the time its match can span */
export const DEFAULT_WINDOW_MS = 10 * 60_000;

export interface WatchSignature {
  name: string;
  /** file it was read from */
  file: string;
  query: CheckedQuery;
  kind: ResultKind;
  enabled: boolean;
  /** matches reported */
  matches: number;
  /** records in its window now */
  windowRecords: number;
  /** how long a window it needs (undefined: unbounded, DEFAULT_WINDOW_MS is used) */
  neededWindowMs: number | undefined;
  /** evaluation failure (an internal error is shown, not thrown: the other signatures go on) */
  error: string | undefined;
}

export interface WatchMatch {
  /** the match as `flowsig query` makes it; `match` is numbered in reporting order per signature */
  match: Match;
  signature: string;
  /** global reporting order, from 1 */
  seq: number;
  /** the branches each member record matched, by rec_id */
  branches: ReadonlyMap<number, readonly string[]>;
  /** the sorted rec_ids: the match's identity */
  key: string;
}

export interface ContinuousEngine {
  push(rec: FlowRecord): void;
  /**
   * Run every signature that has new records (or a match waiting to settle); returns the matches not
   * reported before (oldest first). `horizon` (record time, ms): no record still to come can start
   * before it — the source's clock, held back by the oldest flow still open in the meter; Infinity
   * (the default) when every record is in. A signature with reject modules (absence: "no RTP from
   * that host within 5 s") reports a match only once the horizon has passed its members' end plus
   * the reject modules' reach, so a flow still open cannot turn out to be the one whose absence it
   * claims.
   */
  evaluate(horizon?: number): WatchMatch[];
  setEnabled(name: string, enabled: boolean): void;
  readonly signatures: readonly WatchSignature[];
  readonly windowMs: number;
  /** newest etime seen (record time), -Infinity before the first record */
  readonly now: number;
  /** matches reported so far */
  readonly reported: number;
}

export interface ContinuousOptions {
  /** override the derived window */
  windowMs?: number;
}

interface Slot {
  sig: WatchSignature;
  /** filter-only signature: each passing record is a match by itself, reported without a window */
  direct: boolean;
  /** direct: records passed since the last evaluation */
  passed: FlowRecord[];
  passes: ((r: FlowRecord) => boolean)[];
  window: FlowRecord[];
  dirty: boolean;
  /** reported keys → newest etime among their members (pruned as they leave the window) */
  seen: Map<string, number>;
  /** the same reports as rec_id sets, to recognise a match that grew */
  reportedSets: Map<string, Set<number>>;
  /** with reject modules: how long after its members end a match must wait (ms); 0 without */
  settleMs: number;
}

export function createContinuousEngine(queries: readonly { query: CheckedQuery; file: string }[], opts: ContinuousOptions = {}): ContinuousEngine {
  const slots: Slot[] = queries.map(({ query, file }) => {
    const needed = signatureWindowMs(query);
    return {
      sig: { name: query.name, file, query, kind: resultKind(query), enabled: true, matches: 0, windowRecords: 0, neededWindowMs: resultKind(query) === 'records' ? 0 : needed, error: undefined },
      direct: resultKind(query) === 'records',
      passed: [],
      passes: uniqueFilters(query),
      window: [],
      dirty: false,
      seen: new Map(),
      reportedSets: new Map(),
      settleMs: 0,
    };
  });
  const windowMs = opts.windowMs ?? windowFor(slots.filter((s) => !s.direct).map((s) => s.sig.neededWindowMs));
  for (const slot of slots) slot.settleMs = rejectReachMs(slot.sig.query) ?? windowMs;
  let now = -Infinity;
  let seq = 0;

  function push(rec: FlowRecord): void {
    if (rec.etime > now) now = rec.etime;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (!slot.sig.enabled) continue;
      const passes = slot.passes;
      for (let j = 0; j < passes.length; j++) {
        if (passes[j](rec)) {
          (slot.direct ? slot.passed : slot.window).push(rec);
          slot.dirty = true;
          break;
        }
      }
    }
  }

  function evict(slot: Slot): void {
    const oldest = now - windowMs;
    // exact, not a prefix: records arrive in export order, which is not quite etime order (an idle
    // flow leaves the meter up to the idle timeout after its last packet, a FIN flow 2 s after), and
    // a reported key below may only be forgotten once every one of its records has left
    const w = slot.window;
    let kept = 0;
    for (let i = 0; i < w.length; i++) if (w[i].etime >= oldest) w[kept++] = w[i];
    w.length = kept;
    for (const [key, etime] of slot.seen) {
      if (etime < oldest) {
        slot.seen.delete(key);
        slot.reportedSets.delete(key);
      }
    }
    slot.sig.windowRecords = kept;
  }

  function evaluate(horizon = Infinity): WatchMatch[] {
    const found: WatchMatch[] = [];
    for (const slot of slots) {
      evict(slot);
      if (!slot.dirty || !slot.sig.enabled) continue;
      slot.dirty = false;
      if (slot.direct) {
        for (const r of slot.passed) found.push(recordMatch(slot, r));
        slot.passed = [];
        continue;
      }
      let matches: Match[];
      try {
        const runner = createQueryRunner(slot.sig.query);
        for (const r of slot.window) runner.push(r);
        matches = runner.finish().matches;
        slot.sig.error = undefined;
      } catch (err) {
        slot.sig.error = (err as Error).message;
        continue;
      }
      for (const m of matches) {
        const ids = m.flows.map((f) => f.rec_id).sort((a, b) => a - b);
        const key = ids.join(',');
        if (slot.seen.has(key) || grewFrom(slot.reportedSets, ids)) continue;
        let newest = -Infinity;
        for (const f of m.flows) if (f.etime > newest) newest = f.etime;
        if (slot.settleMs > 0 && newest + slot.settleMs > horizon) {
          // absence not yet certain: look again at the next evaluation
          slot.dirty = true;
          continue;
        }
        slot.seen.set(key, newest);
        slot.reportedSets.set(key, new Set(ids));
        slot.sig.matches++;
        const branches = new Map<number, string[]>();
        for (const g of m.groups) {
          for (const r of g.group.members) {
            const list = branches.get(r.rec_id) ?? [];
            const label = branchLabel(slot.sig.query, g.branch);
            if (!list.includes(label)) list.push(label);
            branches.set(r.rec_id, list);
          }
        }
        found.push({ match: { ...m, match: slot.sig.matches }, signature: slot.sig.name, seq: 0, branches, key });
      }
    }
    // in signature order, each signature's matches in the runner's order: as `flowsig query` prints them
    for (const f of found) f.seq = ++seq;
    return found;
  }

  function setEnabled(name: string, enabled: boolean): void {
    for (const slot of slots) {
      if (slot.sig.name !== name || slot.sig.enabled === enabled) continue;
      slot.sig.enabled = enabled;
      if (!enabled) {
        // a disabled signature keeps no window; enabled again, it starts from the records that come next
        slot.window = [];
        slot.passed = [];
        slot.sig.windowRecords = 0;
        slot.dirty = false;
      }
    }
  }

  return {
    push,
    evaluate,
    setEnabled,
    signatures: slots.map((s) => s.sig),
    windowMs,
    get now() {
      return now;
    },
    get reported() {
      return seq;
    },
  };
}

/** A filter-only signature's match: the record itself, shaped as the query runner shapes it (src/nfql/exec/run.ts). */
function recordMatch(slot: Slot, r: FlowRecord): WatchMatch {
  const sig = slot.sig;
  sig.matches++;
  const branch = sig.query.branches[0]?.name ?? '';
  const match: Match = {
    signature: sig.name,
    match: sig.matches,
    stime: r.stime,
    etime: r.etime,
    hosts: [r.srcip, r.dstip].filter((h, j, a) => typeof h === 'string' && a.indexOf(h) === j),
    flows: [r],
    groups: [{ branch, group: { id: sig.matches - 1, members: [r], stime: r.stime, etime: r.etime, fields: r } }],
  };
  return { match, signature: sig.name, seq: 0, branches: new Map([[r.rec_id, [branchLabel(sig.query, branch)]]]), key: String(r.rec_id) };
}

/**
 * Whether a match holds every record of one already reported: the same incident, grown (a group
 * that gained records after it first passed its group filter). Its first report stands.
 */
function grewFrom(reported: ReadonlyMap<string, ReadonlySet<number>>, ids: readonly number[]): boolean {
  for (const set of reported.values()) {
    if (set.size >= ids.length) continue;
    let all = true;
    for (const id of set) {
      if (!ids.includes(id)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

/** A branch's name for people: a query without a merger has one unnamed branch, called by its filter's name. */
function branchLabel(q: CheckedQuery, branch: string): string {
  return branch || q.branches[0]?.filter?.name || 'output';
}

/** One predicate per distinct branch filter (Skype's three login branches share theirs). */
function uniqueFilters(q: CheckedQuery): ((r: FlowRecord) => boolean)[] {
  const seen = new Set<string>();
  const out: ((r: FlowRecord) => boolean)[] = [];
  for (const b of q.branches) {
    const key = b.filter ? JSON.stringify(b.filter.rules, (k, v) => (k === 'pos' ? undefined : v)) : '-';
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(compileFilter(b.filter));
  }
  return out;
}

/** The window for a set of signatures: the longest any needs, DEFAULT_WINDOW_MS when one is unbounded (or none is loaded). */
export function windowFor(needed: readonly (number | undefined)[]): number {
  if (needed.length === 0 || needed.some((n) => n === undefined)) return DEFAULT_WINDOW_MS;
  return Math.max(...(needed as number[]));
}

/**
 * How much record time one match of `q` can span, from its time constraints,
 * or undefined when they do not bound it. A match's records must all be in
 * the window at once, so this is the window the signature needs.
 *
 * Bounded when every branch holds one record whose duration its filter
 * bounds (no grouper, or a group filter pinning `n = 1`), and every Allen
 * relation between branches that allows a gap (`<`, `>`, `m`, `mi`) limits
 * it with `delta`: then a match spans at most the sum of the branches'
 * longest durations plus the allowed gaps.
 */
export function signatureWindowMs(q: CheckedQuery): number | undefined {
  let total = 0;
  for (const b of q.branches) {
    if (b.grouper && !pinsSingleRecord(b.groupfilter?.rules ?? [])) return undefined;
    const longest = durationBound(b.filter?.rules ?? []);
    if (longest === undefined) return undefined;
    total += longest;
  }
  for (const mod of q.merger?.modules ?? []) {
    for (const rule of mod.rules) {
      for (const term of rule.terms) {
        if (term.kind !== 'allen') continue;
        const gap = ['before', 'after', 'meets', 'metby'].includes(term.relation);
        if (!gap) continue;
        if (term.delta === undefined || term.delta.kind !== 'number') return undefined;
        // a plain number is milliseconds (docs/nfql.md)
        total += literalValue(term.delta);
      }
    }
  }
  return total;
}

/**
 * How far after a match's members a reject module can reach (ms): the largest `delta` in its rules
 * (Allen relations and comparisons alike); 0 without reject modules; undefined when a reject module
 * states no bound (the caller waits a whole window).
 */
export function rejectReachMs(q: CheckedQuery): number | undefined {
  const merger = q.merger;
  if (merger === undefined) return 0;
  let reach = 0;
  for (const mod of merger.modules) {
    if (merger.exports.includes(mod.name)) continue;
    let bound: number | undefined;
    for (const rule of mod.rules) {
      for (const term of rule.terms) {
        const d = term.kind === 'allen' ? term.delta : term.kind === 'cmp' ? term.delta?.value : undefined;
        if (d !== undefined && d.kind === 'number') bound = Math.max(bound ?? 0, literalValue(d));
      }
    }
    if (bound === undefined) return undefined;
    reach = Math.max(reach, bound);
  }
  return reach;
}

/** The largest duration (ms) the rules allow, from a single-term rule `duration in [a, b]`, `< x`, `<= x` or `= x`. */
function durationBound(rules: readonly Rule[]): number | undefined {
  let bound: number | undefined;
  for (const rule of rules) {
    if (rule.terms.length !== 1) continue;
    const t = rule.terms[0];
    if (t.kind !== 'cmp' || t.left.kind !== 'field' || t.left.name !== 'duration') continue;
    let hi: Expr | undefined;
    if (t.op === 'in' && t.right.kind === 'range') hi = t.right.hi;
    else if (t.op === '<' || t.op === '<=' || t.op === '=') hi = t.right;
    if (hi === undefined || hi.kind !== 'number') continue;
    const ms = literalValue(hi);
    bound = bound === undefined ? ms : Math.min(bound, ms);
  }
  return bound;
}

function pinsSingleRecord(rules: readonly Rule[]): boolean {
  return rules.some((r) => r.terms.length === 1 && r.terms[0].kind === 'cmp' && r.terms[0].op === '='
    && r.terms[0].left.kind === 'field' && r.terms[0].left.name === 'n' && r.terms[0].right.kind === 'number' && r.terms[0].right.value === 1);
}
