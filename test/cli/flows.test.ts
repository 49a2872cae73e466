import { mkdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, HAVE_CORPUS } from '../corpus.js';
import { flowsig, parseCsv, ROOT } from './run.js';

const EXAMPLE = 'captures/example.pcapng';

describe('flowsig flows on the shipped example capture', () => {
  // Expected values from tshark on the same file (e.g. the HTTP download:
  // `tshark -Y 'frame.interface_id==0 && tcp.srcport==8080 && ip'`, 145 frames, sum(ip.len) 207752).
  it('writes one record per flow and ingress interface with -k 7tuple', () => {
    const r = flowsig(['flows', '-r', EXAMPLE, '-k', '7tuple', '-o', 'csv']);
    expect(r.code).toBe(0);
    const recs = parseCsv(r.stdout);
    expect(recs).toHaveLength(36);
    const download = recs.filter((x) => x.srcip === '100.64.0.10' && x.srcport === 8080 && x.dstport === 56006);
    expect(download.map((x) => [x.input, x.packets, x.bytes, x.endreason])).toEqual([[1, 145, 207752, 'fin'], [0, 145, 207752, 'fin']]);
    const stream = recs.filter((x) => x.dstport === 7000);
    expect(stream.map((x) => [x.input, x.packets, x.bytes, x.l2bytes])).toEqual([[0, 20, 3760, 4040], [1, 20, 3760, 4040]]);
    const refused = recs.filter((x) => x.dstport === 8081 || x.srcport === 8081);
    expect(new Set(refused.map((x) => x.endreason))).toEqual(new Set(['rst']));
    expect(r.stderr).toContain('942 packets read, 938 decoded, 4 not decodable (4 not IP)');
    expect(r.stderr).toContain('36 flows');
  });

  it('merges the two interfaces\' copies with the default 5-tuple key', () => {
    const recs = parseCsv(flowsig(['flows', '-r', EXAMPLE, '-o', 'csv', '-q']).stdout);
    const download = recs.filter((x) => x.srcip === '100.64.0.10' && x.srcport === 8080 && x.dstport === 56006);
    expect(download.map((x) => [x.packets, x.bytes])).toEqual([[290, 415504]]);
  });

  it('ndjson carries canonical names and omits absent values; table is aligned text', () => {
    const lines = flowsig(['flows', '-r', EXAMPLE, '-o', 'ndjson', '-q']).stdout.trim().split('\n');
    const first = JSON.parse(lines[0]);
    expect(Object.keys(first)).toEqual([
      'rec_id', 'stime', 'etime', 'duration', 'ipver', 'proto', 'srcip', 'srcport', 'dstip', 'dstport', 'tos', 'tcpflags',
      'packets', 'bytes', 'l2bytes', 'input', 'vlan', 'endreason',
    ]);
    const table = flowsig(['flows', '-r', EXAMPLE, '-o', 'table', '-q']).stdout.split('\n');
    expect(table[0]).toMatch(/^start \(UTC\)\s+duration\s+proto\s+source\s+destination\s+packets\s+bytes\s+flags\s+end/);
    expect(table.find((l) => l.includes('100.64.0.10:8080  ->  100.64.1.2:56006'))).toMatch(/290\s+416 k\s+\.\.\.AP\.SF\s+fin/);
  });

  it('--biflow pairs the directions into RFC 5103 records', () => {
    const recs = parseCsv(flowsig(['flows', '-r', EXAMPLE, '--biflow', '-k', '7tuple', '-o', 'csv', '-q']).stdout);
    const http = recs.filter((x) => x.srcip === '100.64.1.2' && x.dstport === 8080);
    expect(http.map((x) => [x.input, x.packets, x.rev_packets, x.rev_bytes, x.endreason])).toEqual([
      [0, 61, 145, 207752, 'fin'],
      [1, 61, 145, 207752, 'fin'],
    ]);
  });

  it('reads standard input with -r - and gives the same records as the file', () => {
    const fromFile = flowsig(['flows', '-r', EXAMPLE, '-o', 'csv', '-q']).stdout;
    const fromStdin = flowsig(['flows', '-r', '-', '-o', 'csv', '-q'], readFileSync(`${ROOT}${EXAMPLE}`));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile);
  });

  it('-w writes to a file', () => {
    mkdirSync(`${ROOT}test-out`, { recursive: true });
    const out = `${ROOT}test-out/example-flows.csv`;
    const r = flowsig(['flows', '-r', EXAMPLE, '-o', 'csv', '-w', out, '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8').split('\n')[0]).toMatch(/^rec_id,stime,etime,duration,ipver,proto,srcip/);
  });
});

describe('flowsig flows: bad input and usage', () => {
  it('a capture cut short: flows before the damage are written, then one line with file and offset, exit 2', () => {
    const cut = readFileSync(`${ROOT}${EXAMPLE}`).subarray(0, 5000);
    const r = flowsig(['flows', '-r', '-', '-o', 'csv'], cut);
    expect(r.code).toBe(2);
    expect(parseCsv(r.stdout)).toHaveLength(8);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe('flowsig: standard input: offset 3700: file ends in the middle of a pcapng block (needed 1548 bytes, 1300 left)');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it.skipIf(!HAVE_CORPUS)('corpus: a pcap that ends mid-record keeps its complete packet and reports offset 237', () => {
    const r = flowsig(['flows', '-r', corpusPath('malformed/ndpi-fuzz-cut-short-mid-packet.pcap'), '-o', 'csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1 packets read');
    expect(r.stderr).toMatch(/ndpi-fuzz-cut-short-mid-packet\.pcap: offset 237: file ends in the middle of a pcap record header \(needed 16 bytes, 2 left\)\n$/);
  });

  it.each([
    [['flows', '-r', 'README.md'], 'flowsig: README.md: offset 0: not a pcap or pcapng file (magic 0x2320666c: looks like text)'],
    [['flows', '-r', 'no-such-file.pcap'], 'flowsig: no-such-file.pcap: cannot open: no such file'],
    [['flows', '--idel', '3s', '-r', EXAMPLE], 'flowsig: unknown option --idel; did you mean --idle?'],
    [['flows', '-r', EXAMPLE, '--idle', 'soon'], 'flowsig: --idle soon: expected a duration such as 500ms, 15s, 30m or 1h30m'],
    [['flows', '-r', EXAMPLE, '-k', '6tuple'], 'flowsig: --key 6tuple: expected 5tuple or 7tuple, optionally followed by +vlan and +tunnel'],
    [['flows', '-r', EXAMPLE, '-o', 'xml'], 'flowsig: -o xml: expected one of table, csv, ndjson, ipfix, netflow9, netflow5'],
    [['flows'], 'flowsig: no input: give -r FILE (or -r - for standard input)'],
    [['flow'], 'flowsig: unknown command "flow"; did you mean flows? (see flowsig help)'],
  ])('%j → exit 2 with one line', (args, line) => {
    const r = flowsig(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${line}\n`);
  });

  it('--help and version', () => {
    expect(flowsig(['flows', '--help']).stdout).toContain('usage: flowsig flows -r FILE');
    expect(flowsig(['--version']).stdout).toMatch(/^flowsig \d+\.\d+\.\d+\n$/);
  });
});
