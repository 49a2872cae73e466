/**
 * `flowsig collect`: IPFIX / NetFlow v9 / v5 from exporters (UDP) or IPFIX files to flow records,
 * written like `flowsig flows` writes them (table, csv, ndjson, or re-exported as IPFIX).
 */
import { InputError, openInput } from '../capture/types.js';
import { meterFields } from '../flow/fields.js';
import { readChunks } from '../flow/flowfile.js';
import type { FlowRecord } from '../flow/record.js';
import { bindCollector, type Collector, listenText } from '../ipfix/collector.js';
import { describeMalformed, type Damage, type ExporterStats } from '../ipfix/decode.js';
import { DEFAULT_PEN } from '../ipfix/encode.js';
import { createIpfixFileParser } from '../ipfix/file.js';
import { EXPORT_FORMATS, OUTPUT_FORMATS } from '../report/writers.js';
import '../tag/index.js'; // registers the tag fields, so our enterprise elements map back to tags
import { type OptionSpec, parseArgs, UsageError } from './args.js';
import { parseDuration } from './duration.js';
import { EXPORT_OPTIONS, type ExportConfig, openRecordSink, parseExportArgs } from './export.js';
import { closeSync } from 'node:fs';

export const COLLECT_OPTIONS: readonly OptionSpec[] = [
  { long: 'listen', short: 'l', value: '[ADDR]:PORT', help: 'receive IPFIX, NetFlow v9 and v5 over UDP (ADDR default ::, both families; [v6addr]:PORT)' },
  { long: 'read', short: 'r', value: 'FILE', repeatable: true, help: 'read an IPFIX file (RFC 5655; - for standard input); repeat for several' },
  { long: 'output', short: 'o', value: 'FORMAT', help: 'table (default on a terminal), csv, ndjson (default otherwise), ipfix (-w FILE or --to HOST:PORT)' },
  { long: 'write', short: 'w', value: 'OUT', help: 'write records to OUT instead of standard output' },
  { long: 'count', short: 'c', value: 'N', help: 'with --listen: stop after N flow records' },
  { long: 'duration', short: 'd', value: 'DURATION', help: 'with --listen: stop after this long (e.g. 30s, 10m)' },
  { long: 'biflow', help: 'output the RFC 5103 reverse columns (rev_packets, rev_bytes, …)' },
  { long: 'no-tags', help: 'output base fields only (no tag columns)' },
  ...EXPORT_OPTIONS.map((s) => {
    if (s.long === 'pen') return { ...s, help: `private enterprise number of flowsig's own elements, received and re-exported (default ${DEFAULT_PEN})` };
    if (s.long === 'to') return { ...s, help: 'with -o ipfix: re-export over UDP to HOST:PORT ([v6addr]:PORT for IPv6)' };
    return s;
  }),
  { long: 'quiet', short: 'q', help: 'no statistics on standard error' },
  { long: 'help', short: 'h', help: 'show this help' },
];

export const COLLECT_USAGE = `usage: flowsig collect --listen [ADDR]:PORT [options]
       flowsig collect -r FILE.ipfix [options]

Receive IPFIX (RFC 7011), NetFlow v9 (RFC 3954) and NetFlow v5 records over UDP, or read IPFIX
files (RFC 5655), and write them as flow records. Templates are kept per exporter address and
observation domain; sequence gaps and malformed messages are counted per exporter and printed
on standard error at the end (Ctrl-C, SIGTERM, --count or --duration).

options:
${COLLECT_OPTIONS.map((s) => `  ${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.value ? ` ${s.value}` : ''}\n        ${s.help}`).join('\n')}

examples:
  flowsig collect --listen :4739 -o table
  flowsig collect --listen 0.0.0.0:2055 -o ndjson -w flows.ndjson --duration 1h
  flowsig collect --listen [::]:4739 -o ipfix -w archive.ipfix
  flowsig collect -r flows.ipfix -o csv
`;

export interface CollectConfig {
  listen?: { address: string; port: number };
  files: string[];
  format: string;
  outPath?: string;
  export?: ExportConfig;
  count?: number;
  durationMs?: number;
  biflow: boolean;
  tags: boolean;
  pen: number;
  quiet: boolean;
}

export function parseListen(text: string, option = '--listen'): { address: string; port: number } {
  if (/^\d+$/.test(text)) return { address: '::', port: Number(text) };
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${option} ${text}: expected [ADDR]:PORT, e.g. :4739, 0.0.0.0:2055 or [::1]:4739`);
  return { address: m[1] === '' ? '::' : m[1], port: Number(m[2]) };
}

export function parseCollectArgs(argv: readonly string[], stdoutIsTty: boolean): CollectConfig | 'help' {
  const a = parseArgs(argv, COLLECT_OPTIONS);
  if (a.flags.has('help')) return 'help';
  if (a.positionals.length > 0) throw new UsageError(`unexpected argument "${a.positionals[0]}"`);
  const listenText = a.options.get('listen')?.[0];
  const files = a.options.get('read') ?? [];
  if (listenText === undefined && files.length === 0) throw new UsageError('no input: give --listen [ADDR]:PORT or -r FILE.ipfix');
  if (listenText !== undefined && files.length > 0) throw new UsageError('give either --listen or -r, not both');
  const outPath = a.options.get('write')?.[0];
  const formatText = a.options.get('output')?.[0];
  const formats: readonly string[] = [...OUTPUT_FORMATS, 'ipfix'];
  let format: string;
  if (formatText === undefined) format = stdoutIsTty && outPath === undefined ? 'table' : 'ndjson';
  else if (formats.includes(formatText)) format = formatText;
  else if ((EXPORT_FORMATS as readonly string[]).includes(formatText)) throw new UsageError(`-o ${formatText}: collect re-exports IPFIX only`);
  else throw new UsageError(`-o ${formatText}: expected one of ${formats.join(', ')}`);
  const countText = a.options.get('count')?.[0];
  if (countText !== undefined && (!/^\d+$/.test(countText) || Number(countText) < 1)) throw new UsageError(`--count ${countText}: expected a whole number of at least 1`);
  const durationText = a.options.get('duration')?.[0];
  let durationMs: number | undefined;
  if (durationText !== undefined) {
    durationMs = parseDuration(durationText);
    if (durationMs === undefined || durationMs <= 0) throw new UsageError(`--duration ${durationText}: expected a duration such as 30s or 10m`);
  }
  if (listenText === undefined && (countText !== undefined || durationText !== undefined)) throw new UsageError('--count and --duration apply to --listen');
  const penText = a.options.get('pen')?.[0];
  if (penText !== undefined && (!/^\d+$/.test(penText) || Number(penText) < 1 || Number(penText) > 4294967295)) throw new UsageError(`--pen ${penText}: expected a whole number from 1 to 4294967295`);
  return {
    listen: listenText === undefined ? undefined : parseListen(listenText),
    files,
    format,
    outPath,
    export: parseExportArgs(a, format, outPath),
    count: countText === undefined ? undefined : Number(countText),
    durationMs,
    biflow: a.flags.has('biflow'),
    tags: !a.flags.has('no-tags'),
    pen: penText === undefined ? DEFAULT_PEN : Number(penText),
    quiet: a.flags.has('quiet'),
  };
}

const VERSION_NAMES: Record<number, string> = { 5: 'NetFlow v5', 9: 'NetFlow v9', 10: 'IPFIX' };

function exporterName(s: ExporterStats): string {
  const what = VERSION_NAMES[s.version] ?? `version ${s.version}`;
  return `${s.address} ${what}${s.version === 5 || s.version === 9 || s.version === 10 ? ` ${s.version === 10 ? 'domain' : s.version === 9 ? 'source id' : 'engine'} ${s.domain}` : ''}`;
}

/** One line per exporter for the end-of-run statistics. */
export function exporterLine(s: ExporterStats): string {
  const malformed = Object.entries(s.malformed).map(([k, n]) => `${n} ${k}`).join(', ');
  return `exporter ${exporterName(s)}: ${s.messages} messages, ${s.records} records`
    + (s.version !== 5 ? `, ${s.templates} template records${s.withdrawals ? ` (${s.withdrawals} withdrawn)` : ''}, ${s.optionsRecords} options records` : '')
    + `, ${s.sequenceGaps} sequence gaps (${s.lost} ${s.version === 9 ? 'messages' : 'records'} lost)`
    + (s.samplingInterval > 1 ? `, sampling 1:${s.samplingInterval}` : '')
    + `, malformed: ${malformed || 'none'}`;
}

export async function runCollect(cfg: CollectConfig, stderr: NodeJS.WritableStream): Promise<number> {
  const say = (line: string) => {
    if (!cfg.quiet) stderr.write(`${line}\n`);
  };
  const fields = meterFields({ biflow: cfg.biflow, tags: cfg.tags });
  let sink;
  try {
    sink = openRecordSink(cfg.format, fields, cfg.outPath, cfg.export);
  } catch (err) {
    stderr.write(`flowsig: ${cfg.outPath}: cannot write: ${(err as Error).message}\n`);
    return 1;
  }
  if (cfg.listen) return listen(cfg, cfg.listen, sink, say, stderr);

  let records = 0;
  const onRecord = (rec: FlowRecord) => {
    records++;
    rec.rec_id = records;
    sink.write(rec);
  };
  let failure: InputError | undefined;
  const stats: ExporterStats[] = [];
  for (const file of cfg.files) {
    const name = file === '-' ? 'standard input' : file;
    const parser = createIpfixFileParser(name, onRecord, { pen: cfg.pen });
    let fd = 0;
    try {
      if (file !== '-') fd = openInput(file);
      readChunks(fd, (chunk) => parser.push(chunk));
      parser.end();
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      failure = err;
    } finally {
      if (fd !== 0) closeSync(fd);
      stats.push(...parser.parser.exporters());
    }
    if (failure) break;
  }
  await sink.end();
  for (const s of stats) say(`flowsig: ${exporterLine(s)}`);
  const exported = sink.summary();
  if (exported) say(`flowsig: ${exported}`);
  if (failure) {
    stderr.write(`flowsig: ${failure.describe()}\n`);
    return 2;
  }
  return 0;
}


async function listen(
  cfg: CollectConfig, at: { address: string; port: number }, sink: ReturnType<typeof openRecordSink>, say: (line: string) => void, stderr: NodeJS.WritableStream,
): Promise<number> {
  let records = 0;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  const limit = cfg.count ?? Number.POSITIVE_INFINITY;
  const onMalformed = (e: ExporterStats, d: Damage, first: boolean) => {
    if (first) say(`flowsig: warning: exporter ${exporterName(e)}: ${describeMalformed(d.kind)} (${d.detail}); further ones are counted`);
  };
  const onRecord = (rec: FlowRecord) => {
    if (records >= limit) return;
    records++;
    rec.rec_id = records;
    sink.write(rec);
    if (records >= limit) stop();
  };
  let collector: Collector;
  try {
    collector = await bindCollector({ address: at.address, port: at.port, pen: cfg.pen, onMalformed }, onRecord);
  } catch (err) {
    stderr.write(`flowsig: --listen ${listenText(at)}: ${(err as Error).message}\n`);
    return 1;
  }
  const bound = collector.address();
  say(`flowsig: collecting on ${listenText(bound)} (IPFIX, NetFlow v9, v5); Ctrl-C to stop`);
  const tick = setInterval(() => sink.flush(), 250);
  const timer = cfg.durationMs === undefined ? undefined : setTimeout(stop, cfg.durationMs);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await stopped;
  clearInterval(tick);
  if (timer) clearTimeout(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await collector.close();
  try {
    await sink.end();
  } catch (err) {
    stderr.write(`flowsig: ${(err as Error).message}\n`);
    return 1;
  }
  const stats = collector.stats();
  if (stats.length === 0) say('flowsig: no exporter sent anything');
  for (const s of stats) say(`flowsig: ${exporterLine(s)}`);
  say(`flowsig: ${records} records from ${collector.datagrams} datagrams`);
  const exported = sink.summary();
  if (exported) say(`flowsig: ${exported}`);
  return 0;
}
