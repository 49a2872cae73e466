/**
 * Live capture: packets from network interfaces, through the same push
 * parser that reads files.
 *
 * Two backends, both external programs whose `-w -` output we parse:
 *   - tcpdump (default): one process per interface, `--immediate-mode -U`
 *     (no buffering in libpcap or stdio), nanosecond kernel timestamps, a
 *     64 MiB kernel buffer. Each stream gets its own parser; a packet's
 *     ifIndex is its interface's position in the -i list.
 *   - dumpcap: one process for every interface, one pcapng stream with an
 *     interface block per interface (in -i order), microsecond timestamps.
 * Never the `any` device: its cooked header does not say which interface a
 * packet came from.
 *
 * Packets arrive in order per interface but interleaved across interfaces;
 * the meter's clock takes the maximum, which is what we want.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createCaptureParser, type CaptureParser } from './open.js';
import { InputError, type CaptureInterface, type PacketSink } from './types.js';

export const CAPTURE_BACKENDS = ['tcpdump', 'dumpcap'] as const;
export type CaptureBackend = (typeof CAPTURE_BACKENDS)[number];
export const DEFAULT_CAPTURE_BACKEND: CaptureBackend = 'tcpdump';

/** 64 MiB, in KiB as both programs take it: the default buffer lost 2–13 % of the lab's packets */
export const DEFAULT_BUFFER_KIB = 65536;
export const LIVE_SNAPLEN = 262144;

export interface LiveCaptureOptions {
  interfaces: readonly string[];
  /** BPF filter applied on every interface */
  filter?: string;
  backend?: CaptureBackend;
  bufferKiB?: number;
  /** An interface's link type became known (its capture stream's header). `index` is its -i position. */
  onInterface?(iface: CaptureInterface & { name: string }): void;
  /** Every interface is capturing (the backends said "listening"/"Capturing on"). */
  onReady?(): void;
  /** program paths, for tests */
  programs?: Partial<Record<CaptureBackend, string>>;
}

export interface InterfaceStats {
  name: string;
  /** packets parsed from the stream */
  packets: number;
  /** drops the backend reported at exit (kernel buffer full); undefined if it reported none */
  kernelDrops: number | undefined;
  /** drops by the interface/driver, when the backend reports them (dumpcap: ps_ifdrop) */
  interfaceDrops: number | undefined;
  /** dumpcap only: packets its capture threads dropped because its own queue to the writer was full */
  backendDrops: number | undefined;
  linkType: number | undefined;
}

export interface LiveSummary {
  backend: CaptureBackend;
  interfaces: InterfaceStats[];
  /** the capture stream ended inside a packet record, or similar; the packets before it were delivered */
  warnings: string[];
}

export interface LiveCapture {
  /** Ask the backends to stop (SIGINT: they write what they have, report drops and exit). Idempotent. */
  stop(): void;
  /** Settles when every backend has exited and its output was parsed. Rejects with LiveCaptureError. */
  readonly done: Promise<LiveSummary>;
  readonly backend: CaptureBackend;
}

/** The capture could not run: a missing program, missing privileges, an unknown interface. One line for the user. */
export class LiveCaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveCaptureError';
  }
}

interface Stream {
  /** interface indexes this process serves (tcpdump: one; dumpcap: all) */
  names: string[];
  firstIndex: number;
  child: ChildProcess;
  parser: CaptureParser;
  stderr: string;
  listening: number;
}

export function startLiveCapture(sink: PacketSink, opts: LiveCaptureOptions): LiveCapture {
  const backend = opts.backend ?? DEFAULT_CAPTURE_BACKEND;
  const names = [...opts.interfaces];
  if (names.length === 0) throw new LiveCaptureError('no interface to capture on');
  const seen = new Set<string>();
  for (const n of names) {
    if (n === 'any') throw new LiveCaptureError('-i any: the "any" device does not say which interface a packet came from; give each interface with its own -i');
    if (seen.has(n)) throw new LiveCaptureError(`-i ${n} given twice`);
    seen.add(n);
  }
  const bufferKiB = opts.bufferKiB ?? DEFAULT_BUFFER_KIB;
  const program = opts.programs?.[backend] ?? backend;
  const stats: InterfaceStats[] = names.map((name) => ({ name, packets: 0, kernelDrops: undefined, interfaceDrops: undefined, backendDrops: undefined, linkType: undefined }));
  const warnings: string[] = [];
  const groups: string[][] = backend === 'tcpdump' ? names.map((n) => [n]) : [names];
  let stopping = false;
  let readyCount = 0;

  const streams: Stream[] = [];
  let firstIndex = 0;
  for (const group of groups) {
    const base = firstIndex;
    firstIndex += group.length;
    const args = backend === 'tcpdump' ? tcpdumpArgs(group[0], bufferKiB, opts.filter) : dumpcapArgs(group, bufferKiB, opts.filter);
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // tcpdump streams are classic pcap (ifIndex 0): shift to the -i position. dumpcap's IDBs are already in -i order.
    const shifted: PacketSink = {
      packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType) {
        const index = base + ifIndex;
        stats[index].packets++;
        sink.packet(buf, offset, capLen, wireLen, tsMs, index, linkType);
      },
    };
    const label = backend === 'tcpdump' ? `tcpdump -i ${group[0]}` : `dumpcap -i ${group.join(' -i ')}`;
    const parser = createCaptureParser(label, shifted, {
      onInterface(iface) {
        const index = base + iface.index;
        if (index >= names.length) return;
        stats[index].linkType = iface.linkType;
        opts.onInterface?.({ ...iface, index, name: names[index] });
      },
    });
    streams.push({ names: group, firstIndex: base, child, parser, stderr: '', listening: 0 });
  }

  const done = Promise.all(streams.map((s) => runStream(s))).then(
    (): LiveSummary => ({ backend, interfaces: stats, warnings }),
    (err: unknown) => {
      stopAll();
      throw err;
    },
  );

  function runStream(s: Stream): Promise<void> {
    return new Promise((resolve, reject) => {
      let failed: Error | undefined;
      let stdoutEnded = false;
      let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      const fail = (err: Error) => {
        if (failed) return;
        failed = err;
        stopAll();
      };
      s.child.stdout!.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          s.parser.push(chunk);
        } catch (err) {
          fail(err instanceof InputError ? new LiveCaptureError(err.describe()) : (err as Error));
        }
      });
      s.child.stdout!.on('end', () => {
        stdoutEnded = true;
        finish();
      });
      s.child.stderr!.setEncoding('utf8');
      s.child.stderr!.on('data', (text: string) => {
        s.stderr += text;
        const listening = (s.stderr.match(/^(?:tcpdump: listening on |Capturing on )/gm) ?? []).length;
        // dumpcap prints one "Capturing on 'a', 'b'" line for all of its interfaces
        const now = backend === 'dumpcap' ? Math.min(listening, 1) * s.names.length : listening;
        if (now > s.listening) {
          readyCount += now - s.listening;
          s.listening = now;
          if (readyCount === names.length) opts.onReady?.();
        }
      });
      s.child.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') {
          fail(new LiveCaptureError(`${program} not found: install it (apt-get install ${backend === 'tcpdump' ? 'tcpdump' : 'wireshark-common'})${backend === 'tcpdump' ? ' or use --capture-backend dumpcap' : ' or use --capture-backend tcpdump'}`));
        } else fail(new LiveCaptureError(`cannot start ${program}: ${err.message}`));
        exited = { code: null, signal: null };
        stdoutEnded = true;
        finish();
      });
      s.child.on('close', (code, signal) => {
        exited = { code, signal };
        finish();
      });

      function finish(): void {
        if (!exited || !stdoutEnded) return;
        if (failed) return reject(failed);
        readDrops(s, stats, backend);
        const cleanExit = exited.code === 0 || (stopping && (exited.signal === 'SIGINT' || exited.signal === 'SIGTERM' || exited.code === 130 || exited.code === 143));
        if (s.parser.bytesRead === 0 && !cleanExit) {
          return reject(new LiveCaptureError(startFailure(backend, s, exited.code)));
        }
        if (!stopping && !cleanExit) {
          warnings.push(`${s.names.join(', ')}: ${backend} exited (${exited.signal ?? `code ${exited.code}`}): ${lastLine(s.stderr)}`);
        }
        try {
          if (s.parser.bytesRead > 0) s.parser.end();
        } catch (err) {
          // a backend stopped mid-record: keep what came before
          warnings.push(err instanceof InputError ? err.describe() : String(err));
        }
        resolve();
      }
    });
  }

  function stopAll(): void {
    for (const s of streams) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGINT');
    }
  }

  return {
    backend,
    done,
    stop() {
      stopping = true;
      stopAll();
    },
  };
}

export function tcpdumpArgs(iface: string, bufferKiB: number, filter: string | undefined): string[] {
  const args = ['-i', iface, '--immediate-mode', '-U', '-n', '-s', String(LIVE_SNAPLEN), '--time-stamp-precision=nano', '-B', String(bufferKiB), '-w', '-'];
  if (filter !== undefined && filter.trim() !== '') args.push(filter);
  return args;
}

export function dumpcapArgs(ifaces: readonly string[], bufferKiB: number, filter: string | undefined): string[] {
  const args: string[] = [];
  // dumpcap's -B and -f apply to the interface given before them
  for (const i of ifaces) {
    args.push('-i', i, '-B', String(Math.max(1, Math.round(bufferKiB / 1024))), '-s', String(LIVE_SNAPLEN));
    if (filter !== undefined && filter.trim() !== '') args.push('-f', filter);
  }
  args.push('-q', '-w', '-');
  return args;
}

/**
 * tcpdump: "N packets dropped by kernel" (and, on some systems, "N packets dropped by interface");
 * dumpcap: "Packets received/dropped on interface 'b0': 12/0 (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0)".
 */
export function readDrops(s: { names: string[]; firstIndex: number; stderr: string }, stats: InterfaceStats[], backend: CaptureBackend): void {
  if (backend === 'tcpdump') {
    const st = stats[s.firstIndex];
    const kernel = /^(\d+) packets? dropped by kernel/m.exec(s.stderr);
    if (kernel) st.kernelDrops = Number(kernel[1]);
    const iface = /^(\d+) packets? dropped by interface/m.exec(s.stderr);
    if (iface) st.interfaceDrops = Number(iface[1]);
    return;
  }
  const re = /^Packets received\/dropped on interface '([^']*)': (\d+)\/(\d+)(?: \(pcap:(\d+)\/dumpcap:(\d+)\/flushed:(\d+)\/ps_ifdrop:(\d+)\))?/gm;
  for (let m = re.exec(s.stderr); m !== null; m = re.exec(s.stderr)) {
    const i = s.names.indexOf(m[1]);
    if (i < 0) continue;
    const st = stats[s.firstIndex + i];
    if (m[4] === undefined) {
      st.kernelDrops = Number(m[3]);
      continue;
    }
    st.kernelDrops = Number(m[4]);
    st.backendDrops = Number(m[5]) + Number(m[6]);
    st.interfaceDrops = Number(m[7]);
  }
}

function startFailure(backend: CaptureBackend, s: Stream, code: number | null): string {
  const said = meaningfulError(s.stderr) ?? `exited with code ${code} before capturing anything`;
  const who = backend === 'tcpdump' ? `tcpdump -i ${s.names[0]}` : 'dumpcap';
  if (/permission|not permitted|privileges|capabilit/i.test(said)) {
    return `${who}: ${said} — live capture needs root or CAP_NET_RAW+CAP_NET_ADMIN (run with sudo, or setcap cap_net_raw,cap_net_admin+eip $(command -v ${backend}))`;
  }
  if (/no such device|no device named|doesn't exist/i.test(said)) {
    return `${who}: ${said} — list interfaces with 'ip link' (inside the right namespace: ip netns exec NAME ...)`;
  }
  return `${who}: ${said}`;
}

function meaningfulError(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^(tcpdump: listening on|Capturing on|File: )/.test(l));
  const line = lines.find((l) => /^(tcpdump|dumpcap): /.test(l)) ?? lines[0];
  return line?.replace(/^(tcpdump|dumpcap): /, '');
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
