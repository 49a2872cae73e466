/**
 * `flowsig flows`: packets from capture files to flow records.
 */
import { openSync, statSync } from 'node:fs';
import { CAPTURE_BACKENDS, DEFAULT_CAPTURE_BACKEND, type CaptureBackend } from '../capture/live.js';
import { readCaptureFile } from '../capture/open.js';
import { InputError } from '../capture/types.js';
import { type FieldDef, meterFields } from '../flow/fields.js';
import type { KeySpec, MeterOptions } from '../flow/meter.js';
import { createFlowPipeline, describeNotDecoded } from '../flow/pipeline.js';
import type { FlowRecord } from '../flow/record.js';
import type { ExportProtocol } from '../ipfix/encode.js';
import { OutputError } from '../report/output.js';
import { formatWorkerUrl, openThreadedWriter, type ThreadedWriter } from '../report/threaded.js';
import { EXPORT_FORMATS, OUTPUT_FORMATS, type OutputFormat } from '../report/writers.js';
import { createTagging, parsePref64List, type TagOptions } from '../tag/index.js';
import { type OptionSpec, type ParsedArgs, parseArgs, UsageError } from './args.js';
import { parseDuration } from './duration.js';
import { EXPORT_OPTIONS, type ExportConfig, openRecordSink, parseExportArgs } from './export.js';
import { runLiveFlows } from './live.js';
import { createProgress } from './progress.js';

export const FLOWS_OPTIONS: readonly OptionSpec[] = [
  { long: 'read', short: 'r', value: 'FILE', repeatable: true, help: 'read a pcap or pcapng file (- for standard input); repeat to read several in turn' },
  { long: 'interface', short: 'i', value: 'IFACE', repeatable: true, help: 'capture live on IFACE (repeat for several; never "any"); a trailing BPF filter applies to all; Ctrl-C ends every flow with endreason=eof' },
  { long: 'capture-backend', value: 'tcpdump|dumpcap', help: 'live capture program: tcpdump (default: one per interface, ns kernel timestamps) or dumpcap (one pcapng stream, µs)' },
  { long: 'output', short: 'o', value: 'FORMAT', help: 'table (default on a terminal), csv, ndjson (default otherwise); ipfix (-w FILE or --to HOST:PORT), netflow9, netflow5 (--to HOST:PORT)' },
  { long: 'write', short: 'w', value: 'OUT', repeatable: true, help: 'write records to OUT instead of standard output; with -i, a name ending in .pcapng saves the raw packets (one interface block per -i)' },
  { long: 'key', short: 'k', value: 'KEY', help: '5tuple (default) or 7tuple (adds ingress interface and ToS), extended with +vlan, +tunnel' },
  { long: 'biflow', help: 'RFC 5103 bidirectional records (initiator and responder counters)' },
  { long: 'idle', value: 'DURATION', help: 'inactive timeout (default 15s)' },
  { long: 'active', value: 'DURATION', help: 'active timeout (default 30m)' },
  { long: 'max-flows', value: 'N', help: 'flow-table size; when full the least recently active flow ends (default 1000000)' },
  { long: 'tunnel', value: 'inner|outer', help: 'key tunneled packets on the inner header (default) or the outer one' },
  { long: 'pref64', value: 'PREFIX', repeatable: true, help: 'NAT64 prefix (RFC 6052: /32, /40, /48, /56, /64 or /96) for the nat64 and dns_synth64 tags; repeat for several (default 64:ff9b::/96)' },
  { long: 'no-tags', help: 'no application tags (app, sip_*, sdp_*, rtp_*, dns_*, mdns_*, nat64*): base fields only' },
  ...EXPORT_OPTIONS,
  { long: 'quiet', short: 'q', help: 'no summary or progress on standard error' },
  { long: 'help', short: 'h', help: 'show this help' },
];

export const FLOWS_USAGE = `usage: flowsig flows -r FILE [options]
       flowsig flows -i IFACE [-i IFACE …] [options] [BPF filter]

Turn packets into NetFlow-style flow records.

options:
${optionList()}

examples:
  flowsig flows -r captures/sip-nat64-fail.pcapng
  flowsig flows -r trace.pcap -o csv -w flows.csv --idle 120s --biflow
  flowsig flows -r nat64-box.pcap --pref64 2001:db8:64::/96 -o ndjson
  tcpdump -i eth0 -w - | flowsig flows -r - -o ndjson
  sudo flowsig flows -i eth0 -i nat64 -i eth1 -k 7tuple -w run.pcapng 'not port 22'
  flowsig flows -r trace.pcap -o ipfix --to 192.0.2.10:4739 --domain 7
  flowsig flows -r trace.pcap -o ipfix -w flows.ipfix
  sudo flowsig flows -i nat64 -o netflow9 --to [2001:db8::10]:2055
`;

function optionList(): string {
  return FLOWS_OPTIONS.map((s) => `  ${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.value ? ` ${s.value}` : ''}\n        ${s.help}`).join('\n');
}

export interface FlowsConfig {
  files: string[];
  format: OutputFormat | ExportProtocol;
  /** -o ipfix|netflow9|netflow5: where and how */
  export?: ExportConfig;
  outPath: string | undefined;
  meter: Partial<MeterOptions>;
  tunnels: 'inner' | 'outer';
  /** the taggers' settings (undefined with --no-tags); `meter.inspector` is made of them */
  tags?: TagOptions;
  quiet: boolean;
  /** live capture (-i), in -i order; empty when reading files */
  interfaces: string[];
  /** trailing BPF filter (live capture only) */
  filter: string | undefined;
  backend: CaptureBackend;
  /** -w FILE.pcapng with -i: save the raw packets */
  savePath: string | undefined;
}

export function parseKey(text: string): KeySpec {
  const [base, ...extras] = text.split('+');
  const key: KeySpec = { tuple: 5, vlan: false, tunnel: false };
  if (base === '5tuple' || base === '5') key.tuple = 5;
  else if (base === '7tuple' || base === '7') key.tuple = 7;
  else throw new UsageError(`--key ${text}: expected 5tuple or 7tuple, optionally followed by +vlan and +tunnel`);
  for (const e of extras) {
    if (e === 'vlan') key.vlan = true;
    else if (e === 'tunnel') key.tunnel = true;
    else throw new UsageError(`--key ${text}: unknown key extension "+${e}" (expected +vlan or +tunnel)`);
  }
  return key;
}

function durationOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--${name} ${text}: expected a duration such as 500ms, 15s, 30m or 1h30m`);
  return ms;
}

export function parseFlowsArgs(argv: readonly string[], stdoutIsTty: boolean): FlowsConfig | 'help' {
  const a = parseArgs(argv, FLOWS_OPTIONS);
  if (a.flags.has('help')) return 'help';
  const files = a.options.get('read') ?? [];
  const interfaces = a.options.get('interface') ?? [];
  if (a.positionals.length > 0 && interfaces.length === 0) {
    throw new UsageError(`unexpected argument "${a.positionals[0]}" (capture filters apply to live capture with -i; files are read with -r FILE)`);
  }
  if (files.length === 0 && interfaces.length === 0) throw new UsageError('no input: give -r FILE (or -r - for standard input)');
  if (files.length > 0 && interfaces.length > 0) throw new UsageError('give either -r FILE or -i IFACE, not both');
  if (interfaces.includes('any')) throw new UsageError('-i any: the "any" device does not say which interface a packet came from; give each interface with its own -i');
  const backendText = a.options.get('capture-backend')?.[0] ?? DEFAULT_CAPTURE_BACKEND;
  if (!(CAPTURE_BACKENDS as readonly string[]).includes(backendText)) throw new UsageError(`--capture-backend ${backendText}: expected ${CAPTURE_BACKENDS.join(' or ')}`);
  const writes = a.options.get('write') ?? [];
  const saves = interfaces.length > 0 ? writes.filter((w) => w.endsWith('.pcapng')) : [];
  const recordFiles = writes.filter((w) => !saves.includes(w));
  if (saves.length > 1) throw new UsageError(`-w ${saves[1]}: packets are saved to one .pcapng file`);
  if (recordFiles.length > 1) throw new UsageError(`-w ${recordFiles[1]}: records are written to one file`);
  const outPath = recordFiles[0];
  const formatText = a.options.get('output')?.[0];
  let format: OutputFormat | ExportProtocol;
  const formats: readonly string[] = [...OUTPUT_FORMATS, ...EXPORT_FORMATS];
  if (formatText === undefined) format = stdoutIsTty && outPath === undefined ? 'table' : 'ndjson';
  else if (formats.includes(formatText)) format = formatText as OutputFormat | ExportProtocol;
  else throw new UsageError(`-o ${formatText}: expected one of ${formats.join(', ')}`);
  const exportConfig = parseExportArgs(a, format, outPath);
  const { meter, tunnels, tags } = parseMeterArgs(a);
  const filter = a.positionals.length > 0 ? a.positionals.join(' ') : undefined;
  return {
    files, format, export: exportConfig, outPath, meter, tunnels, tags, quiet: a.flags.has('quiet'),
    interfaces, filter, backend: backendText as CaptureBackend, savePath: saves[0],
  };
}

/** The options that configure the meter, shared with `flowsig query` (which meters captures the same way). */
export const METER_OPTION_NAMES: readonly string[] = ['key', 'biflow', 'idle', 'active', 'max-flows', 'tunnel', 'pref64', 'no-tags'];

export function meterOptionSpecs(): OptionSpec[] {
  return FLOWS_OPTIONS.filter((s) => METER_OPTION_NAMES.includes(s.long));
}

/**
 * Meter and decoder settings from parsed arguments: -k, --biflow, --idle, --active, --max-flows, --tunnel,
 * and the taggers (--pref64, --no-tags): unless --no-tags, `meter.inspector` is a fresh set of taggers
 * (they keep per-run state, so one parse serves one run).
 */
export function parseMeterArgs(a: ParsedArgs): { meter: Partial<MeterOptions>; tunnels: 'inner' | 'outer'; tags: TagOptions | undefined } {
  const tunnels = a.options.get('tunnel')?.[0] ?? 'inner';
  if (tunnels !== 'inner' && tunnels !== 'outer') throw new UsageError(`--tunnel ${tunnels}: expected inner or outer`);
  const meter: Partial<MeterOptions> = { biflow: a.flags.has('biflow') };
  const keyText = a.options.get('key')?.[0];
  if (keyText !== undefined) meter.key = parseKey(keyText);
  const idle = durationOption('idle', a.options.get('idle')?.[0]);
  if (idle !== undefined) meter.idleTimeoutMs = idle;
  const active = durationOption('active', a.options.get('active')?.[0]);
  if (active !== undefined) meter.activeTimeoutMs = active;
  const maxText = a.options.get('max-flows')?.[0];
  if (maxText !== undefined) {
    if (!/^\d+$/.test(maxText) || Number(maxText) < 1) throw new UsageError(`--max-flows ${maxText}: expected a whole number of at least 1`);
    meter.maxFlows = Number(maxText);
  }
  const pref64 = a.options.get('pref64') ?? [];
  let tags: TagOptions | undefined;
  if (a.flags.has('no-tags')) {
    if (pref64.length > 0) throw new UsageError('--pref64 sets up the nat64 tags, which --no-tags turns off: give one or the other');
  } else {
    try {
      parsePref64List(pref64);
    } catch (err) {
      throw new UsageError(`--pref64 ${(err as Error).message}`);
    }
    tags = { pref64 };
    meter.inspector = createTagging(tags);
  }
  return { meter, tunnels, tags };
}

/** Runs `flows`; returns the exit code. Bad input is reported after everything before it was written. */
export function runFlows(cfg: FlowsConfig, stderr: NodeJS.WriteStream): number | Promise<number> {
  if (cfg.interfaces.length > 0) return runLiveFlows(cfg, stderr);
  const fields = meterFields({ biflow: cfg.meter.biflow ?? false, tags: cfg.meter.inspector !== undefined });
  const threaded = openThreadedOutput(cfg, fields);
  const writer = threaded ?? openRecordSink(cfg.format, fields, cfg.outPath, cfg.export);
  // the output thread sets the nat64 and xlat tags itself (src/tag/offthread.ts)
  const meter: Partial<MeterOptions> = threaded
    ? { ...cfg.meter, rawSink: threaded, ...(cfg.meter.inspector && cfg.tags ? { inspector: createTagging({ ...cfg.tags, offThread: threaded }) } : {}) }
    : cfg.meter;
  const pipeline = createFlowPipeline({ meter, decode: { tunnels: cfg.tunnels } }, (rec) => writer.write(rec));
  const started = process.hrtime.bigint();
  const showProgress = !cfg.quiet && stderr.isTTY === true;
  let failure: InputError | undefined;
  for (const file of cfg.files) {
    const total = file === '-' ? 0 : fileSize(file);
    const progress = showProgress && total > 0 ? createProgress(stderr, file, total) : undefined;
    try {
      readCaptureFile(file, pipeline.sink, { onProgress: progress?.update });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      failure = err;
    } finally {
      progress?.done();
    }
    if (failure) break;
  }
  pipeline.meter.flush('eof');
  const finish = (): number => {
    if (!cfg.quiet && !(failure && pipeline.counters.read === 0)) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      stderr.write(`${summaryLine(pipeline, seconds)}\n`);
      const exported = writer.summary();
      if (exported) stderr.write(`flowsig: ${exported}\n`);
    }
    if (failure) {
      stderr.write(`flowsig: ${failure.describe()}\n`);
      return 2;
    }
    return 0;
  };
  /** the output could not be written (a full disk): what was read is summed up, then the reason */
  const failedOutput = (err: OutputError): number => {
    finish();
    stderr.write(`flowsig: ${err.message}\n`);
    return 1;
  };
  if (threaded) {
    return threaded.end().then(finish, (err: Error) => {
      if (err instanceof OutputError) return failedOutput(err);
      stderr.write(`flowsig: internal error in the output thread: ${err.stack ?? err.message}\n`);
      return 70;
    });
  }
  if (cfg.export?.to === undefined) {
    // text and IPFIX file output end synchronously
    return writer.end().then(finish, (err: Error) => {
      if (err instanceof OutputError) return failedOutput(err);
      throw err;
    });
  }
  return writer.end().then(finish, (err: Error) => {
    stderr.write(`flowsig: ${err.message}\n`);
    return 1;
  });
}

/**
 * CSV and NDJSON are formatted on a second thread (src/report/threaded.ts) when the compiled worker is
 * there (not when running from sources) and FLOWSIG_OUTPUT_THREAD is not 0.
 */
function openThreadedOutput(cfg: FlowsConfig, fields: readonly FieldDef[]): (ThreadedWriter & RecordSinkLike) | undefined {
  if (cfg.export !== undefined || (cfg.format !== 'ndjson' && cfg.format !== 'csv')) return undefined;
  if (process.env.FLOWSIG_OUTPUT_THREAD === '0' || formatWorkerUrl() === undefined) return undefined;
  const stdout = cfg.outPath === undefined || cfg.outPath === '-';
  const fd = stdout ? 1 : openSync(cfg.outPath!, 'w');
  const pref64 = cfg.meter.inspector && cfg.tags ? cfg.tags.pref64 ?? [] : undefined;
  const writer = openThreadedWriter(cfg.format, fields, fd, stdout ? 'standard output' : cfg.outPath!, pref64);
  return { ...writer, write: () => undefined, summary: () => undefined };
}

/** what runFlows asks of its record sink besides the raw records */
interface RecordSinkLike {
  write(rec: FlowRecord): void;
  summary(): string | undefined;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // readCaptureFile reports the real problem
  }
}

function summaryLine(p: ReturnType<typeof createFlowPipeline>, seconds: number): string {
  const c = p.counters;
  const notDecoded = c.read - c.decoded;
  const details = describeNotDecoded(c);
  const orphans = p.meter.stats.orphanFragments;
  const rate = seconds > 0 ? Math.round(c.read / seconds) : 0;
  return `flowsig: ${c.read} packets read, ${c.decoded} decoded, ${notDecoded} not decodable${details ? ` (${details})` : ''}`
    + `${orphans ? `, ${orphans} fragments without their first fragment` : ''}; `
    + `${p.meter.stats.flowsExported} flows; ${seconds.toFixed(2)} s (${rate} packets/s)`;
}
