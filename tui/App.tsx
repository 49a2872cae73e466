/**
 * The watch screen: a header and one of the screens below it, all driven
 * from the keyboard (keys in screens/Help.tsx). Pure: everything shown comes
 * from the store's snapshot; the component state is only where the user is.
 */
import { Box, useInput } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useSyncExternalStore } from 'react';
import { compileFlowFilter } from './filter.js';
import { Flows, FLOW_SORTS, type FlowSort } from './screens/Flows.js';
import { Header } from './screens/Header.js';
import { Help } from './screens/Help.js';
import { MatchDetail } from './screens/MatchDetail.js';
import { Matches } from './screens/Matches.js';
import { Signatures } from './screens/Signatures.js';
import type { WatchSnapshot, WatchStore } from './store.js';

export type Screen = 'matches' | 'detail' | 'flows' | 'signatures' | 'help';
const CYCLE: readonly Screen[] = ['matches', 'flows', 'signatures', 'help'];

export interface AppProps {
  store: WatchStore;
  /** q or ctrl-c */
  onQuit(): void;
  /** terminal rows, for list lengths */
  rows?: number;
  /** false when standard input is not a terminal: no keys (Ink cannot read raw keys from a pipe) */
  interactive?: boolean;
}

interface UiState {
  screen: Screen;
  /** where esc from help returns */
  back: Screen;
  /** the selected match by identity, so new matches arriving on top do not move the selection */
  selectedKey: string | undefined;
  sort: FlowSort;
  filterText: string;
  editing: boolean;
  sigIndex: number;
  /** first flow shown in the match detail */
  detailFirst: number;
}

const matchId = (m: { key: string; signature: string }) => `${m.signature} ${m.key}`;

export function App({ store, onQuit, rows = 40, interactive = true }: AppProps) {
  const snap = useSyncExternalStore(store.subscribe, store.get, store.get);
  // UI state lives in a ref that key handling updates synchronously: keys typed
  // faster than React re-renders (a paste, a test) each see the state the one
  // before left, which closures over useState would not
  const ui = useRef<UiState>({ screen: 'matches', back: 'matches', selectedKey: undefined, sort: 'bytes', filterText: '', editing: false, sigIndex: 0, detailFirst: 0 });
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const state = ui.current;
  const filter = useMemo(() => compileFlowFilter(state.filterText), [state.filterText]);

  const body = Math.max(5, rows - 9);
  /** flows the detail shows at once (two lines each) */
  const detailFits = Math.max(1, Math.floor((body - 6) / 2));
  const indexOf = (matches: WatchSnapshot['matches'], key: string | undefined) => Math.max(0, key === undefined ? 0 : matches.findIndex((m) => matchId(m) === key));

  useInput((input, key) => {
    const s = ui.current;
    const now = store.get();
    const go = (to: Screen) => {
      if (to === 'help' && s.screen !== 'help') s.back = s.screen;
      s.screen = to;
    };
    const selectMatch = (i: number) => {
      const m = now.matches[Math.max(0, Math.min(i, now.matches.length - 1))];
      if (m) s.selectedKey = matchId(m);
    };
    handle();
    rerender();

    function handle(): void {
      if (s.editing) {
        if (key.return) s.editing = false;
        else if (key.escape) {
          s.editing = false;
          s.filterText = '';
        } else if (key.backspace || key.delete) s.filterText = s.filterText.slice(0, -1);
        else if (input && !key.ctrl && !key.meta) s.filterText += input;
        return;
      }
      if (input === 'q' || (key.ctrl && input === 'c')) {
        onQuit();
        return;
      }
      if (key.tab) {
        const at = CYCLE.indexOf(s.screen === 'detail' ? 'matches' : s.screen);
        go(CYCLE[(at + (key.shift ? CYCLE.length - 1 : 1)) % CYCLE.length]);
        return;
      }
      if (input === '?') return go('help');
      if (key.escape) {
        if (s.screen === 'help') s.screen = s.back;
        else if (s.screen === 'flows' && s.filterText) s.filterText = '';
        else s.screen = 'matches';
        return;
      }
      if (input === 'm') return go('matches');
      if (input === 'f') return go('flows');
      if (input === 's') return go('signatures');
      const up = key.upArrow || input === 'k';
      const down = key.downArrow || input === 'j';
      const at = indexOf(now.matches, s.selectedKey);
      switch (s.screen) {
        case 'matches':
          if (up) selectMatch(at - 1);
          else if (down) selectMatch(at + 1);
          else if (key.pageUp) selectMatch(at - 10);
          else if (key.pageDown) selectMatch(at + 10);
          else if (key.return && now.matches.length > 0) {
            selectMatch(at);
            s.detailFirst = 0;
            s.screen = 'detail';
          }
          break;
        case 'detail': {
          const last = Math.max(0, (now.matches[at]?.match.flows.length ?? 0) - detailFits);
          if (up) s.detailFirst = Math.max(0, Math.min(last, s.detailFirst) - 1);
          else if (down) s.detailFirst = Math.min(last, s.detailFirst + 1);
          break;
        }
        case 'flows':
          if (input >= '1' && input <= '5') s.sort = FLOW_SORTS[Number(input) - 1];
          else if (input === '/') s.editing = true;
          break;
        case 'signatures': {
          const n = now.signatures.length;
          if (up) s.sigIndex = Math.max(0, s.sigIndex - 1);
          else if (down) s.sigIndex = Math.min(n - 1, s.sigIndex + 1);
          else if (input === ' ' && now.signatures[s.sigIndex]) store.setEnabled(now.signatures[s.sigIndex].name, !now.signatures[s.sigIndex].enabled);
          break;
        }
        default:
          break;
      }
    }
  }, { isActive: interactive });

  const { screen, sort, filterText, editing, sigIndex } = state;
  // the store copies flows only while they are on screen
  useEffect(() => store.showFlows?.(screen === 'flows'), [store, screen]);
  const matchIndex = indexOf(snap.matches, state.selectedKey);
  const detail = screen === 'detail' ? snap.matches[matchIndex] : undefined;
  return (
    <Box flexDirection="column">
      <Header snap={snap} screen={screen} />
      {screen === 'matches' || (screen === 'detail' && !detail) ? <Matches snap={snap} selected={matchIndex} rows={body} /> : null}
      {detail ? <MatchDetail m={detail} first={state.detailFirst} rows={body - 6} /> : null}
      {screen === 'flows' ? <Flows snap={snap} sort={sort} filterText={filterText} editing={editing} filter={filter} rows={body - 6} /> : null}
      {screen === 'signatures' ? <Signatures snap={snap} selected={sigIndex} /> : null}
      {screen === 'help' ? <Help /> : null}
    </Box>
  );
}
