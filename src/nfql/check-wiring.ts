/**
 * The wiring: arrow chains → branches. Each branch runs
 * [filter] → [grouper] → [groupfilter] and ends at the merger (or, in a
 * query without merger, at the ungrouper or the output). A stage definition
 * may appear in several branches. A line may continue a branch that another
 * line left at a stage (`S branch A -> f` then `f -> g -> M`).
 */
import type { Chain, FilterDef, GroupFilterDef, GrouperDef, MergerDef, Pos, Query, SplitterDef, StageDef, UngrouperDef, WireItem } from './ast.js';
import { type Diagnostics, q } from './errors.js';
import { printWireItem } from './printer.js';
import { closest } from './suggest.js';

export interface BranchPath {
  /** '' for the one branch of a query without splitter */
  name: string;
  pos: Pos;
  /** of the text that declares it (`S branch A`), for carets */
  length: number;
  filter?: FilterDef;
  grouper?: GrouperDef;
  groupfilter?: GroupFilterDef;
  /** the first stage, for a branch straight from the input */
  entry?: string;
  /** the last stage reached, where a continuation line picks the branch up */
  last?: StageDef;
  /** reached the merger, the ungrouper or the output */
  ended: boolean;
  merger?: MergerDef;
}

export interface Wiring {
  branches: BranchPath[];
  splitter?: SplitterDef;
  merger?: MergerDef;
  /** the ungrouper after the merger (or after the single branch) */
  ungrouper?: UngrouperDef;
  /** the wiring to print: as written, or made explicit for a filter-only query */
  chains: Chain[];
}

const SLOT = { filter: 0, grouper: 1, groupfilter: 2 } as const;
const KIND_NAMES: Readonly<Record<StageDef['kind'], string>> = {
  filter: 'filter',
  grouper: 'grouper',
  groupfilter: 'group filter',
  merger: 'merger',
  ungrouper: 'ungrouper',
  splitter: 'splitter',
};

/** Where each kind of stage goes, for "defined but not wired". */
const UNWIRED_HINTS: Readonly<Record<StageDef['kind'], string>> = {
  splitter: '"input" -> X',
  filter: 'S branch A -> X -> …',
  grouper: 'S branch A -> … -> X -> …',
  groupfilter: 'S branch A -> … -> X -> M',
  merger: 'S branch A -> … -> X',
  ungrouper: 'M -> X -> "output"',
};

export function stageLabel(s: StageDef): string {
  return `${KIND_NAMES[s.kind]} ${q(s.name)}`;
}

/** The length of `kind name` at a stage's position, for carets. */
export function stageLength(s: StageDef): number {
  return s.kind.length + 1 + s.name.length;
}

type Resolved = { item: WireItem; def?: StageDef };

export function checkWiring(query: Query, stages: ReadonlyMap<string, StageDef>, diags: Diagnostics): Wiring | undefined {
  const defs = query.stages;
  if (query.wiring.length === 0) {
    if (defs.length === 1 && defs[0].kind === 'filter') {
      const f = defs[0];
      const chain: Chain = { items: [{ kind: 'io', text: 'input', pos: f.pos }, { kind: 'stage', name: f.name, pos: f.pos }, { kind: 'io', text: 'output', pos: f.pos }], pos: f.pos };
      return { branches: [{ name: '', pos: f.pos, length: stageLength(f), filter: f, last: f, ended: true }], chains: [chain] };
    }
    if (defs.length === 0) {
      diags.error({ line: 1, col: 1, offset: 0 }, 'the query is empty', { hint: 'the smallest query is one filter: `filter f { dstport = 443 }`' });
      return undefined;
    }
    diags.error(defs[0].pos, 'the query has no wiring', { length: stageLength(defs[0]), hint: wiringHint(defs) });
    return undefined;
  }

  // Resolve names; a line with an unknown stage is left out of the assembly.
  const lines: Resolved[][] = [];
  let resolvedAll = true;
  for (const chain of query.wiring) {
    let ok = true;
    const items = chain.items.map((item, idx): Resolved => {
      if (item.kind === 'io') {
        if (idx !== 0 && idx !== chain.items.length - 1) {
          diags.error(item.pos, `the placeholder "${item.text}" can only start or end a wiring line`, { length: item.text.length + 2 });
          ok = false;
        }
        return { item };
      }
      const name = item.kind === 'stage' ? item.name : item.splitter;
      const def = stages.get(name);
      if (def === undefined) {
        const near = closest(name, stages.keys());
        diags.error(item.pos, `unknown stage ${q(name)}`, { length: name.length, ...(near ? { hint: `did you mean ${q(near)}?` } : { hint: 'define it, e.g. `filter ' + name + ' { … }`' }) });
        ok = false;
        return { item };
      }
      if (item.kind === 'branch' && def.kind !== 'splitter') {
        diags.error(item.pos, `${stageLabel(def)} has no branches; \`${item.written}\` follows a splitter`, { length: printWireItem(item).length, hint: 'define a splitter (`splitter S {}`) and write `S branch A -> …`' });
        ok = false;
      }
      return { item, def };
    });
    lines.push(items);
    if (!ok) resolvedAll = false;
  }
  if (!resolvedAll) return undefined;
  if (findCycle(lines, diags)) return undefined;

  const splitter = defs.find((d): d is SplitterDef => d.kind === 'splitter');
  const merger = defs.find((d): d is MergerDef => d.kind === 'merger');
  const branches: BranchPath[] = [];
  const byName = new Map<string, BranchPath>();
  let inputPos: Pos | undefined;
  let ungrouper: UngrouperDef | undefined;
  let mergerReached = false;
  let failed = false;

  const fail = (pos: Pos, message: string, length: number, hint?: string) => {
    diags.error(pos, message, { length, ...(hint ? { hint } : {}) });
    failed = true;
  };

  /** The tail after the merger (or the single branch): [ungrouper] ["output"]. */
  const walkTail = (items: Resolved[], from: number, after: StageDef) => {
    let prev = after;
    for (let i = from; i < items.length; i++) {
      const { item, def } = items[i];
      if (item.kind === 'io') return;
      if (def?.kind === 'ungrouper' && prev.kind !== 'ungrouper') {
        if (ungrouper && ungrouper !== def) return fail(item.pos, `${stageLabel(prev)} is followed by two ungroupers, ${q(ungrouper.name)} and ${q(def.name)}`, def.name.length);
        ungrouper = def;
        prev = def;
        continue;
      }
      const label = def ? stageLabel(def) : printWireItem(item);
      return fail(item.pos, `${label} cannot follow ${stageLabel(prev)}`, printWireItem(item).length, prev.kind === 'ungrouper' ? 'an ungrouper is last: only the output can follow it' : `only an ungrouper can follow ${stageLabel(prev)}: \`${prev.name} -> U -> "output"\``);
    }
  };

  /** Add items[from…] to branch `b`; returns false when the line had to stop. */
  const walkBranch = (b: BranchPath, items: Resolved[], from: number) => {
    for (let i = from; i < items.length; i++) {
      const { item, def } = items[i];
      if (item.kind === 'io') {
        if (merger) return fail(item.pos, `branch ${q(b.name)} reaches the output without passing merger ${q(merger.name)}`, item.text.length + 2, `end the branch with \`-> ${merger.name}\``);
        b.ended = true;
        return;
      }
      if (def === undefined) return;
      if (item.kind === 'branch') return fail(item.pos, `a wiring line names one branch; ${q(printWireItem(item))} starts another`, printWireItem(item).length, 'put each branch on its own line');
      switch (def.kind) {
        case 'filter':
        case 'grouper':
        case 'groupfilter': {
          const slot = SLOT[def.kind];
          const taken = b[def.kind];
          if (taken) return fail(item.pos, `branch ${q(b.name)} has two ${KIND_NAMES[def.kind]}s, ${q(taken.name)} and ${q(def.name)}`, def.name.length, def.kind === 'grouper' ? 'a branch has one grouper' : 'rules are AND-ed: put them into one stage');
          const later = (['groupfilter', 'grouper', 'filter'] as const).find((k) => SLOT[k] > slot && b[k]);
          if (later) return fail(item.pos, `${stageLabel(def)} comes after ${stageLabel(b[later]!)} in branch ${q(b.name)}`, def.name.length, 'a branch runs filter -> grouper -> groupfilter -> merger');
          (b as unknown as Record<string, StageDef>)[def.kind] = def;
          b.last = def;
          break;
        }
        case 'merger':
          b.merger = def;
          b.ended = true;
          b.last = def;
          mergerReached = true;
          return walkTail(items, i + 1, def);
        case 'ungrouper':
          if (merger) return fail(item.pos, `${stageLabel(def)} must follow merger ${q(merger.name)}`, def.name.length, `end the branch with \`-> ${merger.name}\` and add \`${merger.name} -> ${def.name}\``);
          if (ungrouper && ungrouper !== def) return fail(item.pos, `two ungroupers, ${q(ungrouper.name)} and ${q(def.name)}`, def.name.length);
          ungrouper = def;
          b.ended = true;
          b.last = def;
          return walkTail(items, i + 1, def);
        case 'splitter':
          return fail(item.pos, `${stageLabel(def)} cannot sit inside branch ${q(b.name)}`, def.name.length, `a splitter starts the wiring: \`"input" -> ${def.name}\`, \`${def.name} branch A -> …\``);
      }
    }
  };

  const newBranch = (name: string, pos: Pos, length: number): BranchPath | undefined => {
    const seen = byName.get(name);
    if (seen) {
      fail(pos, name === '' ? 'the input is wired twice' : `branch ${q(name)} is wired twice`, length, `it was first wired on line ${seen.pos.line}`);
      return undefined;
    }
    const b: BranchPath = { name, pos, length, ended: false };
    byName.set(name, b);
    branches.push(b);
    return b;
  };

  const pending: Resolved[][] = [];
  for (const items of lines) {
    const [head] = items;
    if (head.item.kind === 'io') {
      if (inputPos) {
        fail(head.item.pos, 'the input is wired twice', head.item.text.length + 2, `it was first wired on line ${inputPos.line}`);
        continue;
      }
      inputPos = head.item.pos;
      const second = items[1];
      if (second === undefined || second.def === undefined) continue;
      if (second.item.kind === 'branch') {
        const b = newBranch((second.item as { branch: string }).branch, second.item.pos, printWireItem(second.item).length);
        if (b) walkBranch(b, items, 2);
      } else if (second.def.kind === 'splitter') {
        if (items.length > 2) {
          const third = items[2];
          fail(third.item.pos, `records leave splitter ${q(second.def.name)} by named branches`, printWireItem(third.item).length, `write \`${second.def.name} branch A -> ${printWireItem(third.item)}\``);
        }
      } else if (second.def.kind === 'merger' || second.def.kind === 'ungrouper') {
        fail(second.item.pos, `${stageLabel(second.def)} cannot take records straight from the input`, second.def.name.length, 'records reach it through a branch: `"input" -> S`, `S branch A -> f -> M`');
      } else {
        const b = newBranch('', second.item.pos, second.def.name.length);
        if (b) {
          b.entry = second.def.name;
          walkBranch(b, items, 1);
        }
      }
    } else if (head.item.kind === 'branch') {
      const b = newBranch(head.item.branch, head.item.pos, printWireItem(head.item).length);
      if (b) walkBranch(b, items, 1);
    } else {
      pending.push(items);
    }
  }

  // Lines that start at a stage continue what another line left there.
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    for (let k = 0; k < pending.length; k++) {
      const items = pending[k];
      const head = items[0];
      const def = head.def!;
      let done = true;
      if (def.kind === 'merger') {
        walkTail(items, 1, def);
      } else if (def.kind === 'ungrouper') {
        if (ungrouper === def) walkTail(items, 1, def);
        else done = false;
      } else if (def.kind === 'splitter') {
        fail(head.item.pos, `records leave splitter ${q(def.name)} by named branches`, def.name.length, `write \`${def.name} branch A -> ${items[1] ? printWireItem(items[1].item) : '…'}\``);
      } else {
        const open = branches.filter((b) => !b.ended && b.last === def);
        if (open.length === 1) walkBranch(open[0], items, 1);
        else if (open.length > 1)
          fail(head.item.pos, `${stageLabel(def)} ends several branches (${open.map((b) => q(b.name)).join(', ')}); this line could continue any of them`, def.name.length, 'continue each branch on its own line, from its `S branch A -> …`');
        else done = false;
      }
      if (done) {
        pending.splice(k--, 1);
        progress = true;
      }
    }
  }
  for (const items of pending) {
    const head = items[0];
    fail(head.item.pos, `nothing leads to ${stageLabel(head.def!)}`, head.def!.name.length, 'start the line with the branch it belongs to: `S branch A -> …`');
  }
  if (failed) return undefined;

  // Whole-query rules.
  if (splitter && branches.every((b) => b.name === '')) {
    fail(splitter.pos, `${stageLabel(splitter)} has no branches`, stageLength(splitter), `wire them: \`${splitter.name} branch A -> …\``);
  }
  const unnamed = byName.get('');
  if (splitter && unnamed && branches.length > 1) {
    fail(unnamed.pos, `records go straight from the input into ${q(unnamed.entry ?? '')} although splitter ${q(splitter.name)} splits them into branches`, unnamed.length, `start the line with a branch: \`${splitter.name} branch A -> …\``);
  } else if (merger && unnamed) {
    fail(unnamed.pos, `records go straight from the input into ${q(unnamed.entry ?? '')}, but merger ${q(merger.name)} joins named branches`, unnamed.length, 'define a splitter and name the branches: `"input" -> S`, `S branch A -> …`');
  } else if (merger) {
    for (const b of branches) {
      if (b.merger !== merger)
        fail(b.pos, `branch ${q(b.name)} is wired to no merger`, b.length, `end it with \`-> ${merger.name}\``);
    }
    if (mergerReached && !ungrouper)
      fail(merger.pos, `${stageLabel(merger)} is not followed by an ungrouper`, stageLength(merger), `add \`ungrouper U {}\` and the line \`${merger.name} -> U -> "output"\``);
  } else if (branches.length > 1) {
    for (const b of branches.slice(1))
      fail(b.pos, `branch ${q(b.name)} is wired to no merger`, b.length, 'branches meet in a merger: define one (`merger M { branches A, B … }`) and end every branch with `-> M`');
  }
  const wired = new Set<string>();
  for (const items of lines) for (const r of items) if (r.def) wired.add(r.def.name);
  for (const d of defs) {
    if (!wired.has(d.name)) fail(d.pos, `${stageLabel(d)} is defined but not wired`, stageLength(d), `wire it: \`${UNWIRED_HINTS[d.kind].replace('X', d.name)}\``);
  }
  if (failed) return undefined;
  return { branches, ...(splitter ? { splitter } : {}), ...(merger ? { merger } : {}), ...(ungrouper ? { ungrouper } : {}), chains: query.wiring };
}

/** Reports the first cycle among stages; true when there is one. */
function findCycle(lines: Resolved[][], diags: Diagnostics): boolean {
  const edges = new Map<string, { to: string; pos: Pos; length: number }[]>();
  for (const items of lines) {
    for (let i = 0; i + 1 < items.length; i++) {
      const a = items[i].def;
      const b = items[i + 1].def;
      if (!a || !b) continue;
      const list = edges.get(a.name) ?? [];
      list.push({ to: b.name, pos: items[i + 1].item.pos, length: printWireItem(items[i + 1].item).length });
      edges.set(a.name, list);
    }
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): boolean => {
    state.set(n, 'open');
    stack.push(n);
    for (const e of edges.get(n) ?? []) {
      const s = state.get(e.to);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(e.to)), e.to];
        diags.error(e.pos, `the wiring has a cycle: ${cycle.join(' -> ')}`, { length: e.length, hint: 'records flow one way: splitter, branches, merger, ungrouper' });
        return true;
      }
      if (s === undefined && visit(e.to)) return true;
    }
    stack.pop();
    state.set(n, 'done');
    return false;
  };
  for (const n of edges.keys()) if (!state.has(n) && visit(n)) return true;
  return false;
}

/** A wiring suggestion for a query that has none. */
function wiringHint(defs: readonly StageDef[]): string {
  const splitter = defs.find((d) => d.kind === 'splitter');
  if (splitter) return `wire the stages, e.g. \`"input" -> ${splitter.name}\`, \`${splitter.name} branch A -> … -> M\`, \`M -> U -> "output"\``;
  const order = ['filter', 'grouper', 'groupfilter', 'ungrouper'];
  const chain = order.flatMap((k) => defs.filter((d) => d.kind === k).slice(0, 1).map((d) => d.name));
  return `wire the stages, e.g. \`"input" -> ${chain.join(' -> ')} -> "output"\` (only a query made of one filter may leave the wiring out)`;
}
