/**
 * `npm run bench:learn [-- --packets 300k] [--keep]`: how long `flowsig learn`
 * takes on a pair of 5-minute captures.
 *
 * The inputs: a lab run (captures/skype-good-1 and skype-bad-1, the NAT64 box's
 * three interfaces) inside five minutes of background traffic from the
 * benchmark's own generator (scripts/bench/generate.ts: a NAT64 access side,
 * IPv6 and IPv4, TCP, DNS, QUIC, RTP, ICMP, thousands of clients), a different
 * seed for the good and the bad capture, as two recordings taken at different
 * times would differ. The lab packets are shifted to start 60 s into the
 * background and merged in time order into one pcapng with the background's
 * Ethernet interface plus the lab's three; the project's pcap/pcapng readers
 * and writers do all of it.
 *
 * Prints the time of learn() (reading both captures, metering, tagging,
 * mining, validating every candidate with the NFQL engine) and what it found.
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../src/capture/open.js';
import { createPcapngWriter } from '../src/capture/pcapng-write.js';
import { learn } from '../src/learn/learn.js';
import { createTagging } from '../src/tag/index.js';
import { generateCapture } from './bench/generate.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)); // from dist/scripts/
const DIR = join(tmpdir(), `flowsig-bench-learn-${process.pid}`);
const TARGET_SECONDS = 10;
const LAB_OFFSET_MS = 60_000;
/** the lab's IPv6-only client (captures/README.md) */
const LAB_CLIENT = '2001:db8:64:1::2';

interface LabPacket { data: Buffer; tsMs: number; wireLen: number; ifIndex: number }

function labPackets(path: string): { packets: LabPacket[]; linkTypes: number[] } {
  const packets: LabPacket[] = [];
  const linkTypes: number[] = [];
  readCaptureFile(path, {
    packet(buf, off, capLen, wireLen, tsMs, ifIndex, linkType) {
      linkTypes[ifIndex] = linkType;
      packets.push({ data: Buffer.from(buf.subarray(off, off + capLen)), tsMs, wireLen, ifIndex });
    },
  });
  return { packets, linkTypes };
}

/** Background (generated pcap) and a lab run, merged by time into one pcapng. */
function buildInput(lab: string, seed: number, packets: number, out: string): void {
  const background = join(DIR, `background-${seed}.pcap`);
  generateCapture({ packets, seed, path: background, durationSeconds: 300 });
  const { packets: labList, linkTypes } = labPackets(lab);
  const fd = openSync(out, 'w');
  const writer = createPcapngWriter({ fd });
  const bgIf = writer.addInterface({ linkType: 1, name: 'access' });
  const labIf = linkTypes.map((lt, i) => writer.addInterface({ linkType: lt, name: `lab${i}` }));
  let shift: number | undefined;
  let next = 0;
  readCaptureFile(background, {
    packet(buf, off, capLen, wireLen, tsMs) {
      if (shift === undefined) shift = tsMs + LAB_OFFSET_MS - labList[0].tsMs;
      while (next < labList.length && labList[next].tsMs + shift <= tsMs) {
        const p = labList[next++];
        writer.packet(p.data, 0, p.data.length, p.wireLen, p.tsMs + shift, labIf[p.ifIndex]);
      }
      writer.packet(buf, off, capLen, wireLen, tsMs, bgIf);
    },
  });
  for (; next < labList.length; next++) {
    const p = labList[next];
    writer.packet(p.data, 0, p.data.length, p.wireLen, p.tsMs + (shift ?? 0), labIf[p.ifIndex]);
  }
  writer.flush();
  closeSync(fd);
  rmSync(background);
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(text);
  if (!m) throw new Error(`--packets ${text}: expected a number such as 300k or 1M`);
  return Math.round(Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1));
}

function main(argv: string[]): void {
  const i = argv.indexOf('--packets');
  const packets = i >= 0 ? parseSize(argv[i + 1]) : 300_000;
  const keep = argv.includes('--keep');
  mkdirSync(DIR, { recursive: true });
  try {
    const good = join(DIR, 'good.pcapng');
    const bad = join(DIR, 'bad.pcapng');
    if (!existsSync(good)) buildInput(join(ROOT, 'captures/skype-good-1.pcapng'), 11, packets, good);
    if (!existsSync(bad)) buildInput(join(ROOT, 'captures/skype-bad-1.pcapng'), 12, packets, bad);
    for (const client of [undefined, LAB_CLIENT]) {
      const started = process.hrtime.bigint();
      const result = learn({ good: [good], bad: [bad], name: 'bench', pref64: [], client, meter: () => ({ inspector: createTagging({}) }), tunnels: 'inner' });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const flows = result.runs.map((r) => r.records.length);
      const best = result.candidates[0];
      console.log(`learn${client ? ` --client ${client}` : ''}: 2 captures of 5 min, ${packets} background packets each, ${flows.join(' + ')} flows`);
      console.log(`  time ${seconds.toFixed(2)} s (target < ${TARGET_SECONDS} s): ${seconds < TARGET_SECONDS ? 'ok' : 'TOO SLOW'}`);
      console.log(`  verdict ${result.verdict}; ${result.candidates.length} candidates; best: ${best ? `${best.kind}, ${best.validation.ok ? 'valid' : 'rejected'}, says: ${best.sentence}` : 'none'}`);
      if (seconds >= TARGET_SECONDS) process.exitCode = 1;
    }
  } finally {
    if (!keep) rmSync(DIR, { recursive: true, force: true });
  }
}

main(process.argv.slice(2));
