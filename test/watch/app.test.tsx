/**
 * Every screen and key of the watch UI, on the real match and flows of
 * captures/skype-bad-1.pcapng (fixtures.ts), through ink-testing-library.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../../tui/App.js';
import { createSessionStore, createStaticStore, MAX_SCREEN_MATCHES, type WatchSnapshot } from '../../tui/store.js';
import type { WatchMatch } from '../../src/watch/continuous.js';
import type { WatchSession } from '../../src/watch/session.js';
import { skypeBad, snapshot, STATS } from './fixtures.js';

const KEY = { pageUp: '\u001B[5~', pageDown: '\u001B[6~', enter: '\r', esc: '\u001B', tab: '\t', shiftTab: '\u001B[Z', up: '\u001B[A', down: '\u001B[B', backspace: '\u007F', ctrlC: '\u0003' };
const settle = () => new Promise((r) => setImmediate(r));

async function mount(snap: WatchSnapshot = snapshot(), rows = 50) {
  const store = createStaticStore(snap);
  const onQuit = vi.fn();
  const app = render(<App store={store} onQuit={onQuit} rows={rows} />);
  await settle();
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      app.stdin.write(k);
      await settle();
    }
    await settle();
  };
  const frame = () => app.lastFrame() ?? '';
  const lines = () => frame().split('\n').map((l) => l.trimEnd());
  return { app, store, onQuit, press, frame, lines };
}

/** A second, later match (same members under another number) to move the selection over. */
function twoMatches(): WatchMatch[] {
  const [m] = skypeBad().matches;
  const later: WatchMatch = { ...m, key: 'other', seq: 2, match: { ...m.match, match: 2, etime: m.match.etime + 60_000 } };
  return [later, m];
}

describe('header', () => {
  it('shows rates with their three averages, flows, drops, signatures, matches and uptime', async () => {
    const { lines } = await mount();
    expect(lines().slice(1, 5)).toEqual([
      '│ flowsig watch  replay captures/skype-bad-1.pcapng ×10                                            │',
      '│ pkts/s 1.50k / 1.20k / 800   bits/s 2.50Mb / 2.00Mb / 1.00Mb   (2s/10s/40s)                      │',
      '│ active flows 3   exported 68   drops 0   signatures 1   matches 1   uptime 1:05                  │',
      '│ [matches]  m matches  f flows  s signatures  ? help  q quit                                      │',
    ]);
  });

  it('says when the replayed file has ended and what went wrong', async () => {
    const { frame } = await mount(snapshot({ stats: { ...STATS, state: 'ended', drops: undefined, failure: 'x.pcap: offset 24: truncated' } }));
    expect(frame()).toContain('replay captures/skype-bad-1.pcapng ×10 — end of file, q to quit');
    expect(frame()).toContain('│ x.pcap: offset 24: truncated');
    expect(frame()).toContain('drops n/a');
  });
});

describe('matches screen', () => {
  it('lists the match: time, signature, client, server, summary; counts per signature', async () => {
    const { lines } = await mount();
    expect(lines().slice(6, 10)).toEqual([
      'Matches (1)   skype-nat64-login 1',
      '  time (UTC)    signature                client                       server                       …',
      '› 08:54:18.512  skype-nat64-login #1     2001:db8:64:1::2             64:ff9b::6440:b              …',
      '↑↓ select  enter details',
    ]);
  });

  it('says so while nothing matched', async () => {
    const { frame } = await mount(snapshot({ matches: [] }));
    expect(frame()).toContain('no match yet — signatures run over the last 600 s of flow records');
  });

  it('↑ ↓ (and k j) move the selection, which stays on its match when a new one arrives on top', async () => {
    const snap = snapshot({ matches: twoMatches() });
    const { press, lines, store } = await mount(snap);
    const selected = () => lines().filter((l) => l.startsWith('›'));
    expect(selected()[0]).toContain('#2');
    await press(KEY.down);
    expect(selected()[0]).toContain('#1');
    await press(KEY.up);
    expect(selected()[0]).toContain('#2');
    await press('j');
    expect(selected()[0]).toContain('#1');
    await press('k', 'j');
    expect(selected()[0]).toContain('#1');
    await press(KEY.pageUp);
    expect(selected()[0]).toContain('#2');
    await press(KEY.pageDown);
    expect(selected()[0]).toContain('#1');
    const [m] = skypeBad().matches;
    store.set({ ...snap, matches: [{ ...m, key: 'newest', match: { ...m.match, match: 3 } }, ...snap.matches] });
    await settle();
    expect(selected()[0]).toContain('#1');
    expect(lines().filter((l) => l.includes('skype-nat64-login #')).length).toBe(3);
  });
});

describe('match detail', () => {
  it('enter shows the member flows in time order as a ladder, with the branch each matched; esc goes back', async () => {
    const { press, lines, frame } = await mount();
    await press(KEY.enter);
    expect(lines()[4]).toContain('[detail]');
    const lane = '                            │                     │                     │                     │    …';
    expect(lines().slice(6, 18)).toEqual([
      'skype-nat64-login #1   client 2001:db8:64:1::2 → server 64:ff9b::6440:b',
      '08:51:23.906 → 08:54:18.512 UTC (2m 54s), 4 flows, records 8, 27, 44, 57',
      '',
      '                 fe80::64b8:b4ff:fef8:db4     ff02::fb          2001:db8:64:1::2       64:ff9b::644…',
      '+0ms       [A]              ●─────────────────────▶                     │                     │    …',
      lane,
      '+3.5s      [B]              │                     │                     ●─────────────────────▶    …',
      lane,
      '+1m 0s     [C]              │                     │                     ●─────────────────────▶    …',
      lane,
      '+1m 57s    [D]              │                     │                     ●─────────────────────▶    …',
      lane,
    ]);
    await press(KEY.esc);
    expect(lines()[4]).toContain('[matches]');
    expect(frame()).toContain('› 08:54:18.512  skype-nat64-login #1');
  });

  it('shows how much, how long, how it ended and the tags (wide terminal)', async () => {
    const { MatchDetail } = await import('../../tui/screens/MatchDetail.js');
    const [m] = skypeBad().matches;
    const app = render(<MatchDetail m={m} />);
    // ink-testing-library renders 100 columns: the row text is truncated, so read the rows' ends from a narrower ladder
    app.unmount();
    const { ladderRow, ladderHeader } = await import('../../tui/screens/MatchDetail.js');
    expect(ladderRow(['a', 'b'], 'b', 'a')).toBe('           ◀─────────────────────●          ');
    expect(ladderHeader(['client', 'server'])).toBe('        client                server');
    const { tagText } = await import('../../src/watch/summary.js');
    expect(m.match.flows.map((f) => tagText(f))).toEqual([
      'mdns  q _skype._tcp.local',
      'nat64 100.64.0.11  xlat nat64-v6',
      'nat64 100.64.0.11  xlat nat64-v6',
      'nat64 100.64.0.11  xlat nat64-v6',
    ]);
  });

  it('a match with more flows than the terminal holds scrolls with ↑ ↓', async () => {
    // 20 rows: 11 for the body, 5 after the detail's own lines, so two flows (two lines each) at a time
    const { press, lines, frame } = await mount(snapshot(), 20);
    await press(KEY.enter);
    const branches = () => lines().map((l) => /^\+.{10}\[([A-D])\]/.exec(l)?.[1]).filter(Boolean);
    expect(branches()).toEqual(['A', 'B']);
    expect(frame()).toContain('↓ 2 later flows');
    await press(KEY.down);
    expect(branches()).toEqual(['B', 'C']);
    expect(frame()).toContain('↑ 1 earlier flow');
    await press(KEY.down, KEY.down, KEY.down);
    expect(branches()).toEqual(['C', 'D']);
    await press(KEY.up);
    expect(branches()).toEqual(['B', 'C']);
    await press(KEY.esc, KEY.enter);
    expect(branches()).toEqual(['A', 'B']);
  });

  it('enter with no match stays on the list', async () => {
    const { press, lines } = await mount(snapshot({ matches: [] }));
    await press(KEY.enter);
    expect(lines()[4]).toContain('[matches]');
  });
});

describe('flows screen', () => {
  it('f shows the open flows and the recently exported ones, by bytes', async () => {
    const { press, lines } = await mount();
    await press('f');
    const l = lines();
    expect(l[6]).toBe('Flows   sort: [1 bytes]  2 packets  3 duration  4 start  5 source');
    expect(l[7]).toBe('filter /: (none)');
    expect(l[8]).toBe('Active (3)');
    expect(l[10]).toMatch(/^tcp   \[2001:db8:64:1::2\]:40003 +→ \[64:ff9b::6440:b\]:443 /);
    const recent = l.indexOf('Recently exported (68)');
    expect(l[recent + 1]).toMatch(/^tcp   \[2001:db8:64:1::2\]:40001 +→ \[64:ff9b::6440:b\]:443 /);
  });

  it('1–5 sort by bytes, packets, duration, start, source', async () => {
    const { press, lines } = await mount();
    await press('f');
    const firstRecent = () => lines()[lines().indexOf('Recently exported (68)') + 1];
    await press('2');
    expect(lines()[6]).toContain('[2 packets]');
    expect(firstRecent()).toMatch(/^tcp   \[2001:db8:64:1::2\]:40001 /);
    await press('3');
    expect(lines()[6]).toContain('[3 duration]');
    await press('4');
    expect(lines()[6]).toContain('[4 start]');
    await press('5');
    expect(lines()[6]).toContain('[5 source]');
    expect(firstRecent()).toMatch(/^tcp   100\.64\.0\.1:40001 /);
    await press('1');
    expect(lines()[6]).toContain('[1 bytes]');
  });

  it('/ filters with NFQL rules checked as typed: errors inline, enter keeps, esc clears', async () => {
    const { press, lines, frame } = await mount();
    await press('f', '/', ...'protx');
    expect(lines()[7]).toBe('filter /: protx  col 1: unknown field `protx` in filter `f` (did you mean `proto`?)');
    await press(KEY.backspace, KEY.backspace, ...'to = udp');
    expect(lines()[7]).toBe('filter /: proto = udp  ✓');
    const rows = lines().filter((l) => / → /.test(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((l) => l.startsWith('udp '))).toBe(true);
    await press(KEY.backspace, KEY.backspace, KEY.backspace);
    expect(lines()[7]).toMatch(/^filter \/: proto = +expected/);
    await press(...'tcp', KEY.enter);
    expect(lines()[7]).toBe('filter /: proto = tcp  ✓');
    // keys are commands again once the filter is kept
    await press('2');
    expect(lines()[6]).toContain('[2 packets]');
    await press(KEY.esc);
    expect(lines()[7]).toBe('filter /: (none)');
    expect(frame()).toContain('icmp6 fe80::');
    await press('/', ...'udp', KEY.esc);
    expect(lines()[7]).toBe('filter /: (none)');
  });
});

describe('signatures screen', () => {
  it('s lists them; space disables and enables the selected one', async () => {
    const { press, lines, store } = await mount();
    await press('s');
    expect(lines().slice(6, 9)).toEqual([
      'Signatures (1)   window 600 s',
      '  on  name                         matches  window needs      file',
      '› [x] skype-nat64-login                  1       7 unbounded  learned/skype-nat64-login.nfql',
    ]);
    await press(' ');
    expect(lines()[8]).toBe('› [ ] skype-nat64-login                  1       7 unbounded  learned/skype-nat64-login.nfql');
    expect(store.get().signatures[0].enabled).toBe(false);
    await press(KEY.down, KEY.up, ' ');
    expect(store.get().signatures[0].enabled).toBe(true);
  });

  it('shows a signature\'s error', async () => {
    const snap = snapshot();
    const { press, frame } = await mount({ ...snap, signatures: [{ ...snap.signatures[0], error: 'out of memory' }] });
    await press('s');
    expect(frame()).toContain('      error: out of memory');
  });
});

describe('help, tab, esc, quit', () => {
  it('? shows the keys; esc returns to the screen it came from', async () => {
    const { press, lines, frame } = await mount();
    await press('f', '?');
    expect(lines()[6]).toBe('Keys');
    expect(frame()).toContain('  1 2 3 4 5        flows: sort by bytes, packets, duration, start, source');
    await press(KEY.esc);
    expect(lines()[4]).toContain('[flows]');
  });

  it('tab and shift-tab cycle matches → flows → signatures → help', async () => {
    const { press, lines } = await mount();
    const screen = () => /\[(\w+)\]/.exec(lines()[4])![1];
    const seen = [screen()];
    for (let i = 0; i < 4; i++) {
      await press(KEY.tab);
      seen.push(screen());
    }
    expect(seen).toEqual(['matches', 'flows', 'signatures', 'help', 'matches']);
    await press(KEY.shiftTab);
    expect(screen()).toBe('help');
    await press('m');
    expect(screen()).toBe('matches');
  });

  it('q and ctrl-c quit; q typed into the filter does not', async () => {
    const a = await mount();
    await a.press('f', '/', 'q');
    expect(a.onQuit).not.toHaveBeenCalled();
    await a.press(KEY.enter, 'q');
    expect(a.onQuit).toHaveBeenCalledTimes(1);
    const b = await mount();
    await b.press(KEY.ctrlC);
    expect(b.onQuit).toHaveBeenCalledTimes(1);
  });
});

describe('the store', () => {
  function fakeSession(): WatchSession {
    const snap = snapshot();
    return {
      stats: () => snap.stats,
      activeFlows: () => [...snap.active],
      recentFlows: () => [...snap.recent],
      fields: snap.fields,
      engine: { signatures: [], setEnabled: () => {} },
    } as unknown as WatchSession;
  }

  it('a burst of matches reaches the screen as one bounded list, newest first', () => {
    const store = createSessionStore(fakeSession(), 10);
    try {
      const [m] = skypeBad().matches;
      for (let i = 1; i <= MAX_SCREEN_MATCHES + 500; i++) store.addMatch({ ...m, seq: i, key: String(i) });
      expect(store.get().matches).toEqual([]);
      store.refresh();
      const shown = store.get().matches;
      expect(shown.length).toBe(MAX_SCREEN_MATCHES);
      expect(shown[0].seq).toBe(MAX_SCREEN_MATCHES + 500);
      expect(shown[shown.length - 1].seq).toBe(501);
    } finally {
      store.close();
    }
  });

  it('copies the open and recent flows only while the flows screen is open', () => {
    const store = createSessionStore(fakeSession(), 4);
    try {
      expect([store.get().active.length, store.get().recent.length]).toEqual([0, 0]);
      store.showFlows!(true);
      expect([store.get().active.length, store.get().recent.length]).toEqual([12, 68]);
      store.showFlows!(false);
      store.refresh();
      expect([store.get().active.length, store.get().recent.length]).toEqual([0, 0]);
    } finally {
      store.close();
    }
  });

  it('refreshes on its own at the rate asked (fake timers)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const store = createSessionStore(fakeSession(), 10);
      const listener = vi.fn();
      store.subscribe(listener);
      vi.advanceTimersByTime(1000);
      expect(listener).toHaveBeenCalledTimes(10);
      store.close();
      vi.advanceTimersByTime(1000);
      expect(listener).toHaveBeenCalledTimes(10);
    } finally {
      vi.useRealTimers();
    }
  });
});
