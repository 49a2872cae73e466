/**
 * `flowsig learn` as a user runs it (the built command): options, bad input,
 * the written file, --all, "no trace", and the same text twice for the same
 * inputs.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowsig, ROOT } from '../cli/run.js';

const C = `${ROOT}captures/`;
const SIP = ['--good', `${C}sip-good-1.pcapng`, '--bad', `${C}sip-bad-1.pcapng`];
const tmp = () => mkdtempSync(join(tmpdir(), 'flowsig-learn-'));

describe('flowsig learn (command line)', () => {
  it('--help shows usage, options and exit statuses', () => {
    const r = flowsig(['learn', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: flowsig learn --good OK\.pcap/);
    for (const o of ['--good FILE', '--bad FILE', '--name NAME', '--output FILE', '--all', '--client ADDR', '--pref64 PREFIX']) expect(r.stdout).toContain(o);
    expect(r.stdout).toContain('3 no trace on the wire');
    expect(flowsig(['help', 'learn']).stdout).toBe(r.stdout);
    expect(flowsig(['help']).stdout).toContain('  learn      learn an NFQL signature');
  });

  it.each([
    [['learn', '--good', `${C}sip-good-1.pcapng`], 'flowsig: no failing run: give --bad FILE (a capture or flow file of the application failing)'],
    [['learn', '--bad', `${C}sip-bad-1.pcapng`], 'flowsig: no working run: give --good FILE (a capture or flow file of the application working)'],
    [['learn', ...SIP, '--al'], 'flowsig: unknown option --al; did you mean --all?'],
    [['learn', ...SIP, 'extra'], 'flowsig: unexpected argument "extra" (runs are given with --good FILE and --bad FILE)'],
    [['learn', ...SIP, '--name', '9lives'], 'flowsig: --name 9lives: expected letters, digits, _ and -, starting with a letter or _'],
    [['learn', ...SIP, '--client', 'host'], 'flowsig: --client host: expected an IPv4 or IPv6 address'],
    [['learn', '--good', '-', '--bad', `${C}sip-bad-1.pcapng`], 'flowsig: --good/--bad -: each run must be a file (standard input cannot be told apart from the other runs)'],
    [['learn', '--good', `${C}sip-good-1.pcapng`, '--bad', `${C}nope.pcapng`], `flowsig: ${C}nope.pcapng: cannot open: no such file`],
    [['learn', '--good', `${C}sip-good-1.pcapng`, '--bad', `${ROOT}README.md`], `flowsig: ${ROOT}README.md: offset 0: neither a capture (pcap, pcapng) nor a flow file (ndjson or csv from \`flowsig flows\`)`],
  ])('%j: one line, exit 2', (args, message) => {
    const r = flowsig(args as string[]);
    expect(r.stderr).toBe(`${message}\n`);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('a damaged capture: one line naming the file and offset, exit 2', () => {
    const dir = tmp();
    const cut = join(dir, 'cut.pcapng');
    writeFileSync(cut, readFileSync(`${C}sip-bad-1.pcapng`).subarray(0, 3000));
    const r = flowsig(['learn', '--good', `${C}sip-good-1.pcapng`, '--bad', cut]);
    expect(r.stderr).toBe(`flowsig: ${cut}: offset 2948: file ends in the middle of a pcapng block (needed 76 bytes, 52 left)\n`);
    expect(r.code).toBe(2);
  });

  it('prints the ranked candidates: words, matched flows, good runs, NFQL; exit 0', () => {
    const r = flowsig(['learn', ...SIP]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const best = r.stdout.slice(r.stdout.indexOf('candidate 1 '), r.stdout.indexOf('candidate 2 '));
    expect(best).toContain('candidate 1 (best, absence, 12 rules)');
    expect(best.replace(/\n {2}/g, ' ')).toContain('says: a host sends a flow carrying SIP INVITE, whose SDP has no IPv4 literal, to or from a NAT64 address, answered with a flow carrying SIP response 200, whose SDP has an IPv4 literal, and no RTP flow from that host follows within 5 s');
    expect(best).toContain(`    ${C}sip-bad-1.pcapng: 1 match\n      rec 6 UDP [2001:db8:64:1::2]:5060 -> [64:ff9b::6440:a]:5060, 2.7 s, 6 pkts\n`);
    expect(best).toContain(`  good runs:\n    ${C}sip-good-1.pcapng: no match\n`);
    expect(best).toContain('    filter f-fail {\n      sip_methods contains "INVITE"\n      NOT sdp_ipv4_literal\n      nat64\n    }\n\n    filter f-answer {\n      sip_codes contains 200\n      sdp_ipv4_literal\n    }\n');
    expect(r.stdout).toContain('#1 UDP port 6000, 1.8 s, 120 packets (2 flows): in 1/1 good, 0/1 bad runs   <- missing from the bad runs');
  });

  it('-o writes the best signature with its header; `flowsig check` and `flowsig query` accept it', () => {
    const dir = tmp();
    const out = join(dir, 'sub', 'sip-test.nfql');
    const r = flowsig(['learn', ...SIP, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith(`wrote ${out}\n`)).toBe(true);
    const text = readFileSync(out, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^# sip-test: learned by `flowsig learn`, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(text).toContain('# How to read it:\n#   f-fail (branch A): the failing flow: carrying SIP INVITE, whose SDP has no\n#     IPv4 literal, to or from a NAT64 address.\n');
    expect(text).toContain('# What it says: a host sends a flow carrying SIP INVITE');
    expect(text).toContain(`#   good ${C}sip-good-1.pcapng: no match\n#   bad ${C}sip-bad-1.pcapng: 1 match (rec 6)\n`);
    expect(text).toContain('# Score: in 1 of 1 bad runs and 0 of 1 good runs; risk ratio 3.0');
    const check = flowsig(['check', out]);
    expect(check.code).toBe(0);
    // the body is printQuery's text: check prints it unchanged
    expect(check.stdout).toBe(text.slice(text.indexOf('\n\n') + 2));
    const q = flowsig(['query', '-q', out, '-r', `${C}sip-bad-2.pcapng`, '-o', 'ndjson', '--quiet']);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout.split('\n')[0]).signature).toBe('sip-test');
  });

  it('-o to a place that cannot be written: one line, exit 1 (the job could not be done)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), '');
    const r = flowsig(['learn', ...SIP, '-o', join(dir, 'file', 'sig.nfql')]);
    // mkdir -p over a file: EEXIST here (ENOTDIR on some systems)
    expect(r.stderr).toBe(`flowsig: -o ${join(dir, 'file', 'sig.nfql')}: cannot write: EEXIST\n`);
    expect(r.code).toBe(1);
  });

  it('--all -o writes every valid candidate: FILE, FILE-2, …, each checks', () => {
    const dir = tmp();
    const out = join(dir, 'sip.nfql');
    const r = flowsig(['learn', ...SIP, '--all', '-o', out]);
    expect(r.code).toBe(0);
    const valid = (r.stdout.match(/^candidate \d+ \((best|valid),/gm) ?? []).length;
    const written = readdirSync(dir).sort();
    expect(valid).toBeGreaterThan(1);
    expect(written).toEqual(['sip.nfql', ...Array.from({ length: valid - 1 }, (_, i) => `sip-${i + 2}.nfql`)].sort());
    for (const f of written) expect(flowsig(['check', '-q', join(dir, f)]).code).toBe(0);
    expect(readFileSync(join(dir, 'sip-2.nfql'), 'utf8')).toMatch(/^# sip-2: learned by `flowsig learn`/);
  });

  it('the same inputs give the same report and the same signature', () => {
    const dir = tmp();
    const a = flowsig(['learn', ...SIP, '-o', join(dir, 'a.nfql'), '--name', 'x']);
    const b = flowsig(['learn', ...SIP, '-o', join(dir, 'b.nfql'), '--name', 'x']);
    expect(a.stdout.replace('a.nfql', 'b.nfql')).toBe(b.stdout);
    const strip = (f: string) => readFileSync(join(dir, f), 'utf8').split('\n').slice(1).join('\n');
    expect(strip('a.nfql')).toBe(strip('b.nfql'));
  });

  it('literal: "no trace on the wire", nothing written, exit 3', () => {
    const dir = tmp();
    const out = join(dir, 'literal.nfql');
    const r = flowsig(['learn', '--good', `${C}literal-good-1.pcapng`, '--bad', `${C}literal-bad-1.pcapng`, '-o', out]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('no trace on the wire: nothing present in the bad runs distinguishes them from the good runs.');
    expect(r.stdout).toContain('  behaviour #1: TCP port 8080, 0.2 s, 10 packets (1 flows)');
    expect(r.stdout).toContain('No signature written.');
    expect(existsSync(out)).toBe(false);
  });

  it('bad runs with nothing in common: says so, nothing written, exit 1', () => {
    const r = flowsig(['learn', '--good', `${C}web-good-1.pcapng`, '--bad', `${C}literal-bad-1.pcapng`, '--bad', `${C}sip-bad-1.pcapng`]);
    expect(r.code).toBe(1);
    expect(r.stdout.replace(/\n/g, ' ')).toContain(`nothing is common to every bad run: ${C}sip-bad-1.pcapng has flows no good run has`);
  });

  it('--pref64 reaches the items: with the well-known prefix given explicitly the signature is the same', () => {
    const a = flowsig(['learn', ...SIP]);
    const b = flowsig(['learn', ...SIP, '--pref64', '64:ff9b::/96']);
    expect(b.stdout).toBe(a.stdout);
  });

  it('--client: the lab client (any spelling of its address) gives the same best signature', () => {
    const a = flowsig(['learn', ...SIP]);
    const b = flowsig(['learn', ...SIP, '--client', '2001:DB8:64:1:0::2']);
    expect(b.code).toBe(0);
    const nfql = (s: string) => s.slice(s.indexOf('  NFQL:'), s.indexOf('candidate 2 '));
    expect(nfql(b.stdout)).toBe(nfql(a.stdout));
    // behaviours are clustered over the client's flows of the bad run and every flow of the good run: fewer clusters
    expect(b.stdout.replace(/\n {2}/g, ' ')).toContain('from behaviour #4 (UDP port 5060, 2.7 s–2.9 s, 6 packets (2 flows); also in 1 of 1 good runs: the difference is in the items above');
  });

  it('flow files (ndjson from `flowsig flows`) are runs too, and give the same signature as the captures', () => {
    const dir = tmp();
    for (const f of ['sip-good-1', 'sip-bad-1']) {
      const r = flowsig(['flows', '-r', `${C}${f}.pcapng`, '-o', 'ndjson', '-w', join(dir, `${f}.ndjson`), '-q']);
      expect(r.code).toBe(0);
    }
    const fromFiles = flowsig(['learn', '--good', join(dir, 'sip-good-1.ndjson'), '--bad', join(dir, 'sip-bad-1.ndjson')]);
    const fromCaptures = flowsig(['learn', ...SIP]);
    expect(fromFiles.code).toBe(0);
    const nfql = (s: string) => s.slice(s.indexOf('  NFQL:'), s.indexOf('candidate 2 '));
    expect(nfql(fromFiles.stdout)).toBe(nfql(fromCaptures.stdout));
  });
});
