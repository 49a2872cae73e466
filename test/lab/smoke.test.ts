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
      const r = spawnSync(`${ROOT}scripts/lab`, ['run', 'literal', '--good', '-w', file], { cwd: ROOT, timeout: 60_000 });
      const stderr = r.stderr.toString();
      expect(r.status, stderr).toBe(0);
      const name = /lab: (\S+) is up/.exec(stderr)?.[1];
      expect(name).toBeDefined();
      expect(stderr).toMatch(/literal --good: .*HTTP 200/);
      const left = spawnSync('ip', ['netns', 'list']).stdout.toString().split('\n').filter((l) => l.startsWith(`${name}-`));
      expect(left).toEqual([]);
      const s = readCaptureFile(file, { packet() {} });
      expect(s.interfaces.map((i) => i.name)).toEqual(['b6', 'nat64', 'b4']);
      expect(s.packets).toBeGreaterThan(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`down` is idempotent and `status` answers without a lab', () => {
    expect(spawnSync(`${ROOT}scripts/lab`, ['down', 'fslnosuchlab']).status).toBe(0);
    expect(spawnSync(`${ROOT}scripts/lab`, ['status']).status).toBe(0);
  });
});
