/**
 * flowsig against real flow tools, inside a network namespace this suite creates (its own lo only):
 * flowsig exports IPFIX / NetFlow v9 to nfcapd and nfdump reads back exactly our flows; softflowd
 * exports NetFlow v9 / IPFIX to `flowsig collect`, which receives every record softflowd says it sent.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { flowsig, parseCsv, ROOT } from '../cli/run.js';
import { ip, skipReason } from '../live/namespaces.js';

const reason = skipReason(['nfcapd', 'nfdump', 'softflowd']) ?? (HAVE_CORPUS ? undefined : NO_CORPUS_MESSAGE);
if (reason) console.warn(`IPFIX peer tests skipped: ${reason}`);

const NS = `fsipfx${process.pid}`;
const BIN = join(ROOT, 'bin/flowsig.js');
/** IPv4 and IPv6, TCP and UDP, 3 years between first and last packet (v9 sysUptime must be re-based) */
const MIXED = 'dns/zeek-dns-edns-ecs-many-aaaa.pcap';
/** IPv4 and IPv6, TCP and UDP, IPv4 and IPv6 fragments, 22 days */
const FRAGMENTED = 'dns/ndpi-dns-fragmented-ipv4.pcap';

const inNs = (args: string[], opts: { cwd?: string } = {}) => spawnSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8', timeout: 30_000, ...opts });

/** nfcapd buffers its log when not on a terminal: wait until its UDP port is bound instead */
async function waitForUdpPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ss = inNs(['ss', '-Hlun', `sport = :${port}`]);
    if (ss.stdout.includes(`:${port}`)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound UDP port ${port} in ${NS}`);
}

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', text: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}"; got: ${seen}`)), timeoutMs);
    child[stream]!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe.skipIf(reason !== undefined)('IPFIX and NetFlow with real peers (network namespace)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowsig-ipfix-'));
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
  });
  afterAll(() => {
    const pids = spawnSync('ip', ['netns', 'pids', NS]).stdout?.toString().trim().split('\n').filter(Boolean) ?? [];
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** flowsig's own CSV for the capture, as nfdump prints it: ms times, addresses, ports, protocol, packets, bytes */
  function flowsigRows(capture: string): string[] {
    const r = flowsig(['flows', '-r', corpusPath(capture), '-o', 'csv', '--no-tags', '-q']);
    expect(r.code).toBe(0);
    return parseCsv(r.stdout).map((f) => [Math.floor(Number(f.stime)), Math.floor(Number(f.etime)), f.srcip, f.dstip, f.srcport,
      // nfdump shows ICMP type.code in place of the destination port
      Number(f.proto) === 1 || Number(f.proto) === 58 ? `${Math.floor(Number(f.dstport) / 256)}.${Number(f.dstport) % 256}` : f.dstport,
      f.proto, f.packets, f.bytes].join('|')).sort();
  }

  for (const protocol of ['ipfix', 'netflow9'] as const) {
    it(`flowsig -o ${protocol} → nfcapd → nfdump: every flow, to the millisecond`, async () => {
      const port = protocol === 'ipfix' ? 4739 : 2055;
      const out = join(dir, `nfcapd-${protocol}`);
      spawnSync('mkdir', ['-p', out]);
      const nfcapd = spawn('ip', ['netns', 'exec', NS, 'nfcapd', '-w', out, '-p', String(port), '-b', '127.0.0.1', '-t', '3600', '-B', '8000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      await waitForUdpPort(port);
      const sent = inNs(['node', BIN, 'flows', '-r', corpusPath(MIXED), '-o', protocol, '--to', `127.0.0.1:${port}`, '--domain', '42']);
      expect(sent.status).toBe(0);
      const summary = /(\d+) records in (\d+) (IPFIX|NetFlow v9) messages/.exec(sent.stderr)!;
      nfcapd.kill('SIGTERM');
      await exited(nfcapd);
      // -6: IPv6 addresses in full (nfdump shortens them with .. otherwise); TZ=UTC: %ts/%te in UTC
      const dump = spawnSync('nfdump', ['-R', out, '-q', '-N', '-6', '-o', 'fmt:%ts|%te|%sa|%da|%sp|%dp|%pr|%pkt|%byt'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
      expect(dump.status).toBe(0);
      const rows = dump.stdout.trim().split('\n').map((line) => {
        const [ts, te, ...rest] = line.split('|').map((c) => c.trim());
        return [Date.parse(`${ts.replace(' ', 'T')}Z`), Date.parse(`${te.replace(' ', 'T')}Z`), ...rest].join('|');
      }).sort();
      const expected = flowsigRows(MIXED);
      expect(Number(summary[1])).toBe(expected.length);
      expect(rows).toEqual(expected);
    });
  }

  /** softflowd reads the capture (-a: capture time) and exports; flowsig collect receives. */
  async function softflowdToCollect(version: 9 | 10): Promise<{ records: Record<string, string | number>[]; sent: { flows: number; records: number; packets: number }; stderr: string }> {
    const port = version === 10 ? 4740 : 2056;
    // softflowd 1.1.0 with a long control-socket path (-c) reads nothing and never exits: relative names in our folder
    const collect = spawn('ip', ['netns', 'exec', NS, 'node', BIN, 'collect', '--listen', `127.0.0.1:${port}`, '-o', 'csv', '--no-tags'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    collect.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    collect.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    await waitFor(collect, 'stderr', 'collecting on');
    const sf = inNs(['softflowd', '-r', corpusPath(FRAGMENTED), '-n', `127.0.0.1:${port}`, '-v', String(version), '-a', '-d', '-c', 'sf.ctl', '-p', 'sf.pid'], { cwd: dir });
    expect(sf.status).toBe(0);
    // "Flows exported: 28 (49 records) in 3 packets (0 failures)"
    const m = /Flows exported: (\d+) \((\d+) records\) in (\d+) packets \((\d+) failures\)/.exec(sf.stdout + sf.stderr)!;
    expect(m, sf.stdout + sf.stderr).not.toBeNull();
    expect(Number(m[4])).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // the last datagram crosses lo
    collect.kill('SIGTERM');
    expect(await exited(collect)).toBe(0);
    return { records: parseCsv(stdout), sent: { flows: Number(m[1]), records: Number(m[2]), packets: Number(m[3]) }, stderr };
  }

  it('softflowd -v 9 and -v 10 → flowsig collect: every record softflowd sent, no loss, same flows both ways', async () => {
    const v9 = await softflowdToCollect(9);
    const v10 = await softflowdToCollect(10);
    for (const [run, name] of [[v9, 'NetFlow v9'], [v10, 'IPFIX']] as const) {
      expect(run.records.length).toBe(run.sent.records);
      expect(run.stderr).toContain(`exporter 127.0.0.1 ${name} ${name === 'IPFIX' ? 'domain' : 'source id'} 0: ${run.sent.packets} messages, ${run.sent.records} records`);
      expect(run.stderr).toContain('0 sequence gaps');
      expect(run.stderr).toContain('malformed: none');
      expect(run.stderr).toContain(`${run.sent.records} records from ${run.sent.packets} datagrams`);
    }
    expect(v9.sent).toEqual({ flows: 28, records: 49, packets: 3 });
    // the same records through both decoders; v9 carries whole seconds in its header (RFC 3954 unix_secs), so its
    // absolute times differ from IPFIX's (systemInitTimeMilliseconds) by the same sub-second offset, durations not at all
    const key = (r: Record<string, string | number>) => [r.srcip, r.srcport, r.dstip, r.dstport, r.proto, r.packets, r.bytes, r.tcpflags, r.tos, r.duration].join('|');
    expect(v9.records.map(key).sort()).toEqual(v10.records.map(key).sort());
    const offsets = new Set(v9.records.map((r, i) => Number(r.stime) - Number(v10.records[i].stime)));
    expect(offsets.size).toBe(1);
    expect(Math.abs([...offsets][0])).toBeLessThan(1000);
  });

  it('softflowd IPFIX records field by field against the capture (flowsig flows on the same packets)', async () => {
    const { records } = await softflowdToCollect(10);
    // softflowd meters biflows and writes one record per direction, both with the conversation's first and last
    // packet times (truncated to ms); it counts a fragmented datagram's later fragments as a separate flow with
    // ports 0. So the sample: every direction without fragments (flowsig's byte count equals softflowd's).
    const r = flowsig(['flows', '-r', corpusPath(FRAGMENTED), '-o', 'csv', '--no-tags', '-q', '--idle', '300s']);
    const bi = flowsig(['flows', '-r', corpusPath(FRAGMENTED), '-o', 'csv', '--no-tags', '-q', '--idle', '300s', '--biflow']);
    const ours = new Map(parseCsv(r.stdout).map((f) => [[f.srcip, f.srcport, f.dstip, f.dstport, f.proto].join(' '), f]));
    const conversations = parseCsv(bi.stdout);
    let compared = 0;
    for (const s of records) {
      const f = ours.get([s.srcip, s.srcport, s.dstip, s.dstport, s.proto].join(' '));
      if (!f || f.bytes !== s.bytes) continue;
      compared++;
      expect([s.ipver, s.packets, s.tcpflags, s.tos]).toEqual([f.ipver, f.packets, f.tcpflags, f.tos]);
      const conv = conversations.find((c) => (c.srcip === s.srcip && c.srcport === s.srcport && c.dstip === s.dstip && c.dstport === s.dstport)
        || (c.srcip === s.dstip && c.srcport === s.dstport && c.dstip === s.srcip && c.dstport === s.srcport))!;
      // softflowd's times: ms since its start, its start taken from the first packet's time; within 2 ms of the capture's
      expect(Math.abs(Number(s.stime) - Number(conv.stime))).toBeLessThan(2);
      expect(Math.abs(Number(s.etime) - Number(conv.etime))).toBeLessThan(2);
    }
    expect(compared).toBeGreaterThanOrEqual(35);
  });
});

const liveReason = skipReason(['tcpdump', 'ping']) ?? (HAVE_CORPUS ? undefined : NO_CORPUS_MESSAGE);
if (liveReason) console.warn(`IPFIX live export tests skipped: ${liveReason}`);

describe.skipIf(liveReason !== undefined)('flowsig → flowsig over UDP (network namespace)', () => {
  const ns = `fsipfl${process.pid}`;
  const exec = (args: string[]) => spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  });
  afterAll(() => {
    const pids = spawnSync('ip', ['netns', 'pids', ns]).stdout?.toString().trim().split('\n').filter(Boolean) ?? [];
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
  });

  function startCollect(port: number): { child: ChildProcess; out: () => string; err: () => string; ready: Promise<void> } {
    const child = exec(['node', BIN, 'collect', '--listen', `127.0.0.1:${port}`, '-o', 'csv', '--no-tags']);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    return { child, out: () => out, err: () => err, ready: waitFor(child, 'stderr', 'collecting on') };
  }

  it('live capture (-i lo) exports IPFIX as it meters: a ping seen by the collector', async () => {
    const collect = startCollect(4750);
    await collect.ready;
    const flows = exec(['node', BIN, 'flows', '-i', 'lo', '-o', 'ipfix', '--to', '127.0.0.1:4750', '--no-tags', 'icmp']);
    let flowsErr = '';
    flows.stderr!.on('data', (d: Buffer) => { flowsErr += d.toString(); });
    await waitFor(flows, 'stderr', 'capturing on');
    await new Promise((r) => setTimeout(r, 300));
    expect(spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.2', '-s', '56', '127.0.0.1']).status).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    flows.kill('SIGINT');
    expect(await exited(flows)).toBe(0);
    expect(flowsErr).toContain('flowsig: 2 records in ');
    await new Promise((r) => setTimeout(r, 300));
    collect.child.kill('SIGTERM');
    expect(await exited(collect.child)).toBe(0);
    const recs = parseCsv(collect.out()).map((r) => [r.srcip, r.dstip, r.proto, r.dstport, r.packets, r.bytes, r.endreason].join(' ')).sort();
    // echo reply (type 0) and echo request (type 8 → dstport 2048), 3 × 84-byte IPv4 packets each, ended by Ctrl-C
    expect(recs).toEqual(['127.0.0.1 127.0.0.1 1 0 3 252 eof', '127.0.0.1 127.0.0.1 1 2048 3 252 eof']);
    expect(collect.err()).toContain('IPFIX domain 0: ');
    expect(collect.err()).toContain('0 sequence gaps (0 records lost), malformed: none');
  });

  it('NetFlow v5: every IPv4 flow arrives, IPv6 flows are counted as skipped', async () => {
    const collect = startCollect(2057);
    await collect.ready;
    const sent = spawnSync('ip', ['netns', 'exec', ns, 'node', BIN, 'flows', '-r', corpusPath(MIXED), '-o', 'netflow5', '--to', '127.0.0.1:2057', '--no-tags'], { encoding: 'utf8' });
    expect(sent.status).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    collect.child.kill('SIGTERM');
    expect(await exited(collect.child)).toBe(0);
    const all = parseCsv(flowsig(['flows', '-r', corpusPath(MIXED), '-o', 'csv', '--no-tags', '-q']).stdout);
    const v4 = all.filter((r) => r.ipver === 4);
    const v6 = all.length - v4.length;
    expect(v6).toBeGreaterThan(0);
    expect(sent.stderr).toContain(`flowsig: ${v4.length} records in 3 NetFlow v5 messages`);
    expect(sent.stderr).toContain(`; ${v6} IPv6 flows skipped (NetFlow v5 carries IPv4 only)`);
    const key = (r: Record<string, string | number>) => [Math.floor(Number(r.stime)), Math.floor(Number(r.etime)), r.srcip, r.srcport, r.dstip, r.dstport, r.proto, r.tos, r.tcpflags, r.packets, r.bytes].join(' ');
    expect(parseCsv(collect.out()).map(key).sort()).toEqual(v4.map(key).sort());
    expect(collect.err()).toContain('NetFlow v5 engine 0: 3 messages');
  });

  it('collect --count N stops by itself after exactly N records', async () => {
    const child = exec(['node', BIN, 'collect', '--listen', '127.0.0.1:2058', '-o', 'csv', '--no-tags', '--count', '5']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await waitFor(child, 'stderr', 'collecting on');
    const sent = spawnSync('ip', ['netns', 'exec', ns, 'node', BIN, 'flows', '-r', corpusPath(MIXED), '-o', 'netflow5', '--to', '127.0.0.1:2058', '-q']);
    expect(sent.status).toBe(0);
    expect(await exited(child)).toBe(0);
    expect(parseCsv(out).map((r) => r.rec_id)).toEqual([1, 2, 3, 4, 5]);
  });
});
