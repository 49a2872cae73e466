/**
 * The acceptance test of NFQL.md §6 on the lab's own recordings: the shipped
 * signature (learned/skype-nat64-login.nfql), run by `flowsig query` as a
 * user runs it, finds the failure in every capture of a failing Skype-like
 * login (captures/skype-bad-N.pcapng, `scripts/lab record skype --bad`) and
 * nothing in a working login (skype-good-N) nor in any other shipped capture.
 *
 * What is expected, and why (docs/lab.md, "skype"):
 * * The recordings are taken on the NAT64 box on three interfaces (0 the IPv6
 *   link, 1 TAYGA's TUN, 2 the IPv4 link). With flowsig's default 5-tuple
 *   keys an IPv6 packet seen on the link and again on the TUN is one flow:
 *   each login attempt is one IPv6 record whose packet count is twice what
 *   one interface saw. That is the record the signature is written for (one
 *   record per connection direction, as NetFlow), so the test runs the
 *   default keys.
 * * Each attempt also crosses the translator and appears as IPv4 flows (on
 *   the TUN from TAYGA's pool address, on the IPv4 link from the masquerade
 *   address), with the same ports: TAYGA's stateless stage keeps ports and the
 *   masquerade keeps them while they are free, so those copies are consecutive
 *   too. The paper's signature would match them as well (three matches per
 *   failing login, two naming the NAT instead of the client); the shipped one
 *   takes IPv6 flows only (`ipver = 6`), so there is exactly one match per
 *   failing login, naming the client. The test checks both.
 * * With `-k 7tuple` one attempt is two IPv6 records (link and TUN), its group
 *   in g-login has n = 2 and gf-login (n = 1) drops it: no match. Stated below.
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { flowsig, ROOT } from '../cli/run.js';

const SIGNATURE = `${ROOT}learned/skype-nat64-login.nfql`;
const CAPTURES = `${ROOT}captures/`;
const CLIENT = '2001:db8:64:1::2';
const LOGIN_OLD_VIA_NAT64 = '64:ff9b::6440:b';

interface Flow {
  srcip: string;
  srcport: number;
  dstip: string;
  dstport: number;
  proto: number;
  ipver: number;
  packets: number;
  duration: number;
  stime: number;
  etime: number;
  endreason: string;
}
interface Match {
  signature: string;
  match: number;
  flows: Flow[];
}

function captures(prefix: string): string[] {
  return readdirSync(CAPTURES).filter((f) => f.startsWith(prefix) && /\.pcapng?$/.test(f)).sort();
}

function query(file: string, extra: string[] = [], signature = SIGNATURE): { code: number; matches: Match[]; stderr: string } {
  const r = flowsig(['query', '-q', signature, '-r', `${CAPTURES}${file}`, '-o', 'ndjson', '--quiet', ...extra]);
  const matches = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Match);
  return { code: r.code, matches, stderr: r.stderr };
}

/** The capture's records with 7-tuple keys (one record per interface), read by flowsig's own pipeline. */
function perInterface(file: string): FlowRecord[] {
  const out: FlowRecord[] = [];
  const p = createFlowPipeline({ meter: { key: { tuple: 7, vlan: false, tunnel: false } } }, (r) => out.push(r));
  readCaptureFile(`${CAPTURES}${file}`, p.sink);
  p.meter.flush('eof');
  return out;
}

const num = (r: FlowRecord, k: string) => Number((r as Record<string, unknown>)[k]);
const str = (r: FlowRecord, k: string) => String((r as Record<string, unknown>)[k]);

/**
 * Client→server packets of each attempt (source ports 40001–40003) as the
 * recording holds them: on the IPv6 link (input 0) and on the TUN (input 1).
 */
const EXPECTED_PER_INTERFACE = [14, 11, 9];

const BAD = captures('skype-bad-');
const GOOD = captures('skype-good-');
const OTHERS = readdirSync(CAPTURES).filter((f) => /\.pcapng?$/.test(f) && !f.startsWith('skype-bad-')).sort();

describe('the shipped Skype signature on the lab recordings', () => {
  it('has 3 failing and 3 working logins, and other captures to stay quiet on', () => {
    expect(BAD.length).toBe(3);
    expect(GOOD.length).toBe(3);
    for (const p of ['sip-', 'literal-', 'web-', 'example']) expect(OTHERS.some((f) => f.startsWith(p)), p).toBe(true);
  });

  describe.each(BAD)('%s (failing login)', (file) => {
    it('matches exactly once: the mDNS flow, then the three IPv6 attempts with exact ports and packet counts', () => {
      const { code, matches } = query(file);
      expect(code).toBe(0);
      expect(matches).toHaveLength(1);
      const [mdns, ...attempts] = matches[0].flows;
      expect(matches[0].signature).toBe('skype-nat64-login');
      expect(matches[0].flows).toHaveLength(4);

      // the client's mDNS queries: from its link-local address, port 5353, to ff02::fb (it has no IPv4), 3 packets over ~3 s
      expect(mdns).toMatchObject({ ipver: 6, proto: 17, srcport: 5353, dstip: 'ff02::fb', dstport: 5353, packets: 3 });
      expect(mdns.srcip.startsWith('fe80:')).toBe(true);
      expect(mdns.duration).toBeGreaterThan(2900);
      expect(mdns.duration).toBeLessThan(3200);

      expect(attempts.map((f) => [f.srcip, f.srcport, f.dstip, f.dstport, f.proto])).toEqual([
        [CLIENT, 40001, LOGIN_OLD_VIA_NAT64, 443, 6],
        [CLIENT, 40002, LOGIN_OLD_VIA_NAT64, 443, 6],
        [CLIENT, 40003, LOGIN_OLD_VIA_NAT64, 443, 6],
      ]);
      // 5-tuple keys: the IPv6 link's copy and the TUN's copy of each packet are one record, so twice the per-interface count
      expect(attempts.map((f) => f.packets)).toEqual(EXPECTED_PER_INTERFACE.map((n) => 2 * n));
      for (const f of attempts) {
        expect(f.duration).toBeGreaterThanOrEqual(56_900); // --timeout 57 s
        expect(f.duration).toBeLessThanOrEqual(57_300);
        expect(f.endreason).toBe('fin');
        expect(f.stime).toBeGreaterThan(mdns.etime);
      }
    });

    it('holds what the expected counts say: per interface 14, 11, 9 client packets per attempt, on the link and on the TUN', () => {
      const recs = perInterface(file);
      for (const input of [0, 1]) {
        const up = recs
          .filter((r) => num(r, 'input') === input && str(r, 'srcip') === CLIENT && num(r, 'dstport') === 443)
          .sort((a, b) => num(a, 'srcport') - num(b, 'srcport'));
        expect(up.map((r) => [num(r, 'srcport'), num(r, 'packets')])).toEqual(EXPECTED_PER_INTERFACE.map((n, i) => [40001 + i, n]));
      }
    });

    it('without `ipver = 6` (the paper\'s signature) matches three times: the IPv6 attempts and both translated IPv4 copies', () => {
      const dir = mkdtempSync(join(tmpdir(), 'flowsig-skype-'));
      const paper = join(dir, 'skype-any-ip.nfql');
      writeFileSync(paper, readFileSync(SIGNATURE, 'utf8').replace(/^ {2}ipver = 6\n/gm, ''));
      const { code, matches } = query(file, [], paper);
      expect(code).toBe(0);
      const logins = matches.map((m) => m.flows.slice(1).map((f) => `${f.srcip} ${f.srcport} ${f.packets}`));
      const attempts = (src: string, factor: number) =>
        EXPECTED_PER_INTERFACE.map((n, i) => `${src} ${40001 + i} ${factor * n}`);
      const pool = logins.map((l) => l[0].split(' ')[0]).find((ip) => ip.startsWith('198.51.100.')); // TAYGA's pool address, on the TUN
      expect(pool).toBeDefined();
      expect(logins.sort()).toEqual(
        [
          attempts(CLIENT, 2), // the shipped signature's match
          attempts(pool!, 1), // translated by TAYGA (ports kept), seen on the TUN
          attempts('100.64.0.1', 1), // masqueraded on the IPv4 link (ports kept while free)
        ].sort(),
      );
    });

    it('with -k 7tuple finds nothing: each attempt is two IPv6 records (link and TUN), and gf-login wants n = 1', () => {
      const { code, matches } = query(file, ['-k', '7tuple']);
      expect(matches).toEqual([]);
      expect(code).toBe(1);
    });
  });

  describe.each(OTHERS)('%s', (file) => {
    it('has no match (exit 1, no output)', () => {
      const { code, matches, stderr } = query(file);
      expect(stderr).toBe('');
      expect(matches).toEqual([]);
      expect(code).toBe(1);
    });
  });
});
