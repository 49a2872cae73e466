/**
 * `flowsig query`: run NFQL signatures over flow records, from captures
 * (through the meter, with the options of `flowsig flows`) or from flow
 * files written by `flowsig flows -o ndjson|csv`. Every signature runs in
 * the same pass over the records.
 *
 * Exit status: 0 some signature matched, 1 none did, 2 bad usage, a
 * signature that does not check (reported before any record is read) or
 * damaged input (reported after the matches found in what was read).
 */
import { closeSync, openSync, statSync } from 'node:fs';
import { compileSignatures, signatureFiles } from '../watch/signatures.js';
import { createCaptureParser } from '../capture/open.js';
import { isPcapMagic } from '../capture/pcap.js';
import { BLOCK_SECTION_HEADER } from '../capture/pcapng.js';
import { InputError } from '../capture/types.js';
import { meterFields } from '../flow/fields.js';
import { createIpfixFileParser, looksLikeIpfix } from '../ipfix/file.js';
import { createFlowFileParser, flowFileSink, readChunks, sniffFlowFormat, TextInputError } from '../flow/flowfile.js';
import { createFlowPipeline } from '../flow/pipeline.js';
import type { FlowRecord } from '../flow/record.js';
import { createQueryRunner, type QueryRunner } from '../nfql/exec/run.js';
import type { CheckedQuery } from '../nfql/index.js';
import { createMatchWriter, MATCH_FORMATS, type MatchFormat } from '../report/matches.js';
import { openTextOutput } from '../report/output.js';
import { type OptionSpec, parseArgs, UsageError } from './args.js';
import { meterOptionSpecs, parseMeterArgs } from './flows.js';
import { createProgress } from './progress.js';
// registers the tag fields, so signatures may use them (also over flow files written with tags)
import '../tag/index.js';

export const QUERY_OPTIONS: readonly OptionSpec[] = [
  { long: 'query', short: 'q', value: 'SIG', repeatable: true, help: 'an NFQL signature file, or a folder: every *.nfql in it; repeat for several' },
  { long: 'read', short: 'r', value: 'FILE', repeatable: true, help: 'a capture (pcap, pcapng), a flow file (ndjson, csv from `flowsig flows`) or an IPFIX file; - for standard input; repeatable' },
  { long: 'output', short: 'o', value: 'FORMAT', help: 'table (default on a terminal) or ndjson (default otherwise): one object per match' },
  { long: 'write', short: 'w', value: 'OUT', help: 'write matches to OUT instead of standard output' },
  { long: 'groups', help: 'show each match\'s group records instead of its member flows' },
  ...meterOptionSpecs().map((s) => ({ ...s, help: `${s.help} (captures)` })),
  { long: 'quiet', help: 'no summary or progress on standard error' },
  { long: 'help', short: 'h', help: 'show this help' },
];

export const QUERY_USAGE = `usage: flowsig query -q SIG.nfql [-q SIG|DIR …] -r FILE [-r FILE …] [options]

Run NFQL signatures over flow records and print every match: the signature,
the match number, the hosts involved, the time span and the member flows.
Records come from captures (metered as by 'flowsig flows', with the same
options), from flow files written by 'flowsig flows -o ndjson|csv', or from
IPFIX files (RFC 5655: 'flowsig flows -o ipfix -w', 'flowsig collect -o ipfix -w').

options:
${QUERY_OPTIONS.map((s) => `  ${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.value ? ` ${s.value}` : ''}\n        ${s.help}`).join('\n')}

exit status: 0 a signature matched, 1 nothing matched, 2 bad usage, a
signature with errors (reported before any record is read) or damaged input

examples:
  flowsig query -q learned/skype-nat64-login.nfql -r capture.pcapng
  flowsig query -q learned/ -r flows.ndjson -o ndjson
  flowsig flows -r trace.pcap -o ndjson | flowsig query -q sig.nfql -r -
`;

export interface QueryIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

interface QueryConfig {
  signatures: { file: string; text: string }[];
  inputs: string[];
  format: MatchFormat;
  outPath: string | undefined;
  groups: boolean;
  quiet: boolean;
  meter: ReturnType<typeof parseMeterArgs>;
}

/** `flowsig query …`; returns the exit status. */
export function runQuery(argv: readonly string[], io: QueryIo = { stdout: process.stdout, stderr: process.stderr }): number {
  let cfg: QueryConfig | 'help';
  try {
    cfg = parseQueryArgs(argv, io.stdout.isTTY === true);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`flowsig: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (cfg === 'help') {
    io.stdout.write(QUERY_USAGE);
    return 0;
  }

  // Every signature is checked before a single record is read.
  const compiled = compileSignatures(cfg.signatures);
  if (compiled.errors.length > 0) {
    io.stderr.write(`${compiled.errors.join('\n')}\n`);
    return 2;
  }
  const queries: CheckedQuery[] = compiled.queries.map((q) => q.query);

  const started = process.hrtime.bigint();
  const runners = queries.map(createQueryRunner);
  let records = 0;
  let biflow = cfg.meter.meter.biflow ?? false;
  const onRecord = (rec: FlowRecord) => {
    records++;
    if (rec.rev_packets !== undefined) biflow = true;
    for (let i = 0; i < runners.length; i++) runners[i].push(rec);
  };
  let failure: InputError | undefined;
  try {
    readInputs(cfg, onRecord, io);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    failure = err;
  }

  const out = openTextOutput(cfg.outPath);
  const writer = createMatchWriter(out, { format: cfg.format, groups: cfg.groups, fields: meterFields({ biflow, tags: cfg.meter.meter.inspector !== undefined }) });
  let matched = 0;
  const counts: string[] = [];
  for (const runner of runners) {
    const result = runner.finish();
    writer.write(result);
    matched += result.matches.length;
    counts.push(`${result.signature}: ${countText(runner, result.matches.length)}`);
  }
  writer.end();
  if (!cfg.quiet) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    io.stderr.write(`flowsig: ${records} flow record${records === 1 ? '' : 's'}; ${counts.join(', ')}; ${seconds.toFixed(2)} s\n`);
  }
  if (failure) {
    io.stderr.write(`flowsig: ${failure.describe()}\n`);
    return 2;
  }
  return matched > 0 ? 0 : 1;
}

function countText(runner: QueryRunner, n: number): string {
  const noun = runner.kind === 'records' ? 'record' : runner.kind === 'groups' ? 'group' : 'match';
  return `${n} ${n === 1 ? noun : noun === 'match' ? 'matches' : `${noun}s`}`;
}

function parseQueryArgs(argv: readonly string[], stdoutIsTty: boolean): QueryConfig | 'help' {
  const a = parseArgs(argv, QUERY_OPTIONS);
  if (a.flags.has('help')) return 'help';
  if (a.positionals.length > 0) throw new UsageError(`unexpected argument "${a.positionals[0]}" (signatures are given with -q SIG.nfql, inputs with -r FILE)`);
  const sigArgs = a.options.get('query') ?? [];
  if (sigArgs.length === 0) throw new UsageError('no signature: give -q SIG.nfql (or -q DIR for every *.nfql in it)');
  const inputs = a.options.get('read') ?? [];
  if (inputs.length === 0) throw new UsageError('no input: give -r FILE (a capture or a flow file; - for standard input)');
  if (inputs.filter((i) => i === '-').length > 1) throw new UsageError('-r - (standard input) can be given once');
  const outPath = a.options.get('write')?.[0];
  const formatText = a.options.get('output')?.[0];
  let format: MatchFormat;
  if (formatText === undefined) format = stdoutIsTty && outPath === undefined ? 'table' : 'ndjson';
  else if ((MATCH_FORMATS as readonly string[]).includes(formatText)) format = formatText as MatchFormat;
  else throw new UsageError(`-o ${formatText}: expected one of ${MATCH_FORMATS.join(', ')}`);
  return {
    signatures: sigArgs.flatMap((arg) => signatureFiles(arg, '-q')),
    inputs,
    format,
    outPath,
    groups: a.flags.has('groups'),
    quiet: a.flags.has('quiet'),
    meter: parseMeterArgs(a),
  };
}


// ------------------------------------------------------------------ inputs

type InputKind = 'capture' | 'flows' | 'ipfix';

/** What a file holds, from its first bytes: a capture by its magic number, a flow file by its first characters. */
function inputKind(name: string, head: Buffer): InputKind {
  if (head.length >= 4) {
    const magic = head.readUInt32BE(0);
    if (isPcapMagic(magic) || magic === BLOCK_SECTION_HEADER) return 'capture';
  }
  if (looksLikeIpfix(head)) return 'ipfix';
  if (sniffFlowFormat(head.toString('utf8', 0, Math.min(head.length, 4096)))) return 'flows';
  if (head.length >= 2 && head.readUInt16BE(0) === 0x1f8b) throw new InputError(name, 0, 'gzip-compressed, decompress it first');
  throw new InputError(name, 0, 'neither a capture (pcap, pcapng) nor a flow file (ndjson or csv from `flowsig flows`, or IPFIX)');
}

/** Reads every input in turn; captures go through one meter (as `flowsig flows` does), flow files straight to `onRecord`. */
function readInputs(cfg: QueryConfig, onRecord: (rec: FlowRecord) => void, io: QueryIo): void {
  const pipeline = createFlowPipeline({ meter: cfg.meter.meter, decode: { tunnels: cfg.meter.tunnels } }, onRecord);
  const showProgress = !cfg.quiet && io.stderr.isTTY === true;
  try {
    for (const input of cfg.inputs) readInput(input, pipeline.sink, onRecord, showProgress ? (io.stderr as NodeJS.WriteStream) : undefined);
  } finally {
    // flows still in the cache end at the end of input, also when an input was damaged (as in `flowsig flows`)
    pipeline.meter.flush('eof');
  }
}

const SNIFF_BYTES = 512;

function readInput(path: string, sink: ReturnType<typeof createFlowPipeline>['sink'], onRecord: (rec: FlowRecord) => void, progressTo: NodeJS.WriteStream | undefined): void {
  const name = path === '-' ? 'standard input' : path;
  let fd = 0;
  let total = 0;
  if (path !== '-') {
    try {
      fd = openSync(path, 'r');
      total = statSync(path).size;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(path, undefined, `cannot open: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
    }
  }
  const progress = progressTo && total > 0 ? createProgress(progressTo, path, total) : undefined;
  let head: Buffer[] = [];
  let headLength = 0;
  let consumer: { push(chunk: Buffer): void; end(): void } | undefined;
  let done = 0;
  const start = (bytes: Buffer) => {
    const kind = inputKind(name, bytes);
    if (kind === 'capture') {
      const parser = createCaptureParser(name, sink);
      consumer = { push: (c) => parser.push(c), end: () => parser.end() };
    } else if (kind === 'ipfix') {
      consumer = createIpfixFileParser(name, onRecord);
    } else {
      const format = sniffFlowFormat(bytes.toString('utf8', 0, Math.min(bytes.length, 4096)))!;
      consumer = flowFileSink(createFlowFileParser(name, format, onRecord));
    }
    consumer.push(bytes);
  };
  try {
    readChunks(fd, (chunk) => {
      done += chunk.length;
      progress?.update(done, total);
      if (consumer) {
        consumer.push(chunk);
        return;
      }
      // the first bytes decide what the input is (a pipe may deliver them a few at a time)
      head.push(Buffer.from(chunk));
      headLength += chunk.length;
      if (headLength >= SNIFF_BYTES) {
        const bytes = Buffer.concat(head);
        head = [];
        start(bytes);
      }
    });
    if (!consumer) {
      if (headLength === 0) throw new InputError(name, 0, 'empty file, expected a capture or flow records');
      start(Buffer.concat(head));
    }
    consumer!.end();
  } catch (err) {
    if (err instanceof InputError || err instanceof TextInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new InputError(name, undefined, `cannot read: ${(err as Error).message}`);
    throw err;
  } finally {
    progress?.done();
    if (path !== '-') closeSync(fd);
  }
}
