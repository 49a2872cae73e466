/**
 * `flowsig watch`: live capture (or a capture replayed with its own timing)
 * with NFQL signatures evaluated continuously (src/watch/).
 *
 * On a terminal it opens the Ink UI (tui/); otherwise (a pipe, a file,
 * systemd) it prints each match as one NDJSON line, exactly as `flowsig query
 * -o ndjson` prints it (src/report/matches.ts).
 *
 * The one place src/ reaches into tui/: a dynamic import, so that only
 * `watch` on a terminal loads React and Ink, and every other command starts
 * without them. tui/ itself uses src/ public modules only (tui/README.md).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPTURE_BACKENDS, DEFAULT_CAPTURE_BACKEND, type CaptureBackend, LiveCaptureError } from '../capture/live.js';
import { createMatchWriter } from '../report/matches.js';
import { openTextOutput } from '../report/output.js';
import type { WatchMatch } from '../watch/continuous.js';
import { createWatchSession, type WatchSession } from '../watch/session.js';
import { compileSignatures, signatureFiles } from '../watch/signatures.js';
import { collectorSource, liveSource, replaySource, type ReplaySpeed, type SourceEnd, type WatchSource } from '../watch/sources.js';
import { listenText } from '../ipfix/collector.js';
import { describeMalformed } from '../ipfix/decode.js';
import { DEFAULT_PEN } from '../ipfix/encode.js';
import { parseListen } from './collect.js';
import { matchLine } from '../watch/summary.js';
import { type OptionSpec, parseArgs, UsageError } from './args.js';
import { formatDuration, parseDuration } from './duration.js';
import { meterOptionSpecs, parseMeterArgs } from './flows.js';

export const WATCH_OPTIONS: readonly OptionSpec[] = [
  { long: 'interface', short: 'i', value: 'IFACE', repeatable: true, help: 'capture live on IFACE (repeat for several; never "any"); a trailing BPF filter applies to all' },
  { long: 'replay', value: 'FILE', help: 'replay a capture (pcap, pcapng) through the same pipeline, paced by its timestamps' },
  { long: 'speed', value: 'N|max', help: 'replay speed: 1 (default) is real time, 10 ten times faster, max as fast as possible' },
  { long: 'exit-at-end', help: 'replay: exit when the file ends instead of keeping the screen until q' },
  { long: 'collect', value: '[ADDR]:PORT', help: 'receive IPFIX / NetFlow v9 / v5 flow records over UDP (from routers or other flowsig boxes) instead of packets' },
  { long: 'pen', value: 'N', help: `with --collect: private enterprise number of flowsig's own elements (default ${DEFAULT_PEN})` },
  { long: 'signatures', short: 's', value: 'SIG', repeatable: true, help: 'an NFQL signature file, or a folder: every *.nfql in it; repeat for several (default: the shipped learned/)' },
  { long: 'window', value: 'DURATION', help: 'how much record time the signatures see (default: the longest any signature needs, else 10m)' },
  { long: 'output', short: 'o', value: 'tui|ndjson', help: 'tui (default on a terminal) or ndjson: one line per match, as `flowsig query -o ndjson` (default otherwise)' },
  { long: 'capture-backend', value: 'tcpdump|dumpcap', help: 'live capture program (as flowsig flows)' },
  ...meterOptionSpecs(),
  { long: 'quiet', short: 'q', help: 'no summary on standard error' },
  { long: 'help', short: 'h', help: 'show this help' },
];

export const WATCH_USAGE = `usage: flowsig watch -i IFACE [-i IFACE …] [-s SIG|DIR …] [options] [BPF filter]
       flowsig watch --replay FILE [--speed N|max] [-s SIG|DIR …] [options]
       flowsig watch --collect [ADDR]:PORT [-s SIG|DIR …] [options]

Watch traffic as it happens: flow records from a live capture (or a replayed
capture) go through NFQL signatures continuously, and every match is shown
once, within a second of the flow that completes it ending. On a terminal:
a keyboard-driven screen (matches, match detail, flows, signatures; ? for
help, q to quit and print a summary). Otherwise: one NDJSON line per match,
as 'flowsig query -o ndjson' prints it.

options:
${WATCH_OPTIONS.map((s) => `  ${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.value ? ` ${s.value}` : ''}\n        ${s.help}`).join('\n')}

keys: m matches, f flows, s signatures, ? help (tab cycles), enter details,
esc back, 1-5 sort flows, / filter flows with NFQL, space enables/disables a
signature, q quit (prints the matches)

examples:
  flowsig watch --replay captures/skype-bad-1.pcapng --speed 10
  flowsig watch --replay captures/skype-bad-1.pcapng --speed max -o ndjson
  sudo flowsig watch -i eth0 -i nat64 -s learned/ 'not port 22'
  sudo flowsig watch -i eth0 | tee matches.ndjson
  flowsig watch --collect :4739 -s learned/        # records exported by routers or other flowsig boxes
`;

/** match lines printed when the screen closes, at most */
export const EXIT_LINES = 10_000;

export interface WatchConfig {
  interfaces: string[];
  filter: string | undefined;
  backend: CaptureBackend;
  replay: string | undefined;
  /** --collect: where to receive IPFIX / NetFlow */
  collect: { address: string; port: number } | undefined;
  pen: number;
  speed: ReplaySpeed;
  exitAtEnd: boolean;
  signatures: { file: string; text: string }[];
  windowMs: number | undefined;
  output: 'tui' | 'ndjson';
  quiet: boolean;
  meter: ReturnType<typeof parseMeterArgs>;
}

/** learned/ beside the installed package (dist/src/cli/ when built, src/cli/ under the test runner) */
export function shippedSignatures(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'flowsig') return join(dir, 'learned');
    } catch {
      // keep climbing
    }
    if (dir === dirname(dir)) return 'learned';
  }
}

export function parseWatchArgs(argv: readonly string[], stdoutIsTty: boolean): WatchConfig | 'help' {
  const a = parseArgs(argv, WATCH_OPTIONS);
  if (a.flags.has('help')) return 'help';
  const interfaces = a.options.get('interface') ?? [];
  const replay = a.options.get('replay')?.[0];
  const collectText = a.options.get('collect')?.[0];
  const inputs = (interfaces.length > 0 ? 1 : 0) + (replay !== undefined ? 1 : 0) + (collectText !== undefined ? 1 : 0);
  if (inputs === 0) throw new UsageError('no input: give -i IFACE (live), --replay FILE or --collect [ADDR]:PORT');
  if (inputs > 1) throw new UsageError('give one input: -i IFACE, --replay FILE or --collect [ADDR]:PORT');
  const penText = a.options.get('pen')?.[0];
  if (penText !== undefined && collectText === undefined) throw new UsageError('--pen goes with --collect');
  if (penText !== undefined && (!/^\d+$/.test(penText) || Number(penText) < 1 || Number(penText) > 4294967295)) throw new UsageError(`--pen ${penText}: expected a whole number from 1 to 4294967295`);
  if (a.positionals.length > 0 && interfaces.length === 0) throw new UsageError(`unexpected argument "${a.positionals[0]}" (a capture filter applies to live capture with -i)`);
  if (interfaces.includes('any')) throw new UsageError('-i any: the "any" device does not say which interface a packet came from; give each interface with its own -i');
  const speedText = a.options.get('speed')?.[0];
  let speed: ReplaySpeed = 1;
  if (speedText !== undefined) {
    if (replay === undefined) throw new UsageError('--speed goes with --replay');
    if (speedText === 'max') speed = 'max';
    else if (/^\d+(\.\d+)?$/.test(speedText) && Number(speedText) > 0) speed = Number(speedText);
    else throw new UsageError(`--speed ${speedText}: expected a positive number (1 is real time) or max`);
  }
  if (a.flags.has('exit-at-end') && replay === undefined) throw new UsageError('--exit-at-end goes with --replay');
  const backendText = a.options.get('capture-backend')?.[0] ?? DEFAULT_CAPTURE_BACKEND;
  if (!(CAPTURE_BACKENDS as readonly string[]).includes(backendText)) throw new UsageError(`--capture-backend ${backendText}: expected ${CAPTURE_BACKENDS.join(' or ')}`);
  const windowText = a.options.get('window')?.[0];
  let windowMs: number | undefined;
  if (windowText !== undefined) {
    windowMs = parseDuration(windowText);
    if (windowMs === undefined || windowMs <= 0) throw new UsageError(`--window ${windowText}: expected a duration such as 90s, 10m or 1h`);
  }
  const outText = a.options.get('output')?.[0];
  let output: 'tui' | 'ndjson';
  if (outText === undefined) output = stdoutIsTty ? 'tui' : 'ndjson';
  else if (outText === 'tui' || outText === 'ndjson') output = outText;
  else throw new UsageError(`-o ${outText}: expected tui or ndjson`);
  if (output === 'tui' && !stdoutIsTty) throw new UsageError('-o tui needs a terminal on standard output');
  const sigArgs = a.options.get('signatures') ?? [shippedSignatures()];
  return {
    interfaces,
    filter: a.positionals.length > 0 ? a.positionals.join(' ') : undefined,
    backend: backendText as CaptureBackend,
    replay,
    collect: collectText === undefined ? undefined : parseListen(collectText, '--collect'),
    pen: penText === undefined ? DEFAULT_PEN : Number(penText),
    speed,
    exitAtEnd: a.flags.has('exit-at-end'),
    signatures: sigArgs.flatMap((s) => signatureFiles(s)),
    windowMs,
    output,
    quiet: a.flags.has('quiet'),
    meter: parseMeterArgs(a),
  };
}

export interface WatchIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

/** `flowsig watch …`; returns the exit status (0, 1 capture could not run, 2 bad usage/signature/input). */
export async function runWatch(argv: readonly string[], io: WatchIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const cfg = parseWatchArgs(argv, io.stdout.isTTY === true);
  if (cfg === 'help') {
    io.stdout.write(WATCH_USAGE);
    return 0;
  }
  const { queries, errors } = compileSignatures(cfg.signatures);
  if (errors.length > 0) {
    io.stderr.write(`${errors.join('\n')}\n`);
    return 2;
  }
  let source: WatchSource;
  if (cfg.collect !== undefined) {
    const collector = collectorSource({
      address: cfg.collect.address, port: cfg.collect.port, pen: cfg.pen,
      onMalformed(e, d, first) {
        // the screen owns the terminal; a pipe gets the warning on standard error
        if (first && cfg.output === 'ndjson' && !cfg.quiet) io.stderr.write(`flowsig: warning: exporter ${e.address}: ${describeMalformed(d.kind)} (${d.detail}); further ones are counted\n`);
      },
    });
    try {
      await collector.bind();
    } catch (err) {
      io.stderr.write(`flowsig: --collect ${listenText(cfg.collect)}: ${(err as Error).message}\n`);
      return 1;
    }
    source = collector;
  } else {
    source = cfg.replay !== undefined
      ? replaySource(cfg.replay, cfg.speed)
      : liveSource({ interfaces: cfg.interfaces, filter: cfg.filter, backend: cfg.backend });
  }

  // the lines printed when the screen closes: the newest EXIT_LINES (a monitor may run for weeks)
  const lines: string[] = [];
  let total = 0;
  const listeners: ((m: WatchMatch) => void)[] = [];
  const session = createWatchSession({
    source,
    meter: cfg.meter.meter,
    tunnels: cfg.meter.tunnels,
    signatures: queries,
    windowMs: cfg.windowMs,
    onMatch(m) {
      total++;
      if (cfg.output === 'tui') {
        lines.push(matchLine(m.match));
        if (lines.length > EXIT_LINES * 2) lines.splice(0, lines.length - EXIT_LINES);
      }
      for (const l of listeners) l(m);
    },
  });

  let end: SourceEnd;
  try {
    if (cfg.output === 'ndjson') end = await runNdjson(session, listeners);
    else {
      // Ink draws only the last frame when it believes it runs under CI (CI=true): on a real
      // terminal the operator wants the live screen, so that belief is dropped before Ink loads
      delete process.env.CI;
      delete process.env.CONTINUOUS_INTEGRATION;
      // React's development build times every render with performance.measure: a tenth of the
      // pipeline's time at full speed. The production build, unless someone asked otherwise.
      process.env.NODE_ENV ??= 'production';
      const { runWatchUi } = await import('../../tui/run.js');
      end = await runWatchUi(session, { exitAtEnd: cfg.exitAtEnd, stdout: io.stdout, stdin: io.stdin }, (l) => listeners.push(l));
    }
  } catch (err) {
    if (err instanceof LiveCaptureError) {
      io.stderr.write(`flowsig: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  if (cfg.output === 'tui') {
    // what the screen showed stays on record: one line per match on standard output
    const shown = lines.slice(-EXIT_LINES);
    const earlier = total - shown.length;
    io.stdout.write(total === 0 ? 'flowsig watch: no match\n'
      : `${earlier > 0 ? `flowsig watch: ${earlier} earlier match${earlier === 1 ? '' : 'es'} not shown (-o ndjson keeps every one)\n` : ''}${shown.join('\n')}\n`);
  }
  if (!cfg.quiet) io.stderr.write(`${summaryLine(session, total)}\n`);
  if (end.failure) {
    io.stderr.write(`flowsig: ${end.failure.describe()}\n`);
    return 2;
  }
  return 0;
}

/** Not a terminal: each match as one NDJSON line, written out at once. Ends with the source (a replay's end, or SIGINT/SIGTERM). */
async function runNdjson(session: WatchSession, listeners: ((m: WatchMatch) => void)[]): Promise<SourceEnd> {
  const out = openTextOutput(undefined);
  const writer = createMatchWriter(out, { format: 'ndjson', groups: false, fields: session.fields });
  // out at once, but once per evaluation, not once per match (a burst of thousands is one write)
  let flushQueued = false;
  listeners.push((m) => {
    writer.write({ signature: m.signature, kind: session.engine.signatures.find((s) => s.name === m.signature)!.kind, matches: [m.match] });
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(() => {
        flushQueued = false;
        out.flush?.();
      });
    }
  });
  const onSignal = () => session.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await session.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    writer.end();
  }
}

function summaryLine(session: WatchSession, total: number): string {
  const s = session.stats();
  const per = session.engine.signatures.map((sig) => `${sig.name}: ${sig.matches} match${sig.matches === 1 ? '' : 'es'}`).join(', ');
  // the pipeline's time (source start to last evaluation), not the UI's start-up or the time the screen stayed open
  const seconds = s.runMs / 1000;
  const rate = seconds > 0 ? Math.round(s.packets / seconds) : 0;
  const input = session.source.kind === 'records'
    ? `${s.flowsExported} records received${s.drops ? `, ${s.drops} lost (sequence numbers)` : ''}`
    : `${s.packets} packets${s.drops === undefined ? '' : `, ${s.drops} dropped by kernel`}; ${s.flowsExported} flows`;
  return `flowsig: ${input}; ${per || 'no signature'}; ${total} match${total === 1 ? '' : 'es'} in all; `
    + `window ${formatDuration(s.windowMs)}; ${seconds.toFixed(2)} s (${rate} packets/s), ${(s.runCpuMs / 1000).toFixed(2)} s CPU`;
}
