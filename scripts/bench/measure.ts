/**
 * Run one program to completion and measure it: wall time from here, peak
 * memory and CPU time from GNU time (`/usr/bin/time -f`), which sees the whole
 * process tree's peak and every thread's CPU. Without GNU time only the wall
 * time is known.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export interface Measurement {
  /** null when the program was killed by a signal */
  exitCode: number | null;
  wallSeconds: number;
  /** maximum resident set size; null without GNU time */
  peakMemoryMB: number | null;
  /** user + system; null without GNU time */
  cpuSeconds: number | null;
  stdout: string;
  stderr: string;
}

export const haveGnuTime = (): boolean => existsSync(GNU_TIME);

/**
 * `timeFile` is where GNU time writes its figures (kept apart from the
 * program's own standard error). Standard output goes to /dev/null when
 * `discardStdout`, as a meter's records would fill memory.
 */
export function measure(program: string, args: readonly string[], timeFile: string, discardStdout = false): Measurement {
  const timed = haveGnuTime();
  // %e wall, %M peak RSS in KiB, %U and %S CPU seconds
  const argv = timed ? [GNU_TIME, '-f', '%e %M %U %S', '-o', timeFile, program, ...args] : [program, ...args];
  const stdout = discardStdout ? openSync('/dev/null', 'w') : 'pipe';
  const started = process.hrtime.bigint();
  try {
    const run = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.error) throw run.error;
    let peakMemoryMB: number | null = null;
    let cpuSeconds: number | null = null;
    if (timed && existsSync(timeFile)) {
      // the last line holds the figures; a line before it may say "Command exited with non-zero status N"
      const figures = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      if (figures.length === 4 && figures.every(Number.isFinite)) {
        peakMemoryMB = figures[1] / 1024;
        cpuSeconds = figures[2] + figures[3];
      }
      rmSync(timeFile, { force: true });
    }
    return { exitCode: run.status, wallSeconds, peakMemoryMB, cpuSeconds, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
  } finally {
    if (typeof stdout === 'number') closeSync(stdout);
  }
}

/** The path of an executable on PATH or in the sbin folders (softflowd lives in /usr/sbin, off many users' PATH). */
/**
 * Reads `path` through once, unmeasured, so the run after it finds the file in the page cache. The
 * machines this runs on give a 1.2 GB capture back to the disk within minutes: without this, whichever
 * meter runs first after a pause pays 1–2 s of disk reads the others do not.
 */
export function warmPageCache(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(16 << 20);
    while (readSync(fd, chunk, 0, chunk.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

export function findProgram(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const folder of folders) {
    if (!folder) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
