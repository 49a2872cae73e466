/**
 * The meters the benchmark runs on the same capture: flowsig and, when
 * installed, softflowd and nfpcapd, each with its default settings. Each run
 * reads the file once and reports its own flow count where that is printed
 * anyway; none of them sends anything on any network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findProgram, type Measurement, measure } from './measure.js';

export interface MeterRun extends Measurement {
  meter: string;
  command: string;
  /** flows as the meter itself counts them (see FLOW_COUNT_MEANING) */
  flows: number | null;
}

export interface Meter {
  name: string;
  /** path of the program, or undefined when it is not installed */
  program: string | undefined;
  run(capture: string, workDir: string): MeterRun;
}

/** What each meter's flow count is, for the table's footnotes: they are not the same thing. */
export const FLOW_COUNT_MEANING: Record<string, string> = {
  flowsig: 'unidirectional records, 15 s idle / 30 min active timeout (--no-tags: the same records without the application tags)',
  softflowd: 'flows holding both directions; reading a file it applies no timeouts, only evicts the least recently used when its 8192-flow table is full',
  nfpcapd: 'unidirectional records, 60 s idle / 300 s active, cut again at its 5-minute file boundaries; ICMP is one record per packet',
};

/** flowsig with its default settings (tags on), or with extra options such as --no-tags. */
export function flowsigMeter(repositoryRoot: string, extra: readonly string[] = []): Meter {
  const flowsigBin = join(repositoryRoot, 'bin', 'flowsig.js');
  const name = ['flowsig', ...extra].join(' ');
  return {
    name,
    program: process.execPath,
    run(capture, workDir) {
      // no -q: the summary line on standard error gives the flow count; without a terminal it draws no progress bar
      const args = [flowsigBin, 'flows', '-r', capture, '-o', 'ndjson', ...extra];
      const m = measure(process.execPath, args, join(workDir, 'time.txt'), true);
      return { ...m, meter: name, command: `node bin/flowsig.js ${args.slice(1).join(' ')} > /dev/null`, flows: firstNumber(/; (\d+) flows/, m.stderr) };
    },
  };
}

export function meters(repositoryRoot: string): Meter[] {
  const softflowd = findProgram('softflowd');
  const nfpcapd = findProgram('nfpcapd');
  return [
    flowsigMeter(repositoryRoot),
    flowsigMeter(repositoryRoot, ['--no-tags']),
    {
      name: 'softflowd',
      program: softflowd,
      run(capture, workDir) {
        // Without -n softflowd exports nothing and opens no socket (statistics mode), so it needs no
        // collector and no network namespace. -6: track IPv6 too, which its default NetFlow v5 cannot carry.
        const args = ['-r', capture, '-6'];
        const m = measure(softflowd!, args, join(workDir, 'time.txt'));
        return { ...m, meter: 'softflowd', command: `softflowd ${args.join(' ')}`, flows: firstNumber(/Flows expired: (\d+)/, m.stdout + m.stderr) };
      },
    },
    {
      name: 'nfpcapd',
      program: nfpcapd,
      run(capture, workDir) {
        const flowDir = mkdtempSync(join(workDir, 'nfpcapd-'));
        try {
          const args = ['-r', capture, '-w', flowDir];
          const m = measure(nfpcapd!, args, join(workDir, 'time.txt'));
          // one "Ident: 'none' Flows: N, …" line per nfcapd file it rotated
          const perFile = [...(m.stdout + m.stderr).matchAll(/Ident: .*?Flows: (\d+)/g)].map((match) => Number(match[1]));
          const flows = perFile.length > 0 ? perFile.reduce((a, b) => a + b, 0) : null;
          return { ...m, meter: 'nfpcapd', command: `nfpcapd -r ${capture} -w DIR`, flows };
        } finally {
          rmSync(flowDir, { recursive: true, force: true });
        }
      },
    },
  ];
}

function firstNumber(pattern: RegExp, text: string): number | null {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : null;
}
