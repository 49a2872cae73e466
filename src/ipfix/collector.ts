/**
 * A UDP flow collector: IPFIX, NetFlow v9 and v5 datagrams to flow records. No CLI concerns: the
 * `collect` command and `watch --collect` both call `startCollector` and decide what to do with
 * records, statistics and warnings.
 *
 *   const c = startCollector({ address: '::', port: 4739 }, (rec) => sink(rec));
 *   await c.ready;            // bound; c.address() is the real port (port 0 picks one)
 *   …
 *   await c.close();          // stop receiving; c.stats() per exporter
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { FlowRecord } from '../flow/record.js';
import { createMessageParser, type Damage, type ExporterStats } from './decode.js';

export interface CollectorOptions {
  /** address to bind ('0.0.0.0', '::' (both families where the system allows), or one address) */
  address: string;
  port: number;
  /** private enterprise number of flowsig's own elements (default 32473) */
  pen?: number;
  /** socket receive buffer to ask the kernel for, bytes (default 32 MiB; capped by net.core.rmem_max) */
  receiveBufferBytes?: number;
  /** a problem with a message; `first` once per exporter and kind (log those) */
  onMalformed?(exporter: ExporterStats, damage: Damage, first: boolean): void;
  /** the socket failed after binding */
  onError?(err: Error): void;
}

export interface Collector {
  /** resolves once the socket is bound; rejects if it cannot be */
  readonly ready: Promise<void>;
  address(): { address: string; port: number };
  /** per exporter (address, version, domain) */
  stats(): ExporterStats[];
  /** datagrams received */
  readonly datagrams: number;
  close(): Promise<void>;
}

export const DEFAULT_RECEIVE_BUFFER = 32 * 1024 * 1024;

export function startCollector(opts: CollectorOptions, onRecord: (rec: FlowRecord) => void): Collector {
  const parser = createMessageParser({ pen: opts.pen, onMalformed: opts.onMalformed });
  const socket: Socket = createSocket({ type: isIPv6(opts.address) ? 'udp6' : 'udp4', reuseAddr: false });
  let datagrams = 0;
  let closed = false;
  socket.on('message', (msg, rinfo) => {
    datagrams++;
    // a dual-stack socket reports IPv4 exporters as ::ffff:a.b.c.d
    parser.parse(msg, rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address, onRecord);
  });
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port, opts.address, () => {
      socket.off('error', reject);
      socket.on('error', (err) => opts.onError?.(err));
      try {
        socket.setRecvBufferSize(opts.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
      } catch {
        // the kernel keeps its own limit
      }
      resolve();
    });
  });
  return {
    ready,
    address: () => {
      const a = socket.address();
      return { address: a.address, port: a.port };
    },
    stats: () => parser.exporters(),
    get datagrams() {
      return datagrams;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
}

/**
 * startCollector, bound: resolves once listening, rejects with the bind error. On '::' where the
 * system has no IPv6 (EAFNOSUPPORT, EADDRNOTAVAIL) it listens on the IPv4 wildcard instead.
 */
export async function bindCollector(opts: CollectorOptions, onRecord: (rec: FlowRecord) => void): Promise<Collector> {
  const first = startCollector(opts, onRecord);
  try {
    await first.ready;
    return first;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (opts.address !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
  }
  const v4 = startCollector({ ...opts, address: '0.0.0.0' }, onRecord);
  await v4.ready;
  return v4;
}

/** "[::]:4739", "0.0.0.0:2055": where a collector listens, as an operator writes it. */
export function listenText(at: { address: string; port: number }): string {
  return `${at.address.includes(':') ? `[${at.address}]` : at.address}:${at.port}`;
}

