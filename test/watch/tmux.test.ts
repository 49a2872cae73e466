/**
 * End to end in a real pseudo-terminal: `flowsig watch --replay` under tmux
 * (a private server per test: -L with the pid), screen read with
 * capture-pane, keys sent with send-keys. And the NDJSON mode (stdout a
 * pipe) against `flowsig query -o ndjson`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flowsig, ROOT } from '../cli/run.js';
import { IS_ROOT } from '../live/namespaces.js';

const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;
let serial = 0;
const servers: string[] = [];

function tmux(socket: string, args: string[]): string {
  return execFileSync('tmux', ['-f', '/dev/null', '-L', socket, ...args], { encoding: 'utf8' });
}

/** Starts flowsig in a 160×50 terminal; the pane stays after the command exits so its last words can be read. */
function startWatch(args: string): { screen(): string; keys(...k: string[]): void; waitFor(text: string | RegExp): Promise<string> } {
  const socket = `flowsig-watch-${process.pid}-${serial++}`;
  servers.push(socket);
  // CI=true would make Ink draw only its last frame; the command drops it, the test makes sure it would have to
  tmux(socket, ['new-session', '-d', '-s', 'w', '-x', '160', '-y', '50', `cd ${ROOT} && CI=true node bin/flowsig.js watch ${args}; sleep 60`]);
  const screen = () => tmux(socket, ['capture-pane', '-p', '-t', 'w']);
  return {
    screen,
    keys: (...k: string[]) => void tmux(socket, ['send-keys', '-t', 'w', ...k]),
    async waitFor(text) {
      // a bound on waiting, not a timing assertion: the replay takes well under a second
      for (let i = 0; i < 300; i++) {
        const s = screen();
        if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`screen never showed ${text}:\n${screen()}`);
    },
  };
}

afterEach(() => {
  for (const s of servers.splice(0)) {
    spawnSync('tmux', ['-L', s, 'kill-server']);
    // the server leaves its socket file behind
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, s), { force: true });
  }
});

describe.skipIf(!HAVE_TMUX)('flowsig watch in a terminal (tmux)', () => {
  it('replay of a failing Skype login: the match appears; enter, ?, esc and q do what they say', async () => {
    const w = startWatch('--replay captures/skype-bad-1.pcapng --speed max');
    const first = await w.waitFor('end of file, q to quit');
    expect(first).toMatch(/› \d\d:\d\d:\d\d\.\d{3} {2}skype-nat64-login #1 +2001:db8:64:1::2 +64:ff9b::6440:b +4 flows: 1× udp\/5353, 3× tcp\/443 in 2m 54s/);
    // the shipped signatures: the hand-written Skype one, the learned Skype one (same failing login), the learned SIP one
    expect(first).toContain('Matches (2)   sip-sdp-ipv4-literal 0   skype-login-learned 1   skype-nat64-login 1');
    expect(first).toMatch(/^ {2}\d\d:\d\d:\d\d\.\d{3} {2}skype-login-learned #1 +2001:db8:64:1::2 +64:ff9b::6440:b +3 flows: 3× tcp\/443 in 2m 51s/m);
    expect(first).toMatch(/active flows 0 +exported 68 +drops n\/a +signatures 3 +matches 2/);

    w.keys('Enter');
    const detail = await w.waitFor('records 8, 27, 44, 57');
    expect(detail).toContain('skype-nat64-login #1   client 2001:db8:64:1::2 → server 64:ff9b::6440:b');
    // each flow: when, branch, ladder, what; then its tags under it
    expect(detail).toMatch(/^\+0ms {7}\[A\] {14}●─+▶ +│ +│ +udp 5353→5353 {2}3 pkts 249B {2}3\.0s {2}idle\n {28}│ +│ +│ +│ +mdns {2}q _skype\._tcp\.local$/m);
    expect(detail).toMatch(/^\+3\.5s {6}\[B\] {14}│ +│ +●─+▶ +tcp 40001→443 {2}28 pkts 3\.07kB {2}57\.1s {2}fin\n +│ +│ +│ +│ +nat64 100\.64\.0\.11 {2}xlat nat64-v6$/m);

    w.keys('?');
    expect(await w.waitFor('Keys')).toContain('q  ctrl-c        quit: stop, flush the open flows, print the matches on standard output');
    w.keys('Escape');
    await w.waitFor('records 8, 27, 44, 57');
    w.keys('Escape');
    await w.waitFor('[matches]');

    w.keys('f');
    // the flows are copied once the screen asks for them: the list fills a frame after the screen opens
    const flows = await w.waitFor(/^tcp {3}\[2001:db8:64:1::2\]:40001 +→ \[64:ff9b::6440:b\]:443 +28 +3\.07kB +57\.1s fin +nat64 100\.64\.0\.11 {2}xlat nat64-v6$/m);
    expect(flows).toContain('Recently exported (68)');
    w.keys('m');
    await w.waitFor('[matches]');

    w.keys('q');
    // the summary on standard error comes last
    const after = await w.waitFor('2 matches in all');
    expect(after).toMatch(/^skype-nat64-login #1 {2}2026-11-24 08:51:23\.906214 {2}client 2001:db8:64:1::2 → server 64:ff9b::6440:b {2}\(4 flows: 1× udp\/5353, 3× tcp\/443 in 2m 54s\)$/m);
    expect(after).toMatch(/^flowsig: 332 packets; 68 flows; sip-sdp-ipv4-literal: 0 matches, skype-login-learned: 1 match, skype-nat64-login: 1 match; 2 matches in all; window 10m; /m);
  });

  it('replay of a working login: no match on screen, none in the summary', async () => {
    const w = startWatch('--replay captures/skype-good-1.pcapng --speed max');
    const s = await w.waitFor('end of file, q to quit');
    expect(s).toContain('no match yet');
    expect(s).toMatch(/signatures 3 +matches 0/);
    w.keys('q');
    const after = await w.waitFor('0 matches in all');
    expect(after).toMatch(/^flowsig watch: no match$/m);
    expect(after).toMatch(/sip-sdp-ipv4-literal: 0 matches, skype-login-learned: 0 matches, skype-nat64-login: 0 matches; 0 matches in all/);
  });
});

describe('flowsig watch with standard output not a terminal', () => {
  it('prints each match as one NDJSON line, identical to `flowsig query -o ndjson`', () => {
    const watch = flowsig(['watch', '--replay', 'captures/skype-bad-1.pcapng', '--speed', 'max']);
    const query = flowsig(['query', '-q', 'learned/', '-r', 'captures/skype-bad-1.pcapng', '-o', 'ndjson']);
    expect(watch.code).toBe(0);
    expect(query.code).toBe(0);
    expect(watch.stdout.split('\n').filter(Boolean).length).toBe(2);
    expect(watch.stdout).toBe(query.stdout);
    const matches = watch.stdout.trim().split('\n').map((l) => JSON.parse(l) as { signature: string; flows: { rec_id: number }[] });
    expect(Object.fromEntries(matches.map((m) => [m.signature, m.flows.map((f) => f.rec_id)]))).toEqual({
      'skype-nat64-login': [8, 27, 44, 57],
      'skype-login-learned': [27, 44, 57],
    });
    expect(watch.stderr).toMatch(/^flowsig: 332 packets; 68 flows; sip-sdp-ipv4-literal: 0 matches, skype-login-learned: 1 match, skype-nat64-login: 1 match; 2 matches in all; window 10m; /);
  });

  it('a filter-only signature: every passing record, as `query` prints them, in the same order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowsig-watch-'));
    try {
      const sig = join(dir, 'mdns-and-login.nfql');
      writeFileSync(sig, 'filter f-mdns {\n  dstport = 5353 OR dstport = 443\n}\n');
      const watch = flowsig(['watch', '--replay', 'captures/skype-bad-1.pcapng', '--speed', 'max', '-s', sig]);
      const query = flowsig(['query', '-q', sig, '-r', 'captures/skype-bad-1.pcapng', '-o', 'ndjson']);
      expect(watch.stdout.split('\n').filter(Boolean).length).toBe(10);
      expect(watch.stdout).toBe(query.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints nothing for a working capture', () => {
    const watch = flowsig(['watch', '--replay', 'captures/skype-good-2.pcapng', '--speed', 'max']);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toBe('');
  });

  it('paced replay (×1000) finds the same match', () => {
    const watch = flowsig(['watch', '--replay', 'captures/skype-bad-2.pcapng', '--speed', '1000', '-s', 'learned/skype-nat64-login.nfql']);
    const query = flowsig(['query', '-q', 'learned/skype-nat64-login.nfql', '-r', 'captures/skype-bad-2.pcapng', '-o', 'ndjson']);
    expect(watch.stdout).toBe(query.stdout);
  });

  it('usage errors are one line, exit 2', () => {
    expect(flowsig(['watch'])).toMatchObject({ code: 2, stderr: 'flowsig: no input: give -i IFACE (live), --replay FILE or --collect [ADDR]:PORT\n' });
    expect(flowsig(['watch', '--replay', 'x.pcap', '--speed', 'fast'])).toMatchObject({ code: 2, stderr: 'flowsig: --speed fast: expected a positive number (1 is real time) or max\n' });
    expect(flowsig(['watch', '--collect', 'nowhere'])).toMatchObject({ code: 2, stderr: 'flowsig: --collect nowhere: expected [ADDR]:PORT, e.g. :4739, 0.0.0.0:2055 or [::1]:4739\n' });
    expect(flowsig(['watch', '--replay', 'x.pcap', '--pen', '9'])).toMatchObject({ code: 2, stderr: 'flowsig: --pen goes with --collect\n' });
    expect(flowsig(['watch', '--replay', 'x.pcap', '-i', 'eth0'])).toMatchObject({ code: 2, stderr: 'flowsig: give one input: -i IFACE, --replay FILE or --collect [ADDR]:PORT\n' });
    expect(flowsig(['watch', '--replay', 'x.pcap', '-o', 'tui'])).toMatchObject({ code: 2, stderr: 'flowsig: -o tui needs a terminal on standard output\n' });
    expect(flowsig(['watch', '--replay', 'captures/nope.pcapng', '--speed', 'max'])).toMatchObject({ code: 2, stderr: 'flowsig: captures/nope.pcapng: cannot open: no such file\n' });
    expect(flowsig(['watch', '--replay', 'README.md', '--speed', 'max']).stderr).toMatch(/README\.md: offset 0: not a pcap or pcapng file/);
  });
});

describe.skipIf(!IS_ROOT || spawnSync('tcpdump', ['--version']).status !== 0)('flowsig watch -i when the capture cannot run', () => {
  it('says why in one line and exits 1', () => {
    const r = flowsig(['watch', '-i', `fsw${process.pid % 10000}x0`, '-o', 'ndjson']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flowsig: tcpdump -i fsw\d+x0: fsw\d+x0: No such device exists/);
    expect(r.stdout).toBe('');
  });
});
