/**
 * `flowsig flows -i … [BPF]` end to end, in namespaces the test creates: UDP
 * from a client namespace through a router namespace, captured on the
 * router's two interfaces by the built CLI (node bin/flowsig.js).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { flowsig, ROOT } from '../cli/run.js';
import { createRouterTopology, inNs, skipReason } from './namespaces.js';

const skip = skipReason(['ip', 'tcpdump', 'dumpcap', 'python3']);
if (skip) console.warn(`test/live: skipped: ${skip}`);

function sendUdp(ns: string, port: number, count: number): void {
  inNs(ns, 'python3', '-c', `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(${count}):
    s.sendto(bytes(100), ("100.64.2.2", ${port})); time.sleep(0.005)`);
}

interface Run { code: number | null; stdout: string; stderr: string }

describe.skipIf(skip !== undefined)('live capture (flowsig flows -i)', () => {
  let topo: ReturnType<typeof createRouterTopology>;
  let dir: string;
  beforeAll(() => {
    flowsig(['version']); // builds dist/ when missing
    topo = createRouterTopology(`fslt${process.pid}`);
    dir = mkdtempSync(join(tmpdir(), 'flowsig-live-'));
  });
  afterAll(() => {
    topo?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['tcpdump', 'dumpcap'])('%s backend: same flows on both interfaces, idle on wall time, eof on SIGTERM, ordered kernel timestamps', async (backend) => {
    const saved = join(dir, `${backend}.pcapng`);
    const child = spawn('ip', ['netns', 'exec', topo.r, process.execPath, `${ROOT}bin/flowsig.js`, 'flows', '-i', 'r0', '-i', 'r1',
      '--capture-backend', backend, '-k', '7tuple', '-o', 'ndjson', '--idle', '1s', '-w', saved, 'udp and portrange 9000-9001'], { cwd: ROOT });
    const run: Run = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (d) => { run.stdout += d; });
    child.stderr.on('data', (d) => { run.stderr += d; });
    const exited = new Promise<void>((resolve) => child.on('close', (code) => { run.code = code; resolve(); }));
    for (let i = 0; i < 100 && !run.stderr.includes('capturing on'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(run.stderr).toContain('capturing on r0, r1');

    const t0 = Date.now();
    sendUdp(topo.a, 9000, 20);           // goes idle: ends on wall time while nothing arrives
    await new Promise((r) => setTimeout(r, 2500));
    sendUdp(topo.a, 9001, 30);           // still open at SIGTERM: ends with eof
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    const idleBeforeStop = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    child.kill('SIGTERM');
    await exited;

    expect(run.code).toBe(0);
    const recs = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    expect(idleBeforeStop.filter((r) => r.dstport === 9000).map((r) => r.endreason)).toEqual(['idle', 'idle']);
    const first = recs.filter((r) => r.dstport === 9000).sort((x, y) => Number(x.input) - Number(y.input));
    const second = recs.filter((r) => r.dstport === 9001).sort((x, y) => Number(x.input) - Number(y.input));
    expect(first.map((r) => [r.input, r.packets, r.endreason])).toEqual([[0, 20, 'idle'], [1, 20, 'idle']]);
    expect(second.map((r) => [r.input, r.packets, r.endreason])).toEqual([[0, 30, 'eof'], [1, 30, 'eof']]);
    expect(second[0].srcip).toBe('100.64.1.2');
    for (const r of [...first, ...second]) {
      expect(Number(r.stime)).toBeGreaterThanOrEqual(t0 - 5);
      expect(Number(r.etime)).toBeLessThanOrEqual(t1 + 5);
      expect(Number(r.etime)).toBeGreaterThanOrEqual(Number(r.stime));
    }
    // forwarded: the router sees each packet on r0 before r1
    expect(Number(second[1].stime)).toBeGreaterThanOrEqual(Number(second[0].stime));
    expect(run.stderr).toMatch(/r0 ETHERNET \(1\): 50 packets, 0 dropped by kernel/);
    expect(run.stderr).toMatch(/r1 ETHERNET \(1\): 50 packets, 0 dropped by kernel/);

    // the saved pcapng: one interface block per -i, timestamps ordered per interface and within the test's bounds
    const last = [-Infinity, -Infinity];
    let packets = 0;
    const summary = readCaptureFile(saved, {
      packet(_buf, _off, _cap, _wire, tsMs, ifIndex) {
        packets++;
        expect(tsMs).toBeGreaterThanOrEqual(last[ifIndex]);
        expect(tsMs).toBeGreaterThanOrEqual(t0 - 5);
        expect(tsMs).toBeLessThanOrEqual(t1 + 5);
        last[ifIndex] = tsMs;
      },
    });
    expect(summary.interfaces.map((i) => [i.name, i.linkType])).toEqual([['r0', 1], ['r1', 1]]);
    expect(packets).toBe(100);
  });

  it('says what to do when the interface does not exist (exit 1, one line)', () => {
    const r = flowsig(['flows', '-i', 'fsl-no-such-if0']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^flowsig: tcpdump -i fsl-no-such-if0: .*(No such device|doesn't exist)/);
  });

  it('refuses -i any and a BPF filter without -i (exit 2)', () => {
    expect(flowsig(['flows', '-i', 'any']).code).toBe(2);
    expect(readFileSync).toBeDefined();
  });
});
