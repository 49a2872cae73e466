/**
 * `npm run bench [-- --packets 1M,10M] [--seed N] [--keep]`
 *
 * Generates seeded captures (scripts/bench/generate.ts), runs flowsig and the
 * installed peer meters (softflowd, nfpcapd) on the same file, prints a table
 * and writes the figures to bench-out/bench.json. Captures are cached in
 * /tmp/flowsig-bench by seed and size; they are removed at the end unless
 * --keep, because the 10M one is more than a gigabyte.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCapture, type GenerateResult } from './bench/generate.js';
import { haveGnuTime, warmPageCache } from './bench/measure.js';
import { FLOW_COUNT_MEANING, flowsigMeter, type MeterRun, meters } from './bench/meters.js';

const TARGET_PACKETS = 10_000_000;
const TARGET_PACKETS_PER_SECOND = 3_000_000;
const TARGET_PEAK_MB = 400;

const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url)); // from dist/scripts/
const BENCH_DIR = join(tmpdir(), 'flowsig-bench');
const OUT_FILE = join(REPOSITORY_ROOT, 'bench-out', 'bench.json');

interface BenchOptions {
  sizes: number[];
  seed: number;
  keep: boolean;
}

interface Capture extends GenerateResult {
  path: string;
  /** null when reused from the cache */
  generateSeconds: number | null;
}

interface Row {
  packets: number;
  meter: string;
  status: 'ok' | 'not installed' | 'failed';
  run?: MeterRun;
}

const USAGE = `usage: npm run bench [-- --packets 1M,10M] [--seed N] [--keep]

  --packets LIST  capture sizes, comma-separated (1M = a million packets, 500k, 20000); default 1M,10M
  --seed N        generator seed; default 1
  --keep          keep the captures in ${BENCH_DIR} for the next run
`;

/** "1M" → 1000000, "500k" → 500000, "20000" → 20000. */
function parseCount(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!match) throw new Error(`not a packet count: ${text} (expected e.g. 1M, 500k, 20000)`);
  const scale = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[match[2]]!;
  const count = Math.round(Number(match[1]) * scale);
  if (count < 1) throw new Error(`not a packet count: ${text}`);
  return count;
}

function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { sizes: [1_000_000, 10_000_000], seed: 1, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--packets') options.sizes = value().split(',').map(parseCount);
    else if (arg === '--seed') options.seed = Number.parseInt(value(), 10);
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (!Number.isInteger(options.seed)) throw new Error('--seed takes an integer');
  return options;
}

type Mix = 'nat64' | 'plain';

const capturePath = (seed: number, packets: number, mix: Mix = 'nat64') => join(BENCH_DIR, `seed${seed}-${mix === 'plain' ? 'plain-' : ''}${packets}.pcap`);

/** The capture for this seed and size, from the cache or freshly generated (with a sidecar .json of its figures). */
function ensureCapture(seed: number, packets: number, mix: Mix = 'nat64'): Capture {
  const path = capturePath(seed, packets, mix);
  const sidecar = `${path}.json`;
  if (existsSync(path) && existsSync(sidecar)) {
    return { ...(JSON.parse(readFileSync(sidecar, 'utf8')) as GenerateResult), path, generateSeconds: null };
  }
  const started = performance.now();
  const result = generateCapture({ packets, seed, path, mix });
  writeFileSync(sidecar, JSON.stringify(result));
  return { ...result, path, generateSeconds: (performance.now() - started) / 1000 };
}

function removeCapture(seed: number, packets: number, mix: Mix = 'nat64'): void {
  const path = capturePath(seed, packets, mix);
  rmSync(path, { force: true });
  rmSync(`${path}.json`, { force: true });
}

// ---- printing

const integer = (n: number) => Math.round(n).toLocaleString('en-US');
const shortCount = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}k` : String(n));
const fixed = (n: number | null | undefined, digits: number) => (n === null || n === undefined ? 'n/a' : n.toFixed(digits));
const packetsPerSecond = (row: Row) => (row.run ? row.packets / row.run.wallSeconds : 0);

function describeCapture(c: Capture): string {
  const made = c.generateSeconds === null ? 'reused' : `generated in ${c.generateSeconds.toFixed(1)} s`;
  return `${shortCount(c.packets)} packets: ${c.path}, ${(c.bytes / 1e6).toFixed(1)} MB, ${c.durationSeconds.toFixed(0)} s of traffic, ${integer(c.connections)} conversations (${made})`;
}

function tableRow(row: Row): string {
  const head = `${shortCount(row.packets).padEnd(8)} ${row.meter.padEnd(19)}`;
  if (row.status === 'not installed') return `${head} not installed`;
  const run = row.run!;
  if (row.status === 'failed') {
    const why = (run.stderr.trim().split('\n').pop() ?? '').slice(0, 100);
    return `${head} failed (exit ${run.exitCode ?? 'by signal'}): ${why}`;
  }
  return [
    head,
    run.wallSeconds.toFixed(2).padStart(8),
    integer(packetsPerSecond(row)).padStart(12),
    fixed(run.peakMemoryMB, 1).padStart(9),
    fixed(run.cpuSeconds, 2).padStart(7),
    (run.flows === null ? 'n/a' : integer(run.flows)).padStart(11),
  ].join(' ');
}

function targetVerdict(rows: Row[]): string {
  const row = rows.find((r) => r.meter === 'flowsig' && r.packets === TARGET_PACKETS && r.status === 'ok');
  const goal = `target on ${shortCount(TARGET_PACKETS)} packets: ≥ ${integer(TARGET_PACKETS_PER_SECOND)} packets/s and < ${TARGET_PEAK_MB} MB peak`;
  if (!row) return `flowsig ${goal}: not measured in this run`;
  const pps = packetsPerSecond(row);
  const peak = row.run!.peakMemoryMB;
  const speed = `${integer(pps)} packets/s (${pps >= TARGET_PACKETS_PER_SECOND ? 'met' : 'NOT met'})`;
  const memory = peak === null ? 'peak memory unknown (no GNU time)' : `${peak.toFixed(0)} MB peak (${peak < TARGET_PEAK_MB ? 'met' : 'NOT met'})`;
  return `flowsig ${goal}: ${speed}, ${memory}`;
}

/** Tags on versus off on the capture with nothing to tag: CPU seconds (less disturbed by the rest of the machine than wall time). */
function untaggedVerdict(plainRows: Row[]): string {
  const [on, off] = plainRows;
  if (on?.status !== 'ok' || off?.status !== 'ok') return 'untagged flows: not measured in this run';
  const cpu = (r: Row) => r.run!.cpuSeconds ?? r.run!.wallSeconds;
  const extra = (cpu(on) / cpu(off) - 1) * 100;
  return `untagged flows (${shortCount(on.packets)} packets, nothing to tag): tags on ${cpu(on).toFixed(2)} CPU s, --no-tags ${cpu(off).toFixed(2)} CPU s (${extra >= 0 ? '+' : ''}${extra.toFixed(1)} %)`;
}

// ---- the run

function main(): number {
  const options = parseBenchArgs(process.argv.slice(2));
  mkdirSync(BENCH_DIR, { recursive: true });
  const cpuList = cpus();
  process.stdout.write(
    `flowsig benchmark: seed ${options.seed}, node ${process.version}, ${cpuList.length} × ${cpuList[0]?.model.trim() ?? 'unknown CPU'}` +
      `${haveGnuTime() ? '' : ' (no /usr/bin/time: peak memory and CPU time not measured)'}\n\n`,
  );

  const captures: Capture[] = [];
  const rows: Row[] = [];
  const plainRows: Row[] = [];
  try {
    for (const packets of options.sizes) {
      const capture = ensureCapture(options.seed, packets);
      captures.push(capture);
      process.stdout.write(`capture ${describeCapture(capture)}\n`);
      for (const meter of meters(REPOSITORY_ROOT)) {
        if (!meter.program) {
          rows.push({ packets, meter: meter.name, status: 'not installed' });
        } else {
          warmPageCache(capture.path);
          const run = meter.run(capture.path, BENCH_DIR);
          rows.push({ packets, meter: meter.name, status: run.exitCode === 0 ? 'ok' : 'failed', run });
        }
        process.stdout.write(`  ${tableRow(rows[rows.length - 1])}\n`);
      }
    }
    // What tagging costs flows it has nothing to say about: a capture of the same shape with no DNS,
    // no RTP and no NAT64 prefix, metered with and without tags.
    const plainPackets = Math.min(...options.sizes);
    const plain = ensureCapture(options.seed, plainPackets, 'plain');
    process.stdout.write(`capture (nothing to tag) ${describeCapture(plain)}\n`);
    for (const meter of [flowsigMeter(REPOSITORY_ROOT), flowsigMeter(REPOSITORY_ROOT, ['--no-tags'])]) {
      warmPageCache(plain.path);
      const run = meter.run(plain.path, BENCH_DIR);
      plainRows.push({ packets: plainPackets, meter: meter.name, status: run.exitCode === 0 ? 'ok' : 'failed', run });
      process.stdout.write(`  ${tableRow(plainRows[plainRows.length - 1])}\n`);
    }
  } finally {
    if (!options.keep) {
      for (const packets of options.sizes) removeCapture(options.seed, packets);
      removeCapture(options.seed, Math.min(...options.sizes), 'plain');
    }
  }

  const header = `${'packets'.padEnd(8)} ${'meter'.padEnd(19)} ${'wall s'.padStart(8)} ${'packets/s'.padStart(12)} ${'peak MB'.padStart(9)} ${'CPU s'.padStart(7)} ${'flows'.padStart(11)}`;
  const notes = Object.entries(FLOW_COUNT_MEANING).map(([meter, meaning]) => `  ${meter}: ${meaning}`);
  const verdict = targetVerdict(rows);
  const untagged = untaggedVerdict(plainRows);
  process.stdout.write(`\n${header}\n${rows.map(tableRow).join('\n')}\n\nflows, as each meter counts them:\n${notes.join('\n')}\n\n${verdict}\n${untagged}\n`);

  mkdirSync(join(REPOSITORY_ROOT, 'bench-out'), { recursive: true });
  const figures = {
    date: new Date().toISOString(),
    seed: options.seed,
    node: process.version,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? null,
    captures: captures.map(({ path, ...rest }) => ({ ...rest, path: options.keep ? path : null })),
    results: rows.map((row) => ({
      packets: row.packets,
      meter: row.meter,
      status: row.status,
      ...(row.run && {
        command: row.run.command,
        exitCode: row.run.exitCode,
        wallSeconds: row.run.wallSeconds,
        packetsPerSecond: row.status === 'ok' ? packetsPerSecond(row) : null,
        peakMemoryMB: row.run.peakMemoryMB,
        cpuSeconds: row.run.cpuSeconds,
        flows: row.run.flows,
      }),
    })),
    flowCountMeaning: FLOW_COUNT_MEANING,
    target: { packets: TARGET_PACKETS, packetsPerSecond: TARGET_PACKETS_PER_SECOND, peakMemoryMB: TARGET_PEAK_MB, verdict },
    nothingToTag: {
      verdict: untagged,
      results: plainRows.map((row) => ({ packets: row.packets, meter: row.meter, status: row.status, wallSeconds: row.run?.wallSeconds ?? null, cpuSeconds: row.run?.cpuSeconds ?? null })),
    },
  };
  writeFileSync(OUT_FILE, `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`figures written to ${OUT_FILE}\n`);
  // a failing flowsig fails the benchmark; a failing peer is reported, not fatal
  return rows.some((r) => r.meter === 'flowsig' && r.status === 'failed') ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
