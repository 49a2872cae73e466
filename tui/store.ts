/**
 * The one store the screens read. It copies what they show out of the watch
 * session (src/watch/session.ts) `fps` times a second, into an
 * immutable snapshot: the pipeline never waits for the screen, and a burst
 * of matches costs one list update per refresh (the list is bounded).
 */
import type { FieldDef } from '../src/flow/fields.js';
import type { ActiveFlow } from '../src/flow/meter.js';
import type { FlowRecord } from '../src/flow/record.js';
import type { WatchMatch, WatchSignature } from '../src/watch/continuous.js';
import type { WatchSession, WatchStats } from '../src/watch/session.js';

/** matches kept for the screen (newest); the counts per signature keep counting */
export const MAX_SCREEN_MATCHES = 1000;
/** open flows copied per refresh */
export const ACTIVE_FLOWS_SHOWN = 300;

export interface SignatureView {
  name: string;
  file: string;
  enabled: boolean;
  matches: number;
  windowRecords: number;
  neededWindowMs: number | undefined;
  error: string | undefined;
}

export interface WatchSnapshot {
  stats: WatchStats;
  /** newest first */
  matches: readonly WatchMatch[];
  signatures: readonly SignatureView[];
  /** most recently active first */
  active: readonly ActiveFlow[];
  /** newest last */
  recent: readonly FlowRecord[];
  fields: readonly FieldDef[];
}

export interface WatchStore {
  get(): WatchSnapshot;
  subscribe(listener: () => void): () => void;
  setEnabled(name: string, enabled: boolean): void;
  /** whether a screen showing flows is open: the open and recent flows are copied only then */
  showFlows?(on: boolean): void;
}

const signatureView = (s: WatchSignature): SignatureView => ({
  name: s.name, file: s.file, enabled: s.enabled, matches: s.matches, windowRecords: s.windowRecords, neededWindowMs: s.neededWindowMs, error: s.error,
});

/** A store over a live session; call `addMatch` from the session's onMatch, `close` when done. */
export function createSessionStore(session: WatchSession, fps = 10): WatchStore & { addMatch(m: WatchMatch): void; refresh(): void; close(): void } {
  let matches: WatchMatch[] = [];
  let pending: WatchMatch[] = [];
  const listeners = new Set<() => void>();
  let flows = false;
  let snapshot = build();

  function build(): WatchSnapshot {
    if (pending.length > 0) {
      matches = [...pending.reverse(), ...matches].slice(0, MAX_SCREEN_MATCHES);
      pending = [];
    }
    return {
      stats: session.stats(),
      matches,
      signatures: session.engine.signatures.map(signatureView),
      active: flows ? session.activeFlows(ACTIVE_FLOWS_SHOWN) : [],
      recent: flows ? session.recentFlows() : [],
      fields: session.fields,
    };
  }

  function refresh(): void {
    snapshot = build();
    for (const l of listeners) l();
  }

  const timer = setInterval(refresh, Math.max(1, Math.round(1000 / fps)));
  return {
    get: () => snapshot,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    setEnabled(name, enabled) {
      session.engine.setEnabled(name, enabled);
      refresh();
    },
    showFlows(on) {
      if (on === flows) return;
      flows = on;
      if (on) refresh();
    },
    addMatch(m) {
      pending.push(m);
      if (pending.length > MAX_SCREEN_MATCHES) pending.splice(0, pending.length - MAX_SCREEN_MATCHES);
    },
    refresh,
    close() {
      clearInterval(timer);
    },
  };
}

/** A store over fixed data (component tests, screenshots). */
export function createStaticStore(snapshot: WatchSnapshot): WatchStore & { set(s: WatchSnapshot): void } {
  let current = snapshot;
  const listeners = new Set<() => void>();
  return {
    get: () => current,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    setEnabled(name, enabled) {
      current = { ...current, signatures: current.signatures.map((s) => (s.name === name ? { ...s, enabled } : s)), stats: { ...current.stats } };
      for (const l of listeners) l();
    },
    set(s) {
      current = s;
      for (const l of listeners) l();
    },
  };
}
