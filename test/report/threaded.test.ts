/**
 * `flows -o ndjson|csv` formats on a second thread (src/report/threaded.ts). Its output must be byte for
 * byte what the one-thread writers make (FLOWSIG_OUTPUT_THREAD=0), for every kind of record: tagged
 * flows (SIP, RTP, DNS, mDNS, nat64/xlat), tunnels, biflow counters, 7-tuple keys, to standard output
 * and to a file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../scripts/bench/generate.js';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { flowsig, ROOT } from '../cli/run.js';

const ONE_THREAD = { FLOWSIG_OUTPUT_THREAD: '0' };
const CAPTURES = [
  'sip-rtp/ndpi-sip-register-invite-errors-rtp.pcap',
  'sip-rtp/sngrep-sip-ipv6-fragmented-call.pcap',
  'nat64/jool-464xlat-plat-nat64-both-sides.pcapng',
  'tunnels/ndpi-ipv4-in-ipv6-tls.pcap',
  'mdns/nfstream-mdns-ipv4-ipv6-sll.pcap',
];
const OPTIONS = [['-o', 'ndjson'], ['-o', 'csv'], ['-o', 'ndjson', '--biflow', '-k', '7tuple'], ['-o', 'csv', '--biflow', '--no-tags', '--tunnel', 'outer']];

/**
 * The output thread sets the nat64 and xlat tags itself (src/tag/offthread.ts) from events the metering
 * thread sends: these lab captures exercise each kind — NAT64 pairs on both sides (skype: six), a CLAT
 * host learned from SDP (sip-good: `clat` on the IPv6 side) and xlat's rewrite of `sdp_ipv4_literal` on
 * the paired IPv4 side (sip-good), a DS-Lite softwire and its NAT44 side (dslite-good).
 */
const LAB_CAPTURES = ['captures/sip-good-1.pcapng', 'captures/skype-bad-1.pcapng', 'captures/dslite-good-1.pcapng'];

describe('threaded output with the tags the output thread sets', () => {
  for (const capture of LAB_CAPTURES) {
    // the last: a prefix the captures do not use (no nat64 tags, no pairing) must reach the output thread too
    for (const opts of [['-o', 'ndjson'], ['-o', 'csv', '-k', '7tuple'], ['-o', 'ndjson', '--biflow'], ['-o', 'csv', '--pref64', '2001:db8:ffff::/96']]) {
      it(`${capture} ${opts.join(' ')}: the same bytes as one thread`, () => {
        const args = ['flows', '-r', join(ROOT, capture), ...opts];
        const threaded = flowsig(args);
        const single = flowsig(args, undefined, ONE_THREAD);
        expect(threaded.code).toBe(0);
        expect(threaded.stdout).toBe(single.stdout);
      });
    }
  }

  it('keeps what only the output thread knows: the CLAT, the pairing, the rewritten SDP literal', () => {
    const lines = flowsig(['flows', '-r', join(ROOT, 'captures/sip-good-1.pcapng'), '-o', 'ndjson']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const clat = lines.filter((r) => r.xlat === 'clat');
    const v4 = lines.filter((r) => r.xlat === 'nat64-v4');
    expect(clat).toHaveLength(4);
    expect(v4).toHaveLength(4);
    expect(lines.filter((r) => r.nat64 === true)).toHaveLength(4);
    // the SIP flow on the IPv4 side carries the SDP the IPv6-only host wrote: an IPv4 literal
    expect(v4.filter((r) => r.app === 'sip' && r.sdp_ipv4_literal === true)).toHaveLength(1);
  });
});

describe.skipIf(!HAVE_CORPUS)('threaded output', () => {
  if (!HAVE_CORPUS) console.warn(NO_CORPUS_MESSAGE);
  const dir = mkdtempSync(join(tmpdir(), 'flowsig-threaded-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is found beside the compiled module, so the command uses it', async () => {
    flowsig(['version']);
    const { formatWorkerUrl } = await import(`${ROOT}dist/src/report/threaded.js`);
    expect(formatWorkerUrl()?.pathname).toBe(`${ROOT}dist/src/report/format-worker.js`);
  });

  for (const capture of CAPTURES) {
    for (const opts of OPTIONS) {
      it(`${capture} ${opts.join(' ')}: the same bytes as one thread`, () => {
        const args = ['flows', '-r', corpusPath(capture), ...opts];
        const threaded = flowsig(args);
        const single = flowsig(args, undefined, ONE_THREAD);
        expect(threaded.code).toBe(0);
        expect(threaded.stdout.length).toBeGreaterThan(0);
        expect(threaded.stdout).toBe(single.stdout);
      });
    }
  }

  it('writes the same file with -w', () => {
    const capture = corpusPath('sip-rtp/ndpi-sip-register-invite-errors-rtp.pcap');
    const a = join(dir, 'threaded.ndjson'), b = join(dir, 'single.ndjson');
    expect(flowsig(['flows', '-r', capture, '-w', a]).code).toBe(0);
    expect(flowsig(['flows', '-r', capture, '-w', b], undefined, ONE_THREAD).code).toBe(0);
    const text = readFileSync(a, 'utf8');
    expect(text).toBe(readFileSync(b, 'utf8'));
    // 76 flows, the SIP ones tagged
    expect(text.trim().split('\n')).toHaveLength(76);
    expect(text).toContain('"app":"sip","sip_methods":["REGISTER"]');
  });

  it('ends quietly with exit 0 when the reader goes away (| head), even with the ring full', () => {
    // 1M generated packets: ~160 000 records, ~55 MB of NDJSON — more than the 16 MB ring holds
    const capture = join(dir, 'bench-1m.pcap');
    generateCapture({ packets: 1_000_000, seed: 1, path: capture });
    const r = spawnSync('bash', ['-c', `node bin/flowsig.js flows -r ${capture} -o ndjson | head -c 100; echo; echo "status \${PIPESTATUS[0]}"`], {
      cwd: ROOT, timeout: 60_000,
    });
    const out = r.stdout.toString();
    expect(out.startsWith('{"rec_id":1,"stime":')).toBe(true);
    expect(out.trim().endsWith('status 0')).toBe(true);
    // the summary line and nothing else: no error, no stack trace
    expect(r.stderr.toString()).toMatch(/^flowsig: 1000000 packets read, 1000000 decoded, 0 not decodable; 161636 flows; [\d.]+ s \(\d+ packets\/s\)\n$/);
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk is one line and exit 1, on both paths, not a stack trace', () => {
    const capture = corpusPath('sip-rtp/ndpi-sip-register-invite-errors-rtp.pcap');
    for (const env of [undefined, ONE_THREAD]) {
      for (const format of ['ndjson', 'csv']) {
        const r = flowsig(['flows', '-r', capture, '-o', format, '-w', '/dev/full'], undefined, env);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^flowsig: 112 packets read, 112 decoded, 0 not decodable; 76 flows; [\d.]+ s \(\d+ packets\/s\)\nflowsig: writing \/dev\/full: ENOSPC: no space left on device, write\n$/);
      }
    }
  });

  it('writes what was read before damage and exits 2, as one thread does', () => {
    const whole = readFileSync(corpusPath('sip-rtp/ndpi-sip-register-invite-errors-rtp.pcap'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const threaded = flowsig(['flows', '-r', cut, '-o', 'ndjson']);
    const single = flowsig(['flows', '-r', cut, '-o', 'ndjson'], undefined, ONE_THREAD);
    expect(threaded.code).toBe(2);
    expect(threaded.stderr).toMatch(/cut\.pcap: offset \d+: file ends in the middle of /);
    expect(threaded.stdout.split('\n').length).toBeGreaterThan(10);
    expect(threaded.stdout).toBe(single.stdout);
  });
});
