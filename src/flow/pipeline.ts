/**
 * source → decode → meter, as one PacketSink. Files, standard input and live
 * captures all feed the same sink; flow records come out of `onRecord`.
 */
import type { PacketSink } from '../capture/types.js';
import { createDecoder, type DecodeOptions } from '../decode/decoder.js';
import { NOT_DECODED_REASONS, newPacketView } from '../decode/view.js';
import { createMeter, type Meter, type MeterOptions } from './meter.js';
import type { FlowRecord } from './record.js';

export interface PacketCounters {
  /** packets the source delivered */
  read: number;
  /** packets that reached the meter */
  decoded: number;
  /** packets not decodable, by Undecodable reason (index into NOT_DECODED_REASONS) */
  notDecoded: number[];
}

export interface FlowPipelineOptions {
  meter: Partial<MeterOptions>;
  decode: Partial<DecodeOptions>;
}

export interface FlowPipeline {
  sink: PacketSink;
  meter: Meter;
  counters: PacketCounters;
}

export function createFlowPipeline(options: Partial<FlowPipelineOptions>, onRecord: (rec: FlowRecord) => void): FlowPipeline {
  const decode = createDecoder(options.decode ?? {});
  const meter = createMeter(options.meter ?? {}, onRecord);
  const view = newPacketView();
  const counters: PacketCounters = { read: 0, decoded: 0, notDecoded: NOT_DECODED_REASONS.map(() => 0) };

  const sink: PacketSink = {
    packet(buf, offset, capLen, wireLen, tsMs, ifIndex, linkType) {
      counters.read++;
      decode(buf, offset, capLen, linkType, view);
      if (view.reason !== 0) {
        counters.notDecoded[view.reason]++;
        return;
      }
      counters.decoded++;
      meter.packet(view, buf, tsMs, ifIndex, wireLen);
    },
  };
  return { sink, meter, counters };
}

/** "12 not IP, 3 truncated IP header" — the reasons that occurred, most frequent first. */
export function describeNotDecoded(counters: PacketCounters): string {
  return counters.notDecoded
    .map((n, reason) => ({ n, reason }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((x) => `${x.n} ${NOT_DECODED_REASONS[x.reason]}`)
    .join(', ');
}
