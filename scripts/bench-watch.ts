/**
 * `flowsig watch` benchmark: `watch --replay CAPTURE --speed max --exit-at-end`
 * with the screen on, in a real 160×50 terminal (a private tmux server),
 * over the flows benchmark's seeded capture (scripts/bench/generate.ts, the
 * same cache as `npm run bench`). The rate is the one watch itself reports on
 * exit: packets over the session's wall time, Ink start-up and the final
 * flush and evaluation included, with the shipped signatures loaded.
 *
 *   node dist/scripts/bench-watch.js [--packets 1M] [--seed N] [--runs 3] [--keep]
 *
 * --keep keeps a capture it generated (one found in the cache always stays) and its work files.
 *
 * Target: ≥ 1 000 000 packets/s. The machine may be shared: every run is
 * printed, and the verdict uses the median run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCapture, type GenerateResult } from './bench/generate.js';

const TARGET_PACKETS_PER_SECOND = 1_000_000;
const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url)); // from dist/scripts/
const BENCH_DIR = join(tmpdir(), 'flowsig-bench');

function parseOptions(argv: readonly string[]): { packets: number; seed: number; keep: boolean; runs: number } {
  const o = { packets: 1_000_000, seed: 1, keep: false, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--packets') {
      const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--packets takes a count such as 1M or 500k');
      o.packets = Math.round(Number(m[1]) * ({ '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 } as Record<string, number>)[m[2]]);
    } else if (a === '--seed') o.seed = Number.parseInt(argv[++i] ?? '', 10);
    else if (a === '--keep') o.keep = true;
    else if (a === '--runs') o.runs = Math.max(1, Number.parseInt(argv[++i] ?? '', 10) || 1);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** The capture from the cache `npm run bench` shares, or freshly generated (`generated`: remove it afterwards unless --keep). */
function ensureCapture(seed: number, packets: number): GenerateResult & { path: string; generated: boolean } {
  mkdirSync(BENCH_DIR, { recursive: true });
  const path = join(BENCH_DIR, `seed${seed}-${packets}.pcap`);
  const sidecar = `${path}.json`;
  if (existsSync(path) && existsSync(sidecar)) return { ...(JSON.parse(readFileSync(sidecar, 'utf8')) as GenerateResult), path, generated: false };
  const result = generateCapture({ packets, seed, path });
  writeFileSync(sidecar, JSON.stringify(result));
  return { ...result, path, generated: true };
}

function main(): number {
  const opts = parseOptions(process.argv.slice(2));
  if (spawnSync('tmux', ['-V']).status !== 0) {
    process.stdout.write('watch benchmark: tmux not installed, skipped\n');
    return 0;
  }
  const capture = ensureCapture(opts.seed, opts.packets);
  process.stdout.write(`flowsig watch benchmark: ${capture.packets.toLocaleString('en-US')} packets (${capture.path}), screen on in a 160×50 tmux terminal, ${opts.runs} run${opts.runs === 1 ? '' : 's'}\n`);
  const rates: number[] = [];
  const cpuRates: number[] = [];
  try {
    for (let run = 1; run <= opts.runs; run++) {
      const result = runOnce(capture, opts.keep, run === 1);
      if (result === undefined) return 1;
      rates.push(result.rate);
      cpuRates.push(result.cpuRate);
    }
  } finally {
    // a capture this run made goes (as `npm run bench` does with its own); one found in the cache stays
    if (capture.generated && !opts.keep) {
      rmSync(capture.path, { force: true });
      rmSync(`${capture.path}.json`, { force: true });
    }
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  process.stdout.write(`runs: ${rates.map((r) => r.toLocaleString('en-US')).join(', ')} packets/s\n`);
  // not the target's measure, but one that other jobs on a shared machine disturb less
  process.stdout.write(`per CPU second of the run (all threads): ${cpuRates.map((r) => r.toLocaleString('en-US')).join(', ')} packets\n`);
  process.stdout.write(`target ≥ ${TARGET_PACKETS_PER_SECOND.toLocaleString('en-US')} packets/s: median ${median.toLocaleString('en-US')} packets/s (${median >= TARGET_PACKETS_PER_SECOND ? 'met' : 'NOT met'}), best ${sorted[sorted.length - 1].toLocaleString('en-US')}\n`);
  return 0;
}

/** One watch run; prints its summary and returns its rates (undefined when watch failed). */
function runOnce(capture: GenerateResult & { path: string }, keep: boolean, showScreen: boolean): { rate: number; cpuRate: number } | undefined {
  const work = join(BENCH_DIR, `watch-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const socket = `flowsig-bench-watch-${process.pid}`;
  const summary = join(work, 'stderr.txt');
  const finished = join(work, 'finished');
  const timeFile = join(work, 'time.txt');
  const gnuTime = existsSync('/usr/bin/time');
  const tmux = (args: string[]) => execFileSync('tmux', ['-f', '/dev/null', '-L', socket, ...args], { encoding: 'utf8' });
  let screen = '';
  try {
    tmux(['new-session', '-d', '-s', 'bench', '-x', '160', '-y', '50',
      `cd ${REPOSITORY_ROOT} && ${gnuTime ? `/usr/bin/time -f '%U %S %M' -o ${timeFile} ` : ''}node bin/flowsig.js watch --replay ${capture.path} --speed max --exit-at-end 2>${summary}; echo $? >${finished}`]);
    const deadline = Date.now() + 600_000;
    while (!existsSync(finished)) {
      if (Date.now() > deadline) throw new Error('watch did not finish within 10 minutes');
      try {
        // the last screen before exit shows what the operator saw
        screen = tmux(['capture-pane', '-p', '-t', 'bench']);
      } catch {
        // the pane closed as the command ended
      }
      spawnSync('sleep', ['0.5']);
    }
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    // the server leaves its socket file behind
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  }
  const exit = readFileSync(finished, 'utf8').trim();
  const err = readFileSync(summary, 'utf8').replace(/\x1b\[\?25h/g, '');
  // user and system CPU seconds and peak resident KiB of the whole process (start-up and the UI included)
  const cpu = gnuTime && existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number) : undefined;
  if (!keep) rmSync(work, { recursive: true, force: true });
  const m = /flowsig: (\d+) packets;.* ([\d.]+) s \((\d+) packets\/s\), ([\d.]+) s CPU/.exec(err);
  if (exit !== '0' || !m) {
    process.stderr.write(`watch benchmark: watch failed (exit ${exit}):\n${err}`);
    return undefined;
  }
  const rate = Number(m[3]);
  if (showScreen) process.stdout.write(`${screen.split('\n').slice(0, 6).join('\n')}\n`);
  process.stdout.write(`${err.trim()}\n`);
  if (cpu && cpu.length === 3) {
    const cpuSeconds = cpu[0] + cpu[1];
    process.stdout.write(`whole process: ${cpuSeconds.toFixed(2)} s CPU (${Math.round(capture.packets / cpuSeconds).toLocaleString('en-US')} packets per CPU second, start-up included), peak ${(cpu[2] / 1024).toFixed(0)} MB\n`);
  }
  return { rate, cpuRate: Math.round(Number(m[1]) / Number(m[4])) };
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`bench-watch: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
