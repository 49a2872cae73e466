/**
 * `flowsig watch -i` on the lab's NAT64 box during a failing SIP call shows the match live
 * (issue 7's lab proof, fast: the call takes about 4 s). The signature is the one `flowsig learn`
 * learned from the lab's SIP recordings (learned/sip-sdp-ipv4-literal.nfql): an INVITE through
 * NAT64 answered with SDP holding an IPv4 literal, and no RTP from the caller within 5 s.
 *
 * How: `scripts/lab up` builds a lab; flowsig watch runs in the box's namespace on the IPv6 link
 * (b6), once with the screen in a private tmux server and once with standard output piped (NDJSON),
 * both with a 5 s idle timeout so the call's flows are exported soon after it ends; when both
 * listen, `scripts/lab run sip --bad --in NAME` places the call; the screen must show the match
 * while still capturing, and the piped one must print it. A working call (through the CLAT) placed
 * first must show nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowsig, ROOT } from '../cli/run.js';
import { skipReason } from '../live/namespaces.js';
import { openTerminal, type Terminal } from '../watch/terminal.js';

const skip = skipReason(['ip', 'tayga', 'nft', 'unbound', 'sipp', 'curl', 'openssl', 'ethtool', 'tcpdump', 'editcap', 'tmux']);
if (skip) console.warn(`test/lab: watch SIP test skipped: ${skip}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SIG = 'learned/sip-sdp-ipv4-literal.nfql';

describe.skipIf(skip !== undefined)('flowsig watch -i on the NAT64 box, SIP', () => {
  it('a working call shows nothing; a failing call shows the match live, names the caller, and prints it', async () => {
    flowsig(['version']); // builds dist/ when missing
    const name = `fslws${process.pid}`;
    const socket = `flowsig-lab-watch-sip-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'flowsig-watch-sip-'));
    let term: Terminal | undefined;
    const screen = () => term!.screen();
    const waitFor = (text: string, seconds: number) => term!.waitFor(text, seconds);
    const call = (label: '--good' | '--bad') => {
      const r = spawnSync(`${ROOT}scripts/lab`, ['run', 'sip', label, '--in', name], { cwd: ROOT, timeout: 60_000 });
      expect(r.status, r.stderr.toString()).toBe(0);
    };
    let piped: ReturnType<typeof spawn> | undefined;
    try {
      const up = spawnSync(`${ROOT}scripts/lab`, ['up', '--name', name, '--clat'], { cwd: ROOT, timeout: 120_000 });
      expect(up.status, up.stderr.toString()).toBe(0);
      const box = `${name}-box`;
      const watch = `node bin/flowsig.js watch -i b6 --idle 5s -s ${SIG}`;
      term = openTerminal(socket, `cd ${ROOT} && ip netns exec ${box} ${watch}; sleep 60`);
      const out = join(dir, 'matches.ndjson');
      piped = spawn('sh', ['-c', `exec ip netns exec ${box} ${watch} > ${out} 2> ${join(dir, 'stderr.txt')}`], { cwd: ROOT, stdio: 'ignore' });
      await waitFor('flowsig watch  live b6', 30);
      for (let i = 0; i < 150 && screen().includes('starting capture'); i++) await sleep(200);
      expect(screen()).not.toContain('starting capture');
      await sleep(1000); // the piped one started at the same time

      call('--good');
      await sleep(8000); // idle timeout 5 s: the working call's flows are out and evaluated
      expect(screen()).toMatch(/signatures 1 +matches 0 /);

      call('--bad');
      const live = await waitFor('sip-sdp-ipv4-literal #1', 20);
      expect(live).toMatch(/› \d\d:\d\d:\d\d\.\d{3} {2}sip-sdp-ipv4-literal #1 +2001:db8:64:1::2 +64:ff9b::6440:a /);
      expect(live).toMatch(/signatures 1 +matches 1 /);
      expect(live).not.toContain('— stopped'); // still capturing: found live, not at the end

      term!.keys('q');
      const after = await waitFor('1 match in all', 30);
      expect(after).toMatch(/^sip-sdp-ipv4-literal #1 {2}\S+ \S+ {2}client 2001:db8:64:1::2 → server 64:ff9b::6440:a/m);

      piped.kill('SIGINT');
      await new Promise((r) => piped!.once('exit', r));
      piped = undefined;
      const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(lines.map((m) => [m.signature, m.match, m.hosts])).toEqual([['sip-sdp-ipv4-literal', 1, ['2001:db8:64:1::2', '64:ff9b::6440:a']]]);
      // the caller's INVITE and the answer with the IPv4 literal
      expect(lines[0].flows.map((f: { srcport: number; dstport: number; sip_methods?: string[]; sip_codes?: number[] }) => [f.srcport, f.dstport, f.sip_methods, f.sip_codes]))
        .toEqual([[5060, 5060, ['INVITE', 'ACK', 'BYE'], []], [5060, 5060, [], [200]]]);
    } finally {
      piped?.kill('SIGINT');
      term?.close();
      spawnSync(`${ROOT}scripts/lab`, ['down', name]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
