/**
 * `learn` on the lab's recordings (captures/README.md): what it learns from
 * one good and one bad run must flag every other bad run and no other run;
 * where the failure leaves no trace on the wire it must say so; the shipped
 * learned signatures are what `learn` makes of all runs, find the same runs as
 * the hand-written paper signature, and stay quiet on the corpus.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/open.js';
import { InputError } from '../../src/capture/types.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { learnFromRuns, type LearnResult } from '../../src/learn/learn.js';
import { readRun, type Run } from '../../src/learn/runs.js';
import { runSignature } from '../../src/learn/signature.js';
import { createTagging } from '../../src/tag/index.js';
import { ROOT } from '../cli/run.js';
import { corpusPath, HAVE_CORPUS, manifest, NO_CORPUS_MESSAGE } from '../corpus.js';

const CAPTURES = `${ROOT}captures/`;
const FILES = readdirSync(CAPTURES).filter((f) => /\.pcapng?$/.test(f)).sort();
const OPTS = { meter: () => ({ inspector: createTagging({}) }), tunnels: 'inner' as const };
const RUNS = new Map<string, Run>(FILES.map((f) => [f, readRun(`${CAPTURES}${f}`, f.includes('-bad-') ? 'bad' : 'good', OPTS)]));
const run = (f: string) => RUNS.get(f)!;

/** The shipped captures a signature has at least one match in. */
function capturesMatched(text: string): string[] {
  return FILES.filter((f) => runSignature(text, 'sig', run(f).records).length > 0);
}

function learnPair(app: string, good: number, bad: number): LearnResult {
  return learnFromRuns([run(`${app}-good-${good}.pcapng`), run(`${app}-bad-${bad}.pcapng`)], `${app}-learned`, []);
}

/** The signature part of a written file: everything after the comment header. */
function body(file: string): string {
  const text = readFileSync(`${ROOT}learned/${file}`, 'utf8');
  return text.slice(text.indexOf('\n\n') + 2);
}

const PAIRS = [1, 2, 3].flatMap((g) => [1, 2, 3].map((b) => [g, b] as const));

describe('leave-one-out on the lab recordings: learned from one good and one bad run', () => {
  describe.each(PAIRS)('sip-good-%i + sip-bad-%i', (g, b) => {
    it('flags sip-bad-1..3 and nothing else: an INVITE through NAT64 with IPv6 media, answered with an IPv4 literal, and no RTP after it', () => {
      const r = learnPair('sip', g, b);
      expect(r.verdict).toBe('signature');
      const best = r.candidates[0];
      expect(best.validation.ok).toBe(true);
      expect(best.kind).toBe('absence');
      expect(best.namesClient).toBe(true);
      expect(best.candidate.anchor.map((i) => i.rule)).toEqual(['sip_methods contains INVITE', 'NOT sdp_ipv4_literal', 'nat64']);
      expect(best.candidate.absence!.item.rule).toBe('app = rtp');
      expect(best.candidate.absence!.windowMs).toBe(5000);
      expect(best.candidate.answer!.map((i) => i.rule)).toEqual(['sip_codes contains 200', 'sdp_ipv4_literal']);
      expect(capturesMatched(best.text)).toEqual(['sip-bad-1.pcapng', 'sip-bad-2.pcapng', 'sip-bad-3.pcapng']);
    });
  });

  describe.each(PAIRS)('skype-good-%i + skype-bad-%i', (g, b) => {
    it('flags skype-bad-1..3 and nothing else: three long attempts to a NAT64 address from consecutive ports', () => {
      const r = learnPair('skype', g, b);
      expect(r.verdict).toBe('signature');
      const best = r.candidates[0];
      expect(best.validation.ok).toBe(true);
      expect(best.kind).toBe('repeat');
      expect(best.namesClient).toBe(true);
      expect(best.candidate.anchor.map((i) => i.rule)).toEqual(['dstip in 64:ff9b::/96', 'duration >= 13s']);
      expect(best.candidate.repeat).toEqual({ count: 3, sequential: false, decreasing: true });
      expect(capturesMatched(best.text)).toEqual(['skype-bad-1.pcapng', 'skype-bad-2.pcapng', 'skype-bad-3.pcapng']);
    });
  });
});

describe('no trace on the wire', () => {
  it.each(PAIRS)('literal-good-%i + literal-bad-%i: nothing present in the bad run distinguishes it; no candidate', (g, b) => {
    const r = learnPair('literal', g, b);
    expect(r.verdict).toBe('no-trace');
    expect(r.candidates).toEqual([]);
    // what is missing is the good run's own HTTP exchange (curl to port 8080 through CLAT and NAT64)
    expect(r.missing.length).toBeGreaterThan(0);
    for (const m of r.missing) expect(m.words).toMatch(/^TCP port 8080,/);
  });

  it('all literal runs together: no trace', () => {
    const runs = [1, 2, 3].flatMap((i) => [run(`literal-good-${i}.pcapng`), run(`literal-bad-${i}.pcapng`)]);
    const r = learnFromRuns(runs, 'literal', []);
    expect(r.verdict).toBe('no-trace');
    // the bad runs hold only neighbour discovery and MLD (0, 0 and 2 packets were captured)
    expect(runs.filter((x) => x.label === 'bad').map((x) => [x.records.length, x.traffic.length])).toEqual([[1, 0], [0, 0], [0, 0]]);
  });

  it('openvpn to an IPv4 literal without CLAT: no trace; the good run\'s DNS and UDP 1194 are what is missing', () => {
    const r = learnFromRuns([run('openvpn-good-1.pcapng'), run('openvpn-bad-1.pcapng')], 'openvpn', []);
    expect(r.verdict).toBe('no-trace');
    expect(r.candidates).toEqual([]);
    expect(r.missing.map((m) => m.words.split(',')[0]).sort()).toEqual(['UDP port 1194', 'UDP port 1194', 'UDP port 1194', 'UDP port 53']);
  });
});

describe('no reply', () => {
  it('dslite with the AFTR down: the B4\'s SYNs get no reply; best: a SYN-only flow with no reverse flow', () => {
    const r = learnFromRuns([run('dslite-good-1.pcapng'), run('dslite-bad-1.pcapng')], 'dslite', []);
    const best = r.candidates[0];
    expect(best.validation.ok).toBe(true);
    expect(best.candidate.noReply).toBe(true);
    expect(best.candidate.anchor.map((i) => i.rule)).toEqual(['tcpflags = 0x02']);
    expect(best.sentence).toBe('a host sends a flow with SYN only (never answered), and no reply comes back (no flow with the addresses and ports swapped)');
    expect(best.validation.perRun[1].map((m) => m.flows.map((f) => `${f.rec_id} ${f.srcip}:${f.srcport} ${f.dstip}:${f.dstport}`))).toEqual([['3 192.0.0.2:45060 100.64.0.10:8080']]);
    expect(capturesMatched(best.text)).toEqual(['dslite-bad-1.pcapng']);
  });
});

describe('bad runs of different failures', () => {
  it('a literal run and a sip run as bad: the sip run has flows of its own, but nothing is common to both; no candidate', () => {
    const r = learnFromRuns([run('web-good-1.pcapng'), run('literal-bad-1.pcapng'), run('sip-bad-1.pcapng')], 'mixed', []);
    expect(r.verdict).toBe('no-separation');
    expect(r.candidates).toEqual([]);
    expect(r.distinctRuns).toEqual([`${CAPTURES}sip-bad-1.pcapng`]);
  });
});

describe('the shipped learned signatures', () => {
  const all = (app: string) => [1, 2, 3].flatMap((i) => [run(`${app}-good-${i}.pcapng`), run(`${app}-bad-${i}.pcapng`)]);

  it.each([
    ['sip', 'sip-sdp-ipv4-literal.nfql'],
    ['skype', 'skype-login-learned.nfql'],
  ])('%s: learned/%s is what learn makes of the three good and three bad runs', (app, file) => {
    const r = learnFromRuns(all(app), file.replace('.nfql', ''), []);
    expect(r.candidates[0].text).toBe(body(file));
  });

  it('sip-sdp-ipv4-literal matches once per failing call: the client\'s INVITE flow and the answer', () => {
    const text = body('sip-sdp-ipv4-literal.nfql');
    const hits = FILES.map((f) => [f, runSignature(text, 's', run(f).records).map((m) => m.flows.map((x) => `${x.rec_id} ${x.srcip}`))] as const)
      .filter(([, m]) => m.length > 0);
    expect(hits).toEqual([
      ['sip-bad-1.pcapng', [['6 2001:db8:64:1::2', '11 64:ff9b::6440:a']]],
      ['sip-bad-2.pcapng', [['1 2001:db8:64:1::2', '6 64:ff9b::6440:a']]],
      ['sip-bad-3.pcapng', [['1 2001:db8:64:1::2', '6 64:ff9b::6440:a']]],
    ]);
  });

  it('skype-login-learned matches once per failing login: the client\'s three attempts', () => {
    const text = body('skype-login-learned.nfql');
    const hits = FILES.map((f) => [f, runSignature(text, 's', run(f).records).map((m) => m.flows.map((x) => `${x.srcport} ${x.packets}`))] as const)
      .filter(([, m]) => m.length > 0);
    const attempts = [['40001 28', '40002 22', '40003 18']];
    expect(hits).toEqual([['skype-bad-1.pcapng', attempts], ['skype-bad-2.pcapng', attempts], ['skype-bad-3.pcapng', attempts]]);
  });

  it('the learned skype signature and the hand-written paper signature find the same runs', () => {
    const learned = capturesMatched(body('skype-login-learned.nfql'));
    const paper = capturesMatched(readFileSync(`${ROOT}learned/skype-nat64-login.nfql`, 'utf8'));
    expect(learned).toEqual(paper);
    expect(learned).toEqual(['skype-bad-1.pcapng', 'skype-bad-2.pcapng', 'skype-bad-3.pcapng']);
  });
});

describe.skipIf(!HAVE_CORPUS)(`learned signatures on the corpus${HAVE_CORPUS ? '' : ` (${NO_CORPUS_MESSAGE})`}`, () => {
  const signatures = readdirSync(`${ROOT}learned`).filter((f) => f.endsWith('.nfql')).sort();
  const rows = manifest().filter((r) => /\.(pcap|pcapng|cap)$/.test(r.path));

  it('has captures to check and the learned signatures to check them with', () => {
    expect(rows.length).toBeGreaterThan(50);
    expect(signatures).toEqual(['sip-sdp-ipv4-literal.nfql', 'skype-login-learned.nfql', 'skype-nat64-login.nfql']);
  });

  it('no learned signature matches anything in any corpus capture (what was read before damage included)', () => {
    const texts = signatures.map((f) => readFileSync(`${ROOT}learned/${f}`, 'utf8'));
    const found: string[] = [];
    for (const row of rows) {
      const records: FlowRecord[] = [];
      const p = createFlowPipeline({ meter: { inspector: createTagging({}) } }, (r) => records.push(r));
      try {
        readCaptureFile(corpusPath(row.path), p.sink);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
      }
      p.meter.flush('eof');
      texts.forEach((t, i) => {
        const n = runSignature(t, 's', records).length;
        if (n > 0) found.push(`${signatures[i]} on ${row.path}: ${n}`);
      });
    }
    expect(found).toEqual([]);
  }, 120_000);
});
