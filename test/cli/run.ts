/**
 * Runs the built command (`bin/flowsig.js` over `dist/`) as a user would.
 * `npm test` builds first (pretest); a bare `vitest` run builds once here if
 * dist/ is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = `${ROOT}bin/flowsig.js`;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let built = false;
function ensureBuilt(): void {
  if (built || existsSync(`${ROOT}dist/src/cli/main.js`)) {
    built = true;
    return;
  }
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

export function flowsig(args: string[], input?: Buffer, env?: Record<string, string>): RunResult {
  ensureBuilt();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT, input, maxBuffer: 256 * 1024 * 1024, timeout: 120_000, env: env ? { ...process.env, ...env } : undefined,
  });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** CSV output to objects (numbers where the text is a number). */
export function parseCsv(text: string): Record<string, string | number>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = header.split(',');
  return lines.filter((l) => l !== '').map((line) => {
    const cells = line.split(',');
    const rec: Record<string, string | number> = {};
    names.forEach((n, i) => {
      const c = cells[i];
      rec[n] = c !== '' && /^-?\d+(\.\d+)?$/.test(c) ? Number(c) : c;
    });
    return rec;
  });
}
