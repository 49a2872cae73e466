/**
 * The grouper (docs/nfql.md §4): partitions one branch's records into
 * groups. Modules are OR-ed, the rules of a module AND-ed; a record joins
 * the first open group (in creation order) that one of the modules accepts,
 * never more than one, else it starts a group of its own.
 *
 * A rule `a op b` compares field `a` of the group's first record (or, with
 * `rdelta`, of the last record added) with field `b` of the incoming record;
 * `delta`/`rdelta d` make it a tolerance (values.ts withinDelta).
 *
 * Records are taken in start-time order, so the records of a group are in
 * start-time order and "last added" means "latest start".
 *
 * No Cartesian work: each module keeps its open groups in hash buckets keyed
 * on its equality rules (the first record's `a` fields; an incoming record
 * probes with its `b` fields), and a module whose rules bound the incoming
 * record's stime from above (`etime < stime rdelta 500ms`, `stime = stime
 * delta 5s`, `stime > stime`) retires a group from its buckets once the
 * clock has passed that bound — records come in start order, so such a
 * group can never accept again. What remains is scanned in creation order.
 */
import type { Comparison, GrouperDef, GrouperModule } from '../ast.js';
import { lookupField } from '../../flow/fields.js';
import type { FlowRecord } from '../../flow/record.js';
import { deltaValue, ExecError } from './expr.js';
import { aggregate, type Group, singletonGroup } from './group.js';
import { TupleMap } from './tuplemap.js';
import { ordered, valuesEqual, withinDelta } from './values.js';

export interface ExecCounters {
  /** rule evaluations in groupers and mergers (instrumentation for the complexity tests) */
  ruleEvaluations: number;
}

/** A group while records are still coming: the Group it becomes, plus the grouper's bookkeeping. */
interface Building extends Group {
  /** modules that can still take a record: at 0 the group is finished */
  live: number;
  first: FlowRecord;
  last: FlowRecord;
  fields: Record<string, unknown>;
}

/** Open groups of one module with the same key, in creation order (retired ones are skipped, then swept out). */
type Bucket = Building[];

type Check = (first: FlowRecord, last: FlowRecord, rec: FlowRecord) => boolean;

/** An upper bound on an incoming record's stime: ref[field] + add */
interface Bound {
  ref: 'first' | 'last';
  field: string;
  add: number;
}

interface ModulePlan {
  /** equality rules without delta: first[groupKeys[i]] = rec[recordKeys[i]] */
  groupKeys: string[];
  recordKeys: string[];
  checks: Check[];
  bounds: Bound[];
  usesLast: boolean;
  /** open groups by the values of the equality rules (one bucket when there are none) */
  buckets: TupleMap<Bucket> | undefined;
  only: Bucket;
  /** reused for key look-ups */
  scratch: unknown[];
  /** sweep retired groups out of the buckets when there are this many */
  sweepAt: number;
  /** per group id: the module takes no record starting after this time (-Infinity: retired, or never indexed here) */
  expires: Float64Array;
  /** called once for each group the clock retires from this module */
  retire: (g: Building) => void;
}

const canonical = (name: string) => lookupField(name)?.name ?? name;

const SWEEP_MIN = 4096;
const RETIRED = -Infinity;

/**
 * Drops the groups the module can no longer take (and buckets left empty),
 * so that memory follows the open groups, not all groups ever made. Run
 * when the bucket count has doubled since the last sweep: amortized O(1).
 */
function sweep(plan: ModulePlan, now: number): void {
  plan.buckets?.retain((bucket) => {
    let live = 0;
    for (let i = 0; i < bucket.length; i++) {
      const g = bucket[i];
      const exp = plan.expires[g.id];
      if (exp !== RETIRED && exp < now) retire(plan, g);
      if (plan.expires[g.id] !== RETIRED) bucket[live++] = g;
    }
    bucket.length = live;
    return live > 0;
  });
  plan.sweepAt = Math.max(SWEEP_MIN, (plan.buckets?.size ?? 0) * 2);
}

function retire(plan: ModulePlan, g: Building): void {
  plan.expires[g.id] = RETIRED;
  plan.retire(g);
}

/** Room for group `id` in the per-group arrays. */
function reserve(plan: ModulePlan, id: number): void {
  if (id < plan.expires.length) return;
  const bigger = new Float64Array(Math.max(1024, plan.expires.length * 2));
  bigger.fill(RETIRED);
  bigger.set(plan.expires);
  plan.expires = bigger;
}

function planModule(m: GrouperModule): ModulePlan {
  const plan: ModulePlan = {
    groupKeys: [], recordKeys: [], checks: [], bounds: [], usesLast: false,
    buckets: undefined, only: [], scratch: [], sweepAt: SWEEP_MIN, expires: new Float64Array(0), retire: () => {},
  };
  for (const rule of m.rules) {
    if (rule.terms.length !== 1 || rule.terms[0].kind !== 'cmp') throw new ExecError('a grouper rule is one comparison of two fields');
    const t = rule.terms[0] as Comparison;
    if (t.left.kind !== 'field' || t.right.kind !== 'field') throw new ExecError('a grouper rule compares two fields');
    const a = canonical(t.left.name);
    const b = canonical(t.right.name);
    const op = t.op;
    if (!t.delta) {
      if (op === '=') {
        plan.groupKeys.push(a);
        plan.recordKeys.push(b);
        if (b === 'stime') plan.bounds.push({ ref: 'first', field: a, add: 0 });
        continue;
      }
      if (op === '!=') plan.checks.push((f, _l, r) => !valuesEqual(f[a], r[b]));
      else if (op === '<' || op === '<=' || op === '>' || op === '>=') plan.checks.push((f, _l, r) => ordered(op, f[a], r[b]));
      else throw new ExecError(`\`${op}\` is not a grouper operator`);
      if (b === 'stime' && (op === '>' || op === '>=')) plan.bounds.push({ ref: 'first', field: a, add: 0 });
      continue;
    }
    const d = deltaValue(t.delta.value);
    const ref = t.delta.kind === 'rdelta' ? 'last' : 'first';
    if (ref === 'last') {
      plan.usesLast = true;
      plan.checks.push((_f, l, r) => withinDelta(op, l[a], r[b], d));
    } else {
      plan.checks.push((f, _l, r) => withinDelta(op, f[a], r[b], d));
    }
    if (b === 'stime') plan.bounds.push({ ref, field: a, add: op === '>' || op === '>=' ? 0 : d });
  }
  if (plan.groupKeys.length > 0) plan.buckets = new TupleMap(plan.groupKeys.length);
  return plan;
}

/** The bucket of `rec`'s values of `fields` (creating it when asked). */
function bucketOf(plan: ModulePlan, rec: FlowRecord, fields: readonly string[], create: boolean, now: number): Bucket | undefined {
  if (!plan.buckets) return plan.only;
  const keys = plan.scratch;
  for (let i = 0; i < fields.length; i++) keys[i] = rec[fields[i]];
  let bucket = plan.buckets.get(keys);
  if (bucket || !create) return bucket;
  if (plan.bounds.length > 0 && plan.buckets.size >= plan.sweepAt) sweep(plan, now);
  bucket = [];
  return plan.buckets.set(keys, bucket) ? bucket : undefined;
}

function expiry(plan: ModulePlan, g: Building): number {
  let t = Infinity;
  for (const b of plan.bounds) {
    const v = (b.ref === 'first' ? g.first : g.last)[b.field];
    if (typeof v !== 'number') return -Infinity;
    if (v + b.add < t) t = v + b.add;
  }
  return t;
}

/** Is `records` in start-time order already? (flow files often are; the meter's output is in end order) */
function byStart(records: FlowRecord[]): FlowRecord[] {
  for (let i = 1; i < records.length; i++) {
    if (records[i].stime < records[i - 1].stime) {
      // Array.prototype.sort is stable: equal start times keep their input order
      return [...records].sort((x, y) => x.stime - y.stime);
    }
  }
  return records;
}

/**
 * Groups of one branch, in creation order, with their group records; only
 * those `keep` (the branch's group filter) accepts. A group the clock has
 * retired from every module is finished at once — aggregated, filtered, and
 * let go when the filter drops it — so memory follows the open groups and
 * the groups kept, not every group ever made.
 */
export function runGrouper(grouper: GrouperDef | undefined, input: FlowRecord[], counters: ExecCounters, keep: (g: Group) => boolean = () => true): Group[] {
  const records = byStart(input);
  if (!grouper) return records.map((r, i) => singletonGroup(r, i)).filter(keep);
  if (grouper.modules.length === 0) {
    // no module: every record is its own group, with the grouper's aggregates over that one record
    return records.map((r, i) => ({ ...singletonGroup(r, i), fields: aggregate(grouper, [r]) })).filter(keep);
  }
  const plans = grouper.modules.map(planModule);
  /** groups not finished yet, by id */
  const open: (Building | undefined)[] = [];
  const kept: Group[] = [];
  const finish = (g: Building) => {
    g.fields = aggregate(grouper, g.members);
    open[g.id] = undefined;
    if (keep(g)) kept.push(g);
  };
  for (const plan of plans)
    plan.retire = (g) => {
      if (--g.live === 0) finish(g);
    };

  for (let ri = 0; ri < records.length; ri++) {
    const rec = records[ri];
    const now = rec.stime;
    let best: Building | undefined;
    for (let mi = 0; mi < plans.length; mi++) {
      const plan = plans[mi];
      const bucket = bucketOf(plan, rec, plan.recordKeys, false, now);
      if (!bucket) continue;
      const expires = plan.expires;
      const checks = plan.checks;
      let retired = 0;
      for (let i = 0; i < bucket.length; i++) {
        const g = bucket[i];
        const exp = expires[g.id];
        if (exp === RETIRED) {
          retired++;
          continue;
        }
        if (exp < now) {
          retire(plan, g);
          retired++;
          continue;
        }
        if (best !== undefined && g.id >= best.id) break;
        let ok = true;
        for (let c = 0; c < checks.length; c++) {
          counters.ruleEvaluations++;
          if (!checks[c](g.first, g.last, rec)) {
            ok = false;
            break;
          }
        }
        if (ok) {
          best = g;
          break;
        }
      }
      if (retired > 16 && retired * 2 > bucket.length) {
        let live = 0;
        for (let i = 0; i < bucket.length; i++) if (expires[bucket[i].id] !== RETIRED) bucket[live++] = bucket[i];
        bucket.length = live;
      }
    }

    if (best !== undefined) {
      best.members.push(rec);
      best.last = rec;
      if (rec.etime > best.etime) best.etime = rec.etime;
      for (let mi = 0; mi < plans.length; mi++) {
        const plan = plans[mi];
        if (plan.usesLast && plan.expires[best.id] !== RETIRED) plan.expires[best.id] = expiry(plan, best);
      }
      continue;
    }

    const g: Building = { id: open.length, members: [rec], stime: rec.stime, etime: rec.etime, fields: NO_FIELDS, live: 0, first: rec, last: rec };
    open.push(g);
    for (let mi = 0; mi < plans.length; mi++) {
      const plan = plans[mi];
      reserve(plan, g.id);
      const bucket = bucketOf(plan, rec, plan.groupKeys, true, now);
      // absent keys: this module can never take a record into the group (its slot stays RETIRED)
      if (!bucket) continue;
      const exp = expiry(plan, g);
      if (exp === RETIRED) continue;
      plan.expires[g.id] = exp;
      bucket.push(g);
      g.live++;
    }
    // no module can ever take another record: finished already
    if (g.live === 0) finish(g);
  }

  for (const g of open) if (g) finish(g);
  return kept.sort((a, b) => a.id - b.id);
}

const NO_FIELDS: Record<string, unknown> = {};
