/**
 * `flowsig watch` on a terminal: the session runs at full speed; the store
 * copies a snapshot once per signature tick (4 times a second) and Ink
 * redraws from it, and after a key, at most 10 times a second. `q`
 * stops the source, which flushes the meter and evaluates the signatures a
 * last time before the screen closes; a replay that reaches the end of its
 * file keeps the screen until `q` (or closes at once with --exit-at-end).
 */
import { render } from 'ink';
import type { WatchMatch } from '../src/watch/continuous.js';
import { TICK_MS, type WatchSession } from '../src/watch/session.js';
import type { SourceEnd } from '../src/watch/sources.js';
import { App } from './App.js';
import { createSessionStore } from './store.js';

export interface WatchUiOptions {
  exitAtEnd: boolean;
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** screen redraws per second at most (keys answer within a frame) */
  fps?: number;
  /** data refreshes per second: the signatures run every 250 ms, so 4 shows every result */
  dataFps?: number;
}

/** Runs the session under the UI; resolves when the user quit (or the replay ended with exitAtEnd). */
export async function runWatchUi(session: WatchSession, opts: WatchUiOptions, subscribe: (listener: (m: WatchMatch) => void) => void): Promise<SourceEnd> {
  const store = createSessionStore(session, opts.dataFps ?? 1000 / TICK_MS);
  subscribe(store.addMatch);
  let quit: () => void = () => {};
  const quitRequested = new Promise<void>((resolve) => {
    quit = resolve;
  });
  // without a terminal on standard input there are no keys: the screen runs until the replay ends or a signal
  const interactive = opts.stdin.isTTY === true;
  const view = () => <App store={store} onQuit={() => quit()} rows={opts.stdout.rows ?? 40} interactive={interactive} />;
  const app = render(view(), {
    stdout: opts.stdout,
    stdin: opts.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: opts.fps ?? 10,
  });
  // list lengths follow the terminal's height
  const onResize = () => app.rerender(view());
  opts.stdout.on('resize', onResize);
  const onSignal = () => quit();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const running = session.run();
  try {
    const first = await Promise.race([running.then(() => 'ended' as const), quitRequested.then(() => 'quit' as const)]);
    if (first === 'quit') session.stop();
    else if (!opts.exitAtEnd && interactive) {
      store.refresh();
      await quitRequested;
    }
    const end = await running;
    store.refresh();
    // Ink draws at most fps times a second: give the last state one frame before the screen closes
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(1000 / (opts.fps ?? 10)) + 20));
    return end;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    opts.stdout.off('resize', onResize);
    store.close();
    app.unmount();
    await app.waitUntilExit().catch(() => {});
  }
}
