/**
 * The lab end to end: `scripts/lab run literal --good` builds the three
 * namespaces (client with CLAT, NAT64 box with TAYGA + DNS64, IPv4 server),
 * captures on the box with flowsig's live capture, fetches an IPv4 literal
 * through 464XLAT, and tears everything down, leaving no namespace behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { flowsig, ROOT } from '../cli/run.js';
import { skipReason } from '../live/namespaces.js';

const skip = skipReason(['ip', 'tayga', 'nft', 'unbound', 'sipp', 'curl', 'openssl', 'ethtool', 'tcpdump', 'editcap', 'dig']);
if (skip) console.warn(`test/lab: smoke test skipped: ${skip}`);

describe.skipIf(skip !== undefined)('scripts/lab', () => {
  it('runs the literal scenario through the CLAT, captures it on the box, and leaves no namespace behind', () => {
    flowsig(['version']); // builds dist/ when missing
    const dir = mkdtempSync(join(tmpdir(), 'flowsig-lab-'));
    try {
      const file = join(dir, 'run.pcapng');
      const wallStart = Date.now();
      const r = spawnSync(`${ROOT}scripts/lab`, ['run', 'literal', '--good', '-w', file], { cwd: ROOT, timeout: 60_000 });
      const wallEnd = Date.now();
      const stderr = r.stderr.toString();
      expect(r.status, stderr).toBe(0);
      const name = /lab: (\S+) is up/.exec(stderr)?.[1];
      expect(name).toBeDefined();
      expect(stderr).toMatch(/literal --good: .*HTTP 200/);
      const left = spawnSync('ip', ['netns', 'list']).stdout.toString().split('\n').filter((l) => l.startsWith(`${name}-`));
      expect(left).toEqual([]);
      // kernel timestamps: inside the run's wall-clock span and in order on each interface — nearly:
      // the kernel stamps a packet on the CPU that receives it and queues it for tcpdump afterwards,
      // so with other labs running beside this one (CI runs the lab tests in parallel) one packet
      // was once delivered after a later-stamped one (not reproduced since; its size unknown, so the
      // bound is generous: an order of magnitude below the scenario's round trips)
      const lastTs = [-Infinity, -Infinity, -Infinity];
      let backwards = 0;
      let outside = 0;
      const s = readCaptureFile(file, {
        packet(_b, _o, _c, _w, tsMs, ifIndex) {
          if (tsMs < lastTs[ifIndex]) backwards = Math.max(backwards, lastTs[ifIndex] - tsMs);
          lastTs[ifIndex] = Math.max(lastTs[ifIndex], tsMs);
          if (tsMs < wallStart || tsMs > wallEnd) outside++;
        },
      });
      expect(s.interfaces.map((i) => i.name)).toEqual(['b6', 'nat64', 'b4']);
      expect(backwards).toBeLessThan(50);
      expect(outside).toBe(0);
      // the IPv6-side flow to the NAT64 address and the IPv4-side flow to the server carry the same packets
      const recs: FlowRecord[] = [];
      const p = createFlowPipeline({ meter: { key: { tuple: 7, vlan: false, tunnel: false } } }, (rec) => recs.push(rec));
      readCaptureFile(file, p.sink);
      p.meter.flush();
      const v6 = recs.filter((x) => x.input === 0 && x.dstip === '64:ff9b::6440:a' && x.dstport === 8080);
      expect(v6).toHaveLength(1);
      const v4 = recs.filter((x) => x.input === 2 && x.dstip === '100.64.0.10' && x.dstport === 8080 && x.srcport === v6[0].srcport);
      expect(v4).toHaveLength(1);
      expect(v4[0].packets).toBe(v6[0].packets);
      expect(v6[0].packets).toBeGreaterThanOrEqual(5); // handshake, request, FIN exchange
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`down` is idempotent and `status` answers without a lab', () => {
    expect(spawnSync(`${ROOT}scripts/lab`, ['down', 'fslnosuchlab']).status).toBe(0);
    expect(spawnSync(`${ROOT}scripts/lab`, ['status']).status).toBe(0);
  });
});
