/**
 * `flowsig learn`: mine what distinguishes failing runs of an application
 * from working ones and write it as an NFQL signature (docs/learn.md).
 *
 * Exit status: 0 a signature was found (and written with -o); 1 no candidate
 * separates the runs, nothing is common to every bad run, or the output could
 * not be written; 2 bad usage or damaged input; 3 no trace on the wire
 * (nothing present in the bad runs distinguishes them; nothing is written).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname, extname, join } from 'node:path';
import { formatIp, parseIp } from '../flow/addr.js';
import { learn, type LearnResult } from '../learn/learn.js';
import { headerText, reportText } from '../learn/report.js';
import { type OptionSpec, parseArgs, UsageError } from './args.js';
import { meterOptionSpecs, parseMeterArgs } from './flows.js';
// registers the tag fields, so learned signatures may use them
import '../tag/index.js';

export const EXIT_NO_TRACE = 3;

export const LEARN_OPTIONS: readonly OptionSpec[] = [
  { long: 'good', value: 'FILE', repeatable: true, help: 'a working run: a capture (pcap, pcapng) or a flow file (ndjson, csv); repeat for several' },
  { long: 'bad', value: 'FILE', repeatable: true, help: 'a failing run, as --good; repeat for several' },
  { long: 'name', value: 'NAME', help: 'the signature\'s name (default: from the first bad file, e.g. sip-bad-1.pcapng -> sip-learned, or from -o)' },
  { long: 'output', short: 'o', value: 'FILE', help: 'write the best signature to FILE (with --all every valid one: FILE, FILE-2, …)' },
  { long: 'client', value: 'ADDR', help: 'learn from the flows of this host only (the host the runs were recorded on); default: every host' },
  { long: 'all', help: 'report every candidate, the rejected ones too; with -o write every valid one' },
  ...meterOptionSpecs().map((s) => ({ ...s, help: `${s.help} (captures)` })),
  { long: 'help', short: 'h', help: 'show this help' },
];

export const LEARN_USAGE = `usage: flowsig learn --good OK.pcap [--good …] --bad FAIL.pcap [--bad …] [options]

Learn an NFQL signature from working and failing runs of an application: the
flows of each run are described as items (service, tags, address family, TCP
outcome, duration and size bands, what follows them), patterns present in
every bad run and in no good run are turned into NFQL, minimized, and
validated with the NFQL engine on every run. Prints the ranked candidates;
-o writes the best. When nothing present in the bad runs distinguishes them,
says so ("no trace on the wire") and writes nothing.

options:
${LEARN_OPTIONS.map((s) => `  ${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.value ? ` ${s.value}` : ''}\n        ${s.help}`).join('\n')}

exit status: 0 a signature was found, 1 no candidate separates the runs (or
nothing is common to every bad run, or -o cannot be written), 2 bad usage or
damaged input, 3 no trace on the wire (nothing written)

examples:
  flowsig learn --good captures/sip-good-1.pcapng --bad captures/sip-bad-1.pcapng
  flowsig learn --good ok1.pcap --good ok2.pcap --bad fail.pcap -o learned/app.nfql
  flowsig learn --good ok.ndjson --bad fail.ndjson --all
`;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function runLearn(argv: readonly string[], io: { stdout: { write(t: string): unknown }; stderr: { write(t: string): unknown } } = process): number {
  const a = parseArgs(argv, LEARN_OPTIONS);
  if (a.flags.has('help')) {
    io.stdout.write(LEARN_USAGE);
    return 0;
  }
  if (a.positionals.length > 0) throw new UsageError(`unexpected argument "${a.positionals[0]}" (runs are given with --good FILE and --bad FILE)`);
  const good = a.options.get('good') ?? [];
  const bad = a.options.get('bad') ?? [];
  if (good.length === 0) throw new UsageError('no working run: give --good FILE (a capture or flow file of the application working)');
  if (bad.length === 0) throw new UsageError('no failing run: give --bad FILE (a capture or flow file of the application failing)');
  for (const f of [...good, ...bad]) if (f === '-') throw new UsageError('--good/--bad -: each run must be a file (standard input cannot be told apart from the other runs)');
  const outPath = a.options.get('output')?.[0];
  const name = a.options.get('name')?.[0] ?? defaultName(outPath, bad[0]);
  if (!NAME_PATTERN.test(name)) throw new UsageError(`--name ${name}: expected letters, digits, _ and -, starting with a letter or _`);
  parseMeterArgs(a); // reports bad meter options before any file is read
  const all = a.flags.has('all');
  const client = a.options.get('client')?.[0];
  if (client !== undefined && !isIP(client)) throw new UsageError(`--client ${client}: expected an IPv4 or IPv6 address`);

  const result: LearnResult = learn({
    good, bad, name, client: client === undefined ? undefined : canonicalIp(client),
    pref64: a.options.get('pref64') ?? [],
    // fresh taggers for every run: they keep per-run state
    meter: () => parseMeterArgs(a).meter,
    tunnels: parseMeterArgs(a).tunnels,
  });
  io.stdout.write(reportText(result, { all }));
  if (result.verdict === 'no-trace') return EXIT_NO_TRACE;
  if (result.verdict === 'no-separation') return 1;
  if (outPath !== undefined) {
    const valid = result.candidates.filter((c) => c.validation.ok);
    const chosen = all ? valid : valid.slice(0, 1);
    const when = new Date();
    for (const [i, c] of chosen.entries()) {
      const path = i === 0 ? outPath : numbered(outPath, i + 1);
      const sigName = i === 0 ? name : `${name}-${i + 1}`;
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, headerText(c, result, sigName, when, 'flowsig') + c.text);
      } catch (err) {
        // the job could not be done (exit 1), as for any output that cannot be written
        io.stderr.write(`flowsig: -o ${path}: cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
        return 1;
      }
      io.stdout.write(`wrote ${path}\n`);
    }
  }
  return 0;
}

function numbered(path: string, n: number): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}-${n}${ext}`);
}

/** From -o (its file name) or the first bad run: sip-bad-1.pcapng → sip-learned. */
export function defaultName(outPath: string | undefined, firstBad: string): string {
  if (outPath !== undefined) {
    const n = basename(outPath, extname(outPath));
    if (NAME_PATTERN.test(n)) return n;
  }
  const base = basename(firstBad).replace(/\.(pcapng|pcap|ndjson|csv|json)$/i, '').replace(/[-_.]?(bad|fail(ing|ed)?)([-_.]?\d+)?$/i, '');
  const clean = base.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z_]+/, '');
  return `${clean || 'signature'}-learned`;
}

/** The address as flow records print it (so `--client 2001:DB8::0:2` finds 2001:db8::2). */
function canonicalIp(text: string): string {
  const bytes = parseIp(text)!;
  return formatIp(bytes, 0, bytes.length === 16 ? 6 : 4);
}
