/**
 * `flowsig ports -i` in namespaces the test creates: a client sends UDP from
 * four source ports and pings through a router; flowsig counts on the
 * router's client-side interface, prints status lines while it runs and the
 * full report when --duration is over.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsig, ROOT } from '../cli/run.js';
import { createRouterTopology, inNs, skipReason } from '../live/namespaces.js';

const skip = skipReason(['ip', 'tcpdump', 'python3', 'ping']);
if (skip) console.warn(`test/ports live: skipped: ${skip}`);

describe.skipIf(skip !== undefined)('ports: live capture (-i)', () => {
  let topo: ReturnType<typeof createRouterTopology>;
  beforeAll(() => {
    flowsig(['version']); // builds dist/ when missing
    topo = createRouterTopology(`fspl${process.pid}`);
  });
  afterAll(() => topo?.remove());

  it.each(['--duration', 'SIGINT'])('status lines while capturing, the report at %s', async (end) => {
    const child = spawn('ip', ['netns', 'exec', topo.r, process.execPath, `${ROOT}bin/flowsig.js`, 'ports', '-i', 'r0',
      '--hosts', '100.64.1.0/24', '--interval', '1s', '--timeout', 'udp=30s,icmp=30s', ...(end === '--duration' ? ['--duration', '3s'] : []), 'udp or icmp'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 100 && !stderr.includes('counting ports on'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('counting ports on r0 (tcpdump, filter "udp or icmp")');
    inNs(topo.a, 'python3', '-c', `
import socket
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for s in socks: s.bind(("100.64.1.2", 0))
for _ in range(3):
    for i, s in enumerate(socks): s.sendto(bytes(20), ("100.64.2.2", 9000 + i))`);
    inNs(topo.a, 'ping', '-c', '2', '-i', '0.2', '100.64.2.2');
    if (end === 'SIGINT') {
      await new Promise((r) => setTimeout(r, 2200)); // at least one status line
      child.kill('SIGINT');
    }
    const code = await exited;
    expect(code).toBe(0);
    // 4 UDP source ports + 1 echo identifier, all alive at the end (30 s timeouts)
    const row = stdout.split('\n').find((l) => l.startsWith('100.64.1.2 '));
    expect(row?.trim().split(/\s+/).slice(0, 3)).toEqual(['100.64.1.2', '5', '5']);
    expect(stdout).toContain('  at p99:');
    expect(stdout).toContain('100.64.1.2: ports in use (peak 5)');
    expect(stderr).toMatch(/flowsig: \+\d+s: \d+ packets; 100\.64\.1\.2 5 now\/5 peak/);
    // the server's ICMP port unreachables (nothing listens on 9000-9003) are no bindings
    expect(stderr).toMatch(/flowsig: \d+ packets read, \d+ decoded, 0 not decodable; 16 packets in 5 bindings of 1 hosts, \d+ not NATed/);
  }, 30_000);
});
