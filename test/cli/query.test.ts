/**
 * `flowsig query` and the flow files it reads (src/cli/query.ts,
 * src/flow/flowfile.ts, src/report/matches.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runQuery } from '../../src/cli/query.js';
import { createFlowFileParser, readFlowFile, TextInputError } from '../../src/flow/flowfile.js';
import { registerField } from '../../src/flow/fields.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { failedSkypeLogin, flow, learned, resetIds } from '../nfql/exec-records.js';
import { corpusPath, HAVE_CORPUS } from '../corpus.js';
import { flowsig, ROOT } from './run.js';

const EXAMPLE = `${ROOT}captures/example.pcapng`;
const dir = mkdtempSync(join(tmpdir(), 'flowsig-query-'));
let fileNo = 0;

/** A file in a folder of its own (the name is the signature's name). */
function file(name: string, text: string): string {
  const folder = join(dir, String(fileNo++));
  mkdirSync(folder);
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

interface Ran {
  code: number;
  out: string;
  err: string;
}

/** runQuery in this process; matches go to a file (-w), messages are collected. */
function query(args: string[]): Ran {
  const out = join(dir, `out-${fileNo++}`);
  let err = '';
  let stdout = '';
  const code = runQuery([...args, '-w', out], {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (err += t), isTTY: false },
  });
  return { code, out: stdout + (existsSync(out) ? readFileSync(out, 'utf8') : ''), err };
}

const ndjson = (text: string) => text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

function toNdjson(recs: FlowRecord[]): string {
  return recs.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && v !== undefined)))).join('\n') + '\n';
}

const SKYPE = file('skype-nat64-login.nfql', learned('skype-nat64-login.nfql'));

const PAIRS = file(
  'pairs.nfql',
  `splitter S {}
   filter req { proto = tcp  dstport = 8080 }
   filter res { proto = tcp  srcport = 8080 }
   merger M {
     branches A, B
     A.srcip = B.dstip  A.dstip = B.srcip  A.srcport = B.dstport
     B d A OR B f A OR B s A OR B = A delta 5ms OR A o B OR B oi A
   }
   ungrouper U {}
   "input" -> S
   S branch A -> req -> M
   S branch B -> res -> M
   M -> U -> "output"`,
);

const TALKERS = file(
  'talkers.nfql',
  `splitter S {}
   filter f { packets > 0 }
   grouper g { module m { srcip = srcip } aggregate srcip, sum(bytes) as total, union(dstport) as ports }
   groupfilter gf { n >= 2 }
   "input" -> S
   S branch A -> f -> g -> gf -> "output"`,
);

const UDP = file('udp.nfql', 'filter udp { proto = udp }');

describe('flowsig query', () => {
  it('prints a failed Skype login as one match: signature, number, hosts, time span, member flows', () => {
    resetIds();
    const flows = file('skype.ndjson', toNdjson(failedSkypeLogin()));
    const r = query(['-q', SKYPE, '-r', flows, '-o', 'table']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('skype-nat64-login: 1 match');
    expect(lines[2]).toMatch(/^match 1 {2}2012-06-01 10:00:00\.000000 → 2012-06-01 10:01:04\.000000 \(1m 4\.000s\) {2}hosts 192\.168\.1\.10, 224\.0\.0\.251, 2001:db8:1::10, 64:ff9b::5db8:d822$/);
    expect(lines[3]).toMatch(/^ {2}start \(UTC\)\s+duration\s+proto\s+source/);
    expect(lines.slice(4, 8).map((l) => /:(\d+) +->/.exec(l)?.[1])).toEqual(['5353', '50123', '50124', '50125']);
    expect(r.err).toMatch(/^flowsig: 4 flow records; skype-nat64-login: 1 match; /);
  });

  it('-o ndjson: one object per match with the member flows under canonical names', () => {
    resetIds();
    const recs = failedSkypeLogin();
    const r = query(['-q', SKYPE, '-r', file('skype.ndjson', toNdjson(recs)), '-o', 'ndjson']);
    const [m, ...rest] = ndjson(r.out);
    expect(rest).toEqual([]);
    expect(Object.keys(m)).toEqual(['signature', 'match', 'stime', 'etime', 'hosts', 'flows']);
    expect(m).toMatchObject({ signature: 'skype-nat64-login', match: 1, stime: recs[0].stime, etime: recs[2].etime });
    expect(m.flows.map((f: FlowRecord) => f.rec_id)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(m.flows[1])).toEqual(['rec_id', 'stime', 'etime', 'duration', 'ipver', 'proto', 'srcip', 'srcport', 'dstip', 'dstport', 'tos', 'tcpflags', 'packets', 'bytes', 'l2bytes', 'input', 'vlan', 'endreason']);
  });

  it('--groups shows the group records instead of the flows', () => {
    resetIds();
    const flows = file('skype.ndjson', toNdjson(failedSkypeLogin()));
    const [m] = ndjson(query(['-q', SKYPE, '-r', flows, '-o', 'ndjson', '--groups']).out);
    expect(m.flows).toBeUndefined();
    expect(m.groups.map((g: Record<string, unknown>) => [g.branch, g.n, g.records, g.srcport, g['pkt-sum']])).toEqual([
      ['A', 1, [1], undefined, undefined],
      ['B', 1, [2], 50123, 12],
      ['C', 1, [3], 50124, 9],
      ['D', 1, [4], 50125, 7],
    ]);
    const table = query(['-q', SKYPE, '-r', flows, '-o', 'table', '--groups']).out;
    expect(table).toMatch(/\n {2}branch {2}start \(UTC\) +duration {2}n {2}records {2}fields\n {2}A {7}2012-06-01 10:00:00\.000000 +3\.000s {2}1 {2}\{1\} +srcip=192\.168\.1\.10 {2}dstip=224\.0\.0\.251\n/);
  });

  it('several signatures (-q twice, or a folder) run in one pass; exit 1 when nothing matched', () => {
    const folder = join(dir, 'sigs');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'b-udp.nfql'), 'filter udp { proto = udp }');
    writeFileSync(join(folder, 'a-pairs.nfql'), readFileSync(PAIRS, 'utf8'));
    writeFileSync(join(folder, 'notes.txt'), 'not a signature');
    const r = query(['-q', folder, '-q', TALKERS, '-r', EXAMPLE, '-o', 'ndjson']);
    expect(r.code).toBe(0);
    const bySig = new Map<string, number>();
    for (const m of ndjson(r.out)) bySig.set(m.signature, (bySig.get(m.signature) ?? 0) + 1);
    expect([...bySig.keys()]).toEqual(['a-pairs', 'b-udp', 'talkers']);
    expect(bySig.get('a-pairs')).toBe(3);
    expect(r.err).toMatch(/flowsig: 22 flow records; a-pairs: 3 matches, b-udp: \d+ records, talkers: \d+ groups; /);
    const none = query(['-q', file('none.nfql', 'filter f { dstport = 9 }'), '-r', EXAMPLE]);
    expect(none.code).toBe(1);
    expect(none.out).toBe('');
  });

  it('reports a signature with errors before reading any record (exit 2)', () => {
    const bad = file('typo.nfql', 'filter f {\n  pkts > 3\n  dstprot = 80\n}\n');
    const r = query(['-q', bad, '-q', UDP, '-r', join(dir, 'does-not-exist.pcap')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}:3:3: error: unknown field \`dstprot\``);
    expect(r.err).toContain('    3 |   dstprot = 80\n      |   ^^^^^^^');
    expect(r.err).not.toContain('does-not-exist');
    expect(r.out).toBe('');
  });

  it('usage mistakes: one line, exit 2', () => {
    expect(query(['-r', EXAMPLE]).err).toBe('flowsig: no signature: give -q SIG.nfql (or -q DIR for every *.nfql in it)\n');
    expect(query(['-q', UDP]).code).toBe(2);
    expect(query(['-q', join(dir, 'nope.nfql'), '-r', EXAMPLE]).err).toContain('no such file or folder');
    expect(query(['-q', UDP, '-r', EXAMPLE, '-o', 'csv']).err).toBe('flowsig: -o csv: expected one of table, ndjson\n');
    expect(query(['-q', UDP, '-r', EXAMPLE, '--idle', 'soon']).err).toContain('--idle soon: expected a duration');
    const help = query(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('usage: flowsig query -q SIG.nfql');
  });

  it('meter options apply to captures: --biflow pairs the directions', () => {
    const biflow = file('biflow.nfql', 'filter f { proto = tcp  rev_packets > 100 }');
    expect(query(['-q', biflow, '-r', EXAMPLE]).code).toBe(1);
    const r = query(['-q', biflow, '-r', EXAMPLE, '--biflow', '-o', 'ndjson']);
    expect(r.code).toBe(0);
    expect(ndjson(r.out).every((m) => m.flows[0].rev_packets > 100)).toBe(true);
  });

  it('damaged input: the matches of what was read, then one line naming the place (exit 2)', () => {
    resetIds();
    const good = toNdjson(failedSkypeLogin());
    const broken = file('broken.ndjson', `${good}{"rec_id": 9, "stime": 1, "etime": "soon"}\n`);
    const r = query(['-q', UDP, '-r', broken, '-o', 'ndjson']);
    expect(r.code).toBe(2);
    expect(ndjson(r.out)).toHaveLength(1); // the mDNS flow, read before the damage
    expect(r.err).toContain(`flowsig: ${broken}:5:36: etime: expected a number, found "soon"`);
    const text = query(['-q', UDP, '-r', file('text.txt', '### not flows\n')]);
    expect(text.err).toContain('neither a capture (pcap, pcapng) nor a flow file');
  });
});

describe('flow files from `flowsig flows` give the same matches as the capture', () => {
  const captures = [EXAMPLE, ...(HAVE_CORPUS ? ['sip-rtp/ndpi-sip-t38-fax-call-rtp.pcap', 'apps/ndpi-skype-2015-session.pcap', 'nat64/ndpi-tumblr-ipv6-only-client-via-nat64-64ff9b.pcap'].map(corpusPath) : [])];
  for (const capture of captures) {
    it(capture.replace(ROOT, ''), () => {
      const sigs = ['-q', PAIRS, '-q', TALKERS, '-q', UDP, '-q', SKYPE];
      const fromCapture = query([...sigs, '-r', capture, '-o', 'ndjson', '--idle', '30s']);
      for (const format of ['ndjson', 'csv']) {
        const flows = flowsig(['flows', '-r', capture, '-o', format, '-q', '--idle', '30s']);
        expect(flows.code).toBe(0);
        const path = file(`flows.${format}`, flows.stdout);
        const fromFile = query([...sigs, '-r', path, '-o', 'ndjson']);
        expect(fromFile.code).toBe(fromCapture.code);
        expect(fromFile.out).toBe(fromCapture.out);
      }
      expect(ndjson(fromCapture.out).length).toBeGreaterThan(0);
    });
  }

  it('reads a flow file from standard input (-r -)', () => {
    const bin = `${ROOT}dist/src/cli/query.js`;
    if (!existsSync(bin)) return; // needs the build (npm test builds first)
    const flows = flowsig(['flows', '-r', EXAMPLE, '-o', 'ndjson', '-q']).stdout;
    const script = `import(${JSON.stringify(bin)}).then((m) => { process.exitCode = m.runQuery(['-q', ${JSON.stringify(PAIRS)}, '-r', '-', '-o', 'ndjson', '--quiet']); })`;
    const r = spawnSync(process.execPath, ['-e', script], { input: flows });
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(query(['-q', PAIRS, '-r', EXAMPLE, '-o', 'ndjson']).out);
  });
});

describe('reading flow files', () => {
  const read = (name: string, text: string) => {
    const out: FlowRecord[] = [];
    readFlowFile(file(name, text), (r) => out.push(r));
    return out;
  };
  const failure = (name: string, text: string) => {
    try {
      read(name, text);
    } catch (err) {
      if (err instanceof TextInputError) return err.describe().replace(/^.*\//, '');
      throw err;
    }
    throw new Error('expected an error');
  };

  it('types values by the registry; aliases name fields; missing rec_id and duration are filled in', () => {
    const [a] = read('aliases.ndjson', '{"First": 1000, "Last": 1500.25, "srcaddr": "2001:DB8::0:1", "dPkts": 3, "prot": 6, "endreason": "fin", "app": "sip", "sip_methods": ["INVITE"]}\n');
    expect(a).toEqual({ stime: 1000, etime: 1500.25, srcip: '2001:db8::1', packets: 3, proto: 6, endreason: 'fin', app: 'sip', sip_methods: ['INVITE'], rec_id: 1, duration: 500.25 });
    // sip_codes (a set) and nat64 (a bool) are tag fields the taggers register (src/tag/index.ts, loaded by `flowsig query`): typed by the registry
    const csv = read('typed.csv', 'rec_id,stime,etime,srcip,packets,tunnel,sip_codes,nat64\n7,1000,2000,10.0.0.1,5,,100;200,true\n8,3000,3000,"10.0.0.2",1,4in6,,false\n');
    expect(csv).toEqual([
      { rec_id: 7, stime: 1000, etime: 2000, duration: 1000, srcip: '10.0.0.1', packets: 5, sip_codes: [100, 200], nat64: true },
      { rec_id: 8, stime: 3000, etime: 3000, duration: 0, srcip: '10.0.0.2', packets: 1, tunnel: '4in6', nat64: false },
    ]);
  });

  it('types the set and boolean fields a tagger registers', () => {
    registerField({ name: 'test_codes', aliases: ['testCodes'], type: 'set', group: 'tag', description: 'test' });
    registerField({ name: 'test_flag', aliases: [], type: 'bool', group: 'tag', description: 'test' });
    expect(read('tags.csv', 'stime,etime,testCodes,test_flag\n1,2,100;INVITE,1\n')).toEqual([{ stime: 1, etime: 2, test_codes: [100, 'INVITE'], test_flag: true, rec_id: 1, duration: 1 }]);
    expect(read('tags.ndjson', '{"stime": 1, "etime": 2, "test_codes": [180, 200], "test_flag": false}\n')[0]).toMatchObject({ test_codes: [180, 200], test_flag: false });
    expect(failure('tags2.ndjson', '{"stime": 1, "etime": 2, "test_codes": "x"}\n')).toBe('tags2.ndjson:1:40: test_codes: expected a list, found "x"');
  });

  it('reads back exactly what `flowsig flows` wrote', () => {
    const nd = flowsig(['flows', '-r', EXAMPLE, '-o', 'ndjson', '-q', '--biflow']).stdout;
    const fromNd = read('ex.ndjson', nd);
    expect(fromNd.map((r) => JSON.stringify(r)).join('\n') + '\n').toBe(nd);
    const fromCsv = read('ex.csv', flowsig(['flows', '-r', EXAMPLE, '-o', 'csv', '-q', '--biflow']).stdout);
    expect(fromCsv).toEqual(fromNd);
  });

  it('parses CSV quoting, CRLF line ends, a byte-order mark and input cut anywhere', () => {
    const text = '\uFEFFstime,etime,srcip,note\r\n1,2,10.0.0.1,"a, ""quoted""\nvalue"\r\n3,4,10.0.0.2,plain\r\n';
    const whole = read('quoted.csv', text);
    expect(whole.map((r) => r.note)).toEqual(['a, "quoted"\nvalue', 'plain']);
    for (let cut = 1; cut < text.length; cut += 7) {
      const out: FlowRecord[] = [];
      const p = createFlowFileParser('cut.csv', 'csv', (r) => out.push(r));
      p.push(text.slice(1, cut));
      p.push(text.slice(cut));
      p.end();
      expect(out).toEqual(whole);
    }
  });

  it('reports mistakes as FILE:LINE:COLUMN: message', () => {
    expect(failure('a.ndjson', '{"stime": 1, "etime": 2}\n{"stime": 1, "etime": 2,}\n')).toBe('a.ndjson:2:25: not JSON: Expected double-quoted property name');
    expect(failure('b.ndjson', '\n{"stime": 1, "etime": 2, "srcip": "10.0.0.300"}\n')).toBe('b.ndjson:2:35: srcip: expected an IP address, found "10.0.0.300"');
    expect(failure('c.ndjson', '{"stime": 1, "etime": 2, "endreason": "bored"}\n')).toBe('c.ndjson:1:39: endreason: expected one of idle, active, fin, rst, cache, eof, found "bored"');
    expect(failure('d.ndjson', '{"stime": 1, "etime": 2}\n[1, 2]\n')).toBe('d.ndjson:2:1: expected a JSON object (one flow record per line)');
    expect(failure('e.ndjson', '{"etime": 2}\n')).toBe('e.ndjson:1:1: the record has no stime');
    expect(failure('f.csv', 'stime,etime,packets\n1,2,3\n1,2,3x\n')).toBe('f.csv:3:5: packets: expected a number, found "3x"');
    expect(failure('g.csv', 'stime,etime\n1,2,3\n')).toBe('g.csv:2:5: expected 2 cells as in the header, found 3');
    expect(failure('h.csv', 'stime,etime,First\n')).toBe('h.csv:1:13: column First appears twice');
    expect(failure('i.csv', 'stime,etime\n1,"2\n')).toBe('i.csv:2:1: a quoted cell is not closed before the end of the file');
  });
});
