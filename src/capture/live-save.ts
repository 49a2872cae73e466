/**
 * Saving a live capture's raw packets as pcapng (`flowsig flows -i … -w run.pcapng`):
 * one interface block per -i interface, in -i order, so a packet's interface
 * index in the file is its ifIndex in the flow records.
 *
 * The link type of each interface is only known once its capture stream's
 * header arrives, and tcpdump writes that header with its first packet; the
 * interface blocks must come before any packet. So packets are held (copied)
 * until every interface's link type is known, then written in arrival order.
 * Interfaces that never said (no packet at all) are described as Ethernet at
 * the end.
 */
import { closeSync, openSync } from 'node:fs';
import { LINKTYPE_ETHERNET } from './linktypes.js';
import { createPcapngWriter, type PcapngWriter } from './pcapng-write.js';
import type { CaptureInterface, PacketSink } from './types.js';

export interface LiveSaver extends PacketSink {
  /** An interface's link type became known (LiveCaptureOptions.onInterface). */
  onInterface(iface: CaptureInterface): void;
  /** Write what is held, flush and close the file. */
  end(): void;
  readonly packets: number;
}

interface Held {
  bytes: Buffer;
  wireLen: number;
  tsMs: number;
  ifIndex: number;
}

export function createLiveSaver(path: string, interfaceNames: readonly string[], snapLen?: number): LiveSaver {
  const fd = openSync(path, 'w');
  const writer: PcapngWriter = createPcapngWriter({ fd });
  const linkTypes: (number | undefined)[] = interfaceNames.map(() => undefined);
  let held: Held[] | undefined = [];
  let closed = false;

  function describeAll(): void {
    interfaceNames.forEach((name, i) => writer.addInterface({ linkType: linkTypes[i] ?? LINKTYPE_ETHERNET, name, snapLen }));
    for (const h of held ?? []) writer.packet(h.bytes, 0, h.bytes.length, h.wireLen, h.tsMs, h.ifIndex);
    held = undefined;
  }

  return {
    onInterface(iface) {
      if (iface.index < 0 || iface.index >= linkTypes.length || linkTypes[iface.index] !== undefined) return;
      linkTypes[iface.index] = iface.linkType;
      if (held !== undefined && linkTypes.every((t) => t !== undefined)) describeAll();
    },
    packet(buf, offset, capLen, wireLen, tsMs, ifIndex) {
      if (closed) return;
      if (held !== undefined) {
        held.push({ bytes: Buffer.from(buf.subarray(offset, offset + capLen)), wireLen, tsMs, ifIndex });
        return;
      }
      writer.packet(buf, offset, capLen, wireLen, tsMs, ifIndex);
    },
    end() {
      if (closed) return;
      if (held !== undefined) describeAll();
      writer.flush();
      closeSync(fd);
      closed = true;
    },
    get packets() {
      return writer.packets;
    },
  };
}
