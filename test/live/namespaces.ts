/**
 * Network namespaces a live test creates for itself (never the root
 * namespace, whose loopback other programs share) and removes afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const IS_ROOT = process.getuid?.() === 0;

export function missingPrograms(names: string[]): string[] {
  return names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
}

/** Why the suite cannot run here, or undefined when it can. */
export function skipReason(programs: string[]): string | undefined {
  if (!IS_ROOT) return 'needs root (network namespaces); CI runs as root';
  const missing = missingPrograms(programs);
  if (missing.length > 0) return `missing ${missing.join(', ')} (bash scripts/setup installs them)`;
  return undefined;
}

export const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
export const inNs = (ns: string, ...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** a — r — b: client, router, server; r0 faces a, r1 faces b (IPv4 in 100.64.0.0/10 only) */
export function createRouterTopology(prefix: string): { a: string; r: string; b: string; remove(): void } {
  const a = `${prefix}-a`, r = `${prefix}-r`, b = `${prefix}-b`;
  const remove = () => {
    for (const n of [a, r, b]) {
      const pids = spawnSync('ip', ['netns', 'pids', n]).stdout?.toString().trim().split('\n').filter(Boolean) ?? [];
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', n]);
    }
  };
  try {
    for (const n of [a, r, b]) {
      ip('netns', 'add', n);
      ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', 'a0', 'netns', a, 'type', 'veth', 'peer', 'name', 'r0', 'netns', r);
    ip('link', 'add', 'b0', 'netns', b, 'type', 'veth', 'peer', 'name', 'r1', 'netns', r);
    ip('-n', a, 'addr', 'add', '100.64.1.2/24', 'dev', 'a0');
    ip('-n', r, 'addr', 'add', '100.64.1.1/24', 'dev', 'r0');
    ip('-n', b, 'addr', 'add', '100.64.2.2/24', 'dev', 'b0');
    ip('-n', r, 'addr', 'add', '100.64.2.1/24', 'dev', 'r1');
    for (const [n, d] of [[a, 'a0'], [r, 'r0'], [r, 'r1'], [b, 'b0']]) ip('-n', n, 'link', 'set', d, 'up');
    ip('-n', a, 'route', 'add', 'default', 'via', '100.64.1.1');
    ip('-n', b, 'route', 'add', 'default', 'via', '100.64.2.1');
    inNs(r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // neighbours known up front, so the first test packet is not held for ARP
    inNs(a, 'ping', '-c', '1', '-W', '2', '100.64.2.2');
  } catch (err) {
    remove();
    throw err;
  }
  return { a, r, b, remove };
}
