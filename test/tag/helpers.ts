/**
 * Shared by the tagger tests: meter a capture with the taggers on, and ask
 * tshark (the reference dissector) about the same file. Tests that need
 * tshark skip with a message when it is not installed (scripts/setup installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createTagging, type TagOptions } from '../../src/tag/index.js';

export const HAVE_TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
export const NO_TSHARK_MESSAGE = 'tshark not installed (scripts/setup installs it): tshark comparisons skipped';
if (!HAVE_TSHARK) process.stderr.write(`${NO_TSHARK_MESSAGE}\n`);

export function tagged(file: string, opts: { biflow?: boolean; tags?: TagOptions; key7?: boolean } = {}): FlowRecord[] {
  const recs: FlowRecord[] = [];
  const p = createFlowPipeline(
    { meter: { biflow: opts.biflow ?? false, inspector: createTagging(opts.tags), ...(opts.key7 ? { key: { tuple: 7, vlan: false, tunnel: false } } : {}) } },
    (r) => recs.push(r),
  );
  readCaptureFile(file, p.sink);
  p.meter.flush('eof');
  return recs;
}

/** tshark -T fields rows (tab-separated columns) for `filter`. */
export function tsharkFields(file: string, filter: string, fields: readonly string[], extra: readonly string[] = []): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-Y', filter, ...extra, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20,
  });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

export const TUPLE_FIELDS = ['ip.src', 'ipv6.src', 'udp.srcport', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'udp.dstport', 'tcp.dstport'];

/** "17 src sport dst dport" of a tshark row (the innermost address when tunneled, as the meter keys by default). */
export function tsharkTuple(row: readonly string[]): string {
  const last = (s: string) => s.split(',').pop()!;
  const src = last(row[0] || row[1]);
  const dst = last(row[4] || row[5]);
  const udp = row[2] !== '';
  return `${udp ? 17 : 6} ${src} ${udp ? row[2] : row[3]} ${dst} ${udp ? row[6] : row[7]}`;
}

export function recordTuple(r: FlowRecord): string {
  return `${r.proto} ${r.srcip} ${r.srcport} ${r.dstip} ${r.dstport}`;
}

/** Set-valued per-5-tuple map from values (comma-separated multi-values split). */
export function addAll(map: Map<string, Set<string>>, key: string, values: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  for (const v of values.split(',')) if (v !== '') set.add(v);
}

export function sorted(set: Iterable<string | number> | undefined): string[] {
  return [...(set ?? [])].map(String).sort();
}
