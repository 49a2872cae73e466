/**
 * Meter.activeSnapshot, the read-only look at open flows the watch screen
 * uses: the flows it shows are exactly those the end-of-input flush then
 * writes, with the same endpoints and counters.
 */
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { ROOT } from '../cli/run.js';

describe('meter.activeSnapshot', () => {
  it('shows the open flows (most recently active first), as the flush then writes them', () => {
    const flushed: FlowRecord[] = [];
    let flushing = false;
    const p = createFlowPipeline({}, (r) => {
      if (flushing) flushed.push(r);
    });
    readCaptureFile(`${ROOT}captures/skype-bad-1.pcapng`, p.sink);
    const open = p.meter.activeSnapshot(1000);
    expect(open.length).toBe(p.meter.activeFlows());
    expect(p.meter.activeSnapshot(2)).toEqual(open.slice(0, 2));
    for (let i = 1; i < open.length; i++) if (!open[i].closing && !open[i - 1].closing) expect(open[i - 1].etime).toBeGreaterThanOrEqual(open[i].etime);
    flushing = true;
    p.meter.flush('eof');
    const key = (f: { srcip: string; srcport: number; dstip: string; dstport: number; proto: number; packets: number; bytes: number; stime: number; etime: number; duration: number }) =>
      `${f.proto} ${f.srcip} ${f.srcport} ${f.dstip} ${f.dstport} ${f.packets} ${f.bytes} ${f.stime} ${f.etime} ${f.duration}`;
    expect(open.map(key).sort()).toEqual(flushed.map(key).sort());
    expect(open.filter((f) => f.closing).length).toBe(flushed.filter((r) => r.endreason === 'fin' || r.endreason === 'rst').length);
    expect(p.meter.activeSnapshot(10)).toEqual([]);
  });
});
