/**
 * Where records go: a text writer (table, csv, ndjson) or a flow exporter (IPFIX to a file or over
 * UDP, NetFlow v9 / v5 over UDP). Shared by `flows` (files and live capture) and `collect`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { FieldDef } from '../flow/fields.js';
import type { FlowRecord } from '../flow/record.js';
import {
  createExporter, DEFAULT_MTU, DEFAULT_PEN, DEFAULT_TEMPLATE_REFRESH_MS, DEFAULT_TEMPLATE_REFRESH_PACKETS, type Exporter, type ExportProtocol,
} from '../ipfix/encode.js';
import { createIpfixFileWriter } from '../ipfix/file.js';
import { openTextOutput, type TextOutput } from '../report/output.js';
import { createRecordWriter, EXPORT_FORMATS, type OutputFormat } from '../report/writers.js';
import { type OptionSpec, type ParsedArgs, UsageError } from './args.js';
import { parseDuration } from './duration.js';

export const EXPORT_OPTIONS: readonly OptionSpec[] = [
  { long: 'to', value: 'HOST:PORT', help: 'with -o ipfix|netflow9|netflow5: send over UDP to HOST:PORT ([v6addr]:PORT for IPv6)' },
  { long: 'domain', value: 'N', help: 'IPFIX observation domain / NetFlow v9 source id / v5 engine type·256+id (default 0)' },
  { long: 'pen', value: 'N', help: 'private enterprise number of flowsig\'s own elements: tunnel and tag fields (default 32473)' },
  { long: 'mtu', value: 'BYTES', help: `largest export message, UDP payload bytes (default ${DEFAULT_MTU})` },
  { long: 'template-refresh', value: 'DURATION', help: `re-send templates after this much flow time (default ${DEFAULT_TEMPLATE_REFRESH_MS / 1000}s)` },
  { long: 'template-packets', value: 'N', help: `re-send templates after N messages (default ${DEFAULT_TEMPLATE_REFRESH_PACKETS}; 0 never by count)` },
];

export const EXPORT_PROTOCOL_FORMATS: readonly string[] = EXPORT_FORMATS;

export interface ExportConfig {
  protocol: ExportProtocol;
  to?: { host: string; port: number };
  domain: number;
  pen: number;
  /** undefined: the default (DEFAULT_MTU over UDP, 64 KiB messages in files) */
  mtu?: number;
  templateRefreshMs: number;
  templateRefreshPackets: number;
}

function intOption(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = a.options.get(name)?.[0];
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
  return Number(text);
}

export function parseHostPort(text: string, option: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${option} ${text}: expected ADDRESS:PORT ([IPv6]:PORT for IPv6), e.g. 192.0.2.1:4739`);
  return { host: m[1], port: Number(m[2]) };
}

/** Export settings from the arguments; undefined for a text format (then export options are refused). */
export function parseExportArgs(a: ParsedArgs, format: string, outPath: string | undefined): ExportConfig | undefined {
  const given = EXPORT_OPTIONS.map((s) => s.long).filter((n) => a.options.has(n));
  if (!EXPORT_PROTOCOL_FORMATS.includes(format)) {
    if (given.length > 0) throw new UsageError(`--${given[0]} applies to -o ipfix, netflow9 or netflow5`);
    return undefined;
  }
  const protocol = format as ExportProtocol;
  const toText = a.options.get('to')?.[0];
  const to = toText === undefined ? undefined : parseHostPort(toText, '--to');
  if (to && outPath !== undefined) throw new UsageError('give either --to HOST:PORT or -w FILE, not both');
  if (!to && protocol !== 'ipfix') throw new UsageError(`-o ${protocol} is sent over UDP: give --to HOST:PORT`);
  if (!to && outPath === undefined) throw new UsageError('-o ipfix: give --to HOST:PORT (UDP) or -w FILE (an IPFIX file)');
  const refreshText = a.options.get('template-refresh')?.[0];
  let templateRefreshMs = DEFAULT_TEMPLATE_REFRESH_MS;
  if (refreshText !== undefined) {
    const ms = parseDuration(refreshText);
    if (ms === undefined || ms <= 0) throw new UsageError(`--template-refresh ${refreshText}: expected a duration such as 30s or 10m`);
    templateRefreshMs = ms;
  }
  return {
    protocol,
    to,
    domain: intOption(a, 'domain', 0, protocol === 'netflow5' ? 65535 : 4294967295) ?? 0,
    pen: intOption(a, 'pen', 1, 4294967295) ?? DEFAULT_PEN,
    mtu: intOption(a, 'mtu', protocol === 'netflow5' ? 88 : 128, 65535),
    templateRefreshMs,
    templateRefreshPackets: intOption(a, 'template-packets', 0, 1_000_000_000) ?? DEFAULT_TEMPLATE_REFRESH_PACKETS,
  };
}

export interface RecordSink {
  write(rec: FlowRecord): void;
  /** push out what is buffered (live: records appear as flows end) */
  flush(): void;
  /** finish; resolves when every datagram was handed to the kernel */
  end(): Promise<void>;
  /** one line for the summary ("1234 records in 56 IPFIX messages to 192.0.2.1:4739") or undefined */
  summary(): string | undefined;
}

/** The sink for `format`: a text writer on `outPath`/stdout, or an exporter. */
export function openRecordSink(format: string, fields: readonly FieldDef[], outPath: string | undefined, exp: ExportConfig | undefined): RecordSink {
  if (exp === undefined) {
    const out: TextOutput = openTextOutput(outPath);
    const writer = createRecordWriter(format as OutputFormat, fields, out);
    return {
      write: (rec) => writer.write(rec),
      flush: () => out.flush?.(),
      end: async () => writer.end(),
      summary: () => undefined,
    };
  }
  const name = exp.protocol === 'ipfix' ? 'IPFIX' : exp.protocol === 'netflow9' ? 'NetFlow v9' : 'NetFlow v5';
  const common = { fields, domain: exp.domain, pen: exp.pen, templateRefreshMs: exp.templateRefreshMs, templateRefreshPackets: exp.templateRefreshPackets };
  if (exp.to === undefined) {
    const file = createIpfixFileWriter(outPath!, { ...common, mtu: exp.mtu });
    return {
      write: (rec) => file.exporter.add(rec),
      flush: () => undefined,
      end: async () => file.close(),
      summary: () => `${file.exporter.stats.records} records in ${file.exporter.stats.messages} IPFIX messages to ${outPath}`,
    };
  }
  const to = exp.to;
  const socket: Socket = createSocket(isIP(to.host) === 6 ? 'udp6' : 'udp4');
  let inFlight = 0;
  let sendError: Error | undefined;
  let drained: (() => void) | undefined;
  const exporter: Exporter = createExporter({ ...common, protocol: exp.protocol, mtu: exp.mtu ?? DEFAULT_MTU }, (msg) => {
    inFlight++;
    socket.send(msg, to.port, to.host, (err) => {
      if (err && !sendError) sendError = err;
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  });
  return {
    write: (rec) => exporter.add(rec),
    flush: () => exporter.flush(),
    end: async () => {
      exporter.flush();
      if (inFlight > 0) await new Promise<void>((resolve) => { drained = resolve; });
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      if (sendError) throw new Error(`sending to ${to.host}:${to.port}: ${sendError.message}`);
    },
    summary: () => {
      const s = exporter.stats;
      return `${s.records} records in ${s.messages} ${name} messages (${s.bytes} bytes, ${s.templates} templates) to ${to.host}:${to.port}`
        + (s.skippedIpv6 ? `; ${s.skippedIpv6} IPv6 flows skipped (NetFlow v5 carries IPv4 only)` : '');
    },
  };
}
