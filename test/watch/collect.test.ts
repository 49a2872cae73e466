/**
 * `flowsig watch --collect`: signatures over flow records received as IPFIX, inside a network
 * namespace this test creates (its own lo only). A working login exported to it shows nothing; a
 * failing one shows the same matches `flowsig query` finds in the same records read from an IPFIX file.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsig, ROOT } from '../cli/run.js';
import { ip, skipReason } from '../live/namespaces.js';

const reason = skipReason(['ss']);
if (reason) console.warn(`watch --collect test skipped: ${reason}`);

const NS = `fswcol${process.pid}`;
const PORT = 4739;
const BIN = join(ROOT, 'bin/flowsig.js');
const inNs = (args: string[]) => spawnSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8', timeout: 30_000, cwd: ROOT });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Match { signature: string }
const parse = (ndjson: string): Match[] => ndjson.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Match);

describe.skipIf(reason !== undefined)('flowsig watch --collect (network namespace)', () => {
  let dir = '';
  let watch: ChildProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowsig-watch-collect-'));
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
  });
  afterAll(() => {
    watch?.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `flowsig watch --collect` in the namespace, NDJSON on its standard output; resolves once it listens */
  async function startWatch() {
    const w = { out: '', err: '', child: spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, 'watch', '--collect', `127.0.0.1:${PORT}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }) };
    watch = w.child;
    w.child.stdout!.on('data', (d: Buffer) => { w.out += d.toString(); });
    w.child.stderr!.on('data', (d: Buffer) => { w.err += d.toString(); });
    for (let i = 0; i < 100 && !inNs(['ss', '-Hlun', `sport = :${PORT}`]).stdout.includes(`:${PORT}`); i++) await sleep(100);
    return w;
  }
  async function stop(child: ChildProcess) {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
  const send = (capture: string) => {
    const r = inNs([process.execPath, BIN, 'flows', '-r', capture, '-o', 'ipfix', '--to', `127.0.0.1:${PORT}`]);
    expect(r.status, r.stderr).toBe(0);
  };

  it('a working login exported to it: no match', async () => {
    const w = await startWatch();
    send('captures/skype-good-1.pcapng');
    await sleep(1500); // every tick is 250 ms: a match would be out by now
    await stop(w.child);
    expect(w.out).toBe('');
    expect(w.err).toMatch(/^flowsig: 18 records received; sip-sdp-ipv4-literal: 0 matches, skype-login-learned: 0 matches, skype-nat64-login: 0 matches; 0 matches in all; /m);
  });

  it('a failing login exported to it: the matches query finds in the same records read from an IPFIX file', async () => {
    const w = await startWatch();
    send('captures/skype-bad-1.pcapng');
    for (let i = 0; i < 50 && parse(w.out).length < 2; i++) await sleep(100);
    await stop(w.child);
    const file = join(dir, 'bad.ipfix');
    expect(flowsig(['flows', '-r', 'captures/skype-bad-1.pcapng', '-o', 'ipfix', '-w', file]).code).toBe(0);
    const query = flowsig(['query', '-q', 'learned/', '-r', file, '-o', 'ndjson']);
    expect(parse(query.stdout).map((m) => m.signature).sort()).toEqual(['skype-login-learned', 'skype-nat64-login']);
    // the same bytes: the collector numbers records in arrival order, as the file reader does
    expect(w.out.trim().split('\n').sort()).toEqual(query.stdout.trim().split('\n').sort());
    expect(w.err).toMatch(/^flowsig: 68 records received; sip-sdp-ipv4-literal: 0 matches, skype-login-learned: 1 match, skype-nat64-login: 1 match; 2 matches in all; /m);
  });

  it('a port already in use: one line, exit 1', async () => {
    const w = await startWatch();
    const second = inNs([process.execPath, BIN, 'watch', '--collect', `127.0.0.1:${PORT}`]);
    await stop(w.child);
    expect([second.status, second.stderr]).toEqual([1, `flowsig: --collect 127.0.0.1:${PORT}: bind EADDRINUSE 127.0.0.1:${PORT}\n`]);
  });
});
