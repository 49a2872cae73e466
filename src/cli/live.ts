/**
 * `flowsig flows -i IFACE [-i IFACE …] [BPF filter]`: live capture to flow records.
 *
 * The capture backends (src/capture/live.ts) feed the same pipeline as files.
 * Wall time ticks the meter every 250 ms so idle flows end while nothing
 * arrives. SIGINT/SIGTERM stop the backends; what they wrote is drained, every
 * open flow is written with endreason=eof, the summary (with the backends'
 * kernel drop counts) goes to standard error, and the exit code is 0.
 */
import { LiveCaptureError, startLiveCapture, type LiveSummary } from '../capture/live.js';
import { createLiveSaver, type LiveSaver } from '../capture/live-save.js';
import { linkTypeName } from '../capture/linktypes.js';
import { meterFields } from '../flow/fields.js';
import { createFlowPipeline, describeNotDecoded, type FlowPipeline } from '../flow/pipeline.js';
import { openRecordSink } from './export.js';
import type { FlowsConfig } from './flows.js';

/** how often wall time ticks the meter's clock */
export const LIVE_TICK_MS = 250;

export async function runLiveFlows(cfg: FlowsConfig, stderr: NodeJS.WritableStream): Promise<number> {
  const say = (line: string) => {
    if (!cfg.quiet) stderr.write(`${line}\n`);
  };
  const fields = meterFields({ biflow: cfg.meter.biflow ?? false, tags: cfg.meter.inspector !== undefined });
  const writer = openRecordSink(cfg.format, fields, cfg.outPath, cfg.export);
  let pending = false;
  const pipeline = createFlowPipeline({ meter: cfg.meter, decode: { tunnels: cfg.tunnels } }, (rec) => {
    writer.write(rec);
    pending = true;
  });
  let saver: LiveSaver | undefined;
  try {
    saver = cfg.savePath === undefined ? undefined : createLiveSaver(cfg.savePath, cfg.interfaces);
  } catch (err) {
    stderr.write(`flowsig: ${cfg.savePath}: cannot write: ${(err as Error).message}\n`);
    return 1;
  }
  const sink = saver === undefined
    ? pipeline.sink
    : {
        packet(buf: Buffer, offset: number, capLen: number, wireLen: number, tsMs: number, ifIndex: number, linkType: number) {
          saver!.packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType);
          pipeline.sink.packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType);
        },
      };

  const started = Date.now();
  let capture;
  try {
    capture = startLiveCapture(sink, {
      interfaces: cfg.interfaces,
      filter: cfg.filter,
      backend: cfg.backend,
      onInterface(iface) {
        saver?.onInterface(iface);
      },
      onReady() {
        say(`flowsig: capturing on ${cfg.interfaces.join(', ')} (${cfg.backend}${cfg.filter ? `, filter "${cfg.filter}"` : ''}); Ctrl-C to stop`);
      },
    });
  } catch (err) {
    if (err instanceof LiveCaptureError) {
      stderr.write(`flowsig: ${err.message}\n`);
      saver?.end();
      return 1;
    }
    throw err;
  }

  const tick = setInterval(() => {
    const before = pipeline.meter.stats.flowsExported;
    pipeline.meter.advance(Date.now());
    // records appear as their flows end (csv, ndjson; the table aligns its columns over blocks of rows)
    if (pipeline.meter.stats.flowsExported !== before || pending) writer.flush();
    pending = false;
  }, LIVE_TICK_MS);
  const onSignal = () => capture.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary: LiveSummary | undefined;
  let failure: LiveCaptureError | undefined;
  try {
    summary = await capture.done;
  } catch (err) {
    if (!(err instanceof LiveCaptureError)) throw err;
    failure = err;
  } finally {
    clearInterval(tick);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  pipeline.meter.flush('eof');
  try {
    await writer.end();
  } catch (err) {
    stderr.write(`flowsig: ${(err as Error).message}\n`);
    return 1;
  } finally {
    saver?.end();
  }
  if (failure) {
    stderr.write(`flowsig: ${failure.message}\n`);
    return 1;
  }
  const s = summary!;
  for (const w of s.warnings) say(`flowsig: warning: ${w}`);
  say(liveSummaryLine(pipeline, s, (Date.now() - started) / 1000, saver));
  const exported = writer.summary();
  if (exported) say(`flowsig: ${exported}`);
  return 0;
}

export function liveSummaryLine(p: FlowPipeline, s: LiveSummary, seconds: number, saver: LiveSaver | undefined): string {
  const c = p.counters;
  const details = describeNotDecoded(c);
  const perIf = s.interfaces
    .map((i) => {
      const drops = i.kernelDrops === undefined ? 'drops unknown' : `${i.kernelDrops} dropped by kernel`;
      const ifDrops = (i.interfaceDrops ? `, ${i.interfaceDrops} by interface` : '') + (i.backendDrops ? `, ${i.backendDrops} by ${s.backend}` : '');
      const lt = i.linkType === undefined ? '' : ` ${linkTypeName(i.linkType)}`;
      return `${i.name}${lt}: ${i.packets} packets, ${drops}${ifDrops}`;
    })
    .join('; ');
  return `flowsig: ${c.read} packets read, ${c.decoded} decoded, ${c.read - c.decoded} not decodable${details ? ` (${details})` : ''}; `
    + `${p.meter.stats.flowsExported} flows; ${seconds.toFixed(2)} s (${s.backend}: ${perIf})`
    + (saver ? `; ${saver.packets} packets saved` : '');
}
