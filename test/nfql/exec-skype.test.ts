/**
 * The Skype-behind-NAT64 signature (NFQL.md §6, learned/skype-nat64-login.nfql):
 * exactly one match for a failed login, nothing for a working one, nothing
 * in any capture of the shared corpus.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { InputError } from '../../src/capture/types.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createQueryRunner } from '../../src/nfql/exec/run.js';
import { mulberry32 } from '../../scripts/bench/random.js';
import { CORPUS_DIR, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { compile, failedSkypeLogin, flow, learned, matchIds, resetIds, run } from './exec-records.js';

const SIGNATURE = learned('skype-nat64-login.nfql');
const skype = (recs: FlowRecord[]) => run(SIGNATURE, recs, 'skype-nat64-login');

beforeEach(resetIds);

describe('the Skype-behind-NAT64 login signature', () => {
  it('finds a failed login: exactly one match, the mDNS flow and the three HTTPS attempts', () => {
    const r = skype(failedSkypeLogin());
    expect(matchIds(r)).toEqual([[1, 2, 3, 4]]);
    const m = r.matches[0];
    expect(m.signature).toBe('skype-nat64-login');
    expect(m.match).toBe(1);
    expect(m.hosts).toEqual(['192.168.1.10', '224.0.0.251', '2001:db8:1::10', '64:ff9b::5db8:d822']);
    expect(m.groups.map((g) => g.branch)).toEqual(['A', 'B', 'C', 'D']);
  });

  function noise(rng: () => number): FlowRecord[] {
    const out: FlowRecord[] = [];
    for (let i = 0; i < 300; i++) {
      const https = rng() < 0.5;
      out.push(
        flow({
          at: rng() * 600,
          lasts: https ? rng() * 70 : rng() * 6,
          proto: https ? 6 : 17,
          srcip: `2001:db8:1::${Math.floor(rng() * 20).toString(16)}`,
          srcport: 30000 + Math.floor(rng() * 30000),
          // not mDNS: the signature takes any mDNS flow to ff02::fb of 1–5 s as its branch A (LLMNR is unrelated)
          dstip: https ? '64:ff9b::5db8:d822' : 'ff02::1:3',
          dstport: https ? 443 : 5355,
          packets: 1 + Math.floor(rng() * 30),
        }),
      );
    }
    return out;
  }

  it('finds it among unrelated traffic, in any input order', () => {
    const rng = mulberry32(42);
    const login = failedSkypeLogin('2001:db8:1::aa', '64:ff9b::5db8:d822', 100);
    const recs = [...noise(rng), ...login].sort(() => rng() - 0.5);
    expect(matchIds(skype(recs))).toEqual([login.map((f) => f.rec_id)]);
  });

  it('reports every failed login; the signature does not tie the mDNS flow to the login\'s host', () => {
    // The mDNS flow is IPv4 and the attempts IPv6 (behind NAT64), so the signature has no rule
    // between A and B, C, D: an earlier login's mDNS flow also precedes a later login's attempts.
    const rng = mulberry32(43);
    const first = failedSkypeLogin('2001:db8:1::aa', '64:ff9b::5db8:d822', 100);
    const second = failedSkypeLogin('2001:db8:1::bb', '64:ff9b::6db8:d822', 400, '192.168.1.11');
    const r = skype([...noise(rng), ...first, ...second]);
    const ids = (fs: FlowRecord[]) => fs.map((f) => f.rec_id);
    expect(matchIds(r)).toEqual([ids(first), [first[0], ...second.slice(1)].map((f) => f.rec_id), ids(second)].sort((a, b) => a[1] - b[1] || a[0] - b[0]));
  });

  it('finds nothing for a working login: mDNS, then one HTTPS connection that works', () => {
    const recs = [
      flow({ at: 0, lasts: 3, proto: 17, srcip: '192.168.1.10', srcport: 5353, dstip: '224.0.0.251', dstport: 5353, packets: 4 }),
      flow({ at: 5, lasts: 2.5, srcip: '2001:db8:1::10', srcport: 50123, dstip: '64:ff9b::5db8:d822', dstport: 443, packets: 40, bytes: 30000 }),
      flow({ at: 8, lasts: 300, srcip: '2001:db8:1::10', srcport: 50124, dstip: '64:ff9b::5db8:d822', dstport: 443, packets: 900 }),
    ];
    expect(skype(recs).matches).toEqual([]);
  });

  it('finds nothing when one element of the pattern is missing or wrong', () => {
    const variants: [string, (recs: FlowRecord[]) => FlowRecord[]][] = [
      ['no mDNS flow', (rs) => rs.slice(1)],
      ['mDNS too short (0.5 s)', (rs) => (rs[0].etime = rs[0].stime + 500, rs[0].duration = 500, rs)],
      ['mDNS after the HTTPS attempts started', (rs) => (shift(rs[0], 6), rs)],
      ['packet counts not strictly decreasing', (rs) => ((rs[3].packets = 9), rs)],
      ['source ports not consecutive', (rs) => ((rs[3].srcport += 1), rs)],
      ['an attempt to another server', (rs) => ((rs[2].dstip = '64:ff9b::1'), rs)],
      ['an attempt from another host', (rs) => ((rs[3].srcip = '2001:db8:1::11'), rs)],
      ['an attempt lasting 60 s', (rs) => ((rs[2].etime = rs[2].stime + 60000), (rs[2].duration = 60000), rs)],
      ['only two attempts', (rs) => rs.slice(0, 3)],
    ];
    for (const [what, change] of variants) {
      resetIds();
      expect(skype(change(failedSkypeLogin())).matches, what).toEqual([]);
    }
  });
});

function shift(rec: FlowRecord, seconds: number): void {
  rec.stime += seconds * 1000;
  rec.etime += seconds * 1000;
}

/** Every capture file under the corpus (pcap, pcapng), damaged ones included. */
function corpusCaptures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...corpusCaptures(path));
    else if (/\.(pcap|pcapng)$/.test(name)) out.push(path);
  }
  return out;
}

describe.skipIf(!HAVE_CORPUS)('the Skype signature on the shared corpus', () => {
  it('matches nothing in any corpus capture (read through the meter)', () => {
    const query = compile(SIGNATURE, 'skype-nat64-login');
    const captures = corpusCaptures(CORPUS_DIR);
    expect(captures.length).toBeGreaterThan(50);
    let records = 0;
    for (const file of captures) {
      const runner = createQueryRunner(query);
      const pipeline = createFlowPipeline({}, (rec) => {
        records++;
        runner.push(rec);
      });
      try {
        readCaptureFile(file, pipeline.sink);
      } catch (err) {
        if (!(err instanceof InputError)) throw err; // damaged captures: what was read still counts
      }
      pipeline.meter.flush('eof');
      expect(runner.finish().matches, file).toEqual([]);
    }
    expect(records).toBeGreaterThan(1000);
  });
});

if (!HAVE_CORPUS) it.skip(NO_CORPUS_MESSAGE, () => {});
