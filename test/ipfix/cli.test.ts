import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowsig, parseCsv } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'flowsig-ipfix-cli-'));
const SKYPE = 'captures/skype-bad-1.pcapng';

/** A flowsig CSV row as it comes back from IPFIX: times to the millisecond, duration from them. */
function msRows(csv: string): Record<string, string | number>[] {
  return parseCsv(csv).map((r) => {
    const stime = Math.floor(Number(r.stime));
    const etime = Math.floor(Number(r.etime));
    return { ...r, stime, etime, duration: etime - stime };
  });
}

describe('flowsig flows -o ipfix -w / collect -r / query -r on IPFIX files', () => {
  const file = join(dir, 'skype.ipfix');
  it('collect -r gives back every record of flows -o csv (tags and biflow included), times to the ms', () => {
    const made = flowsig(['flows', '-r', SKYPE, '--biflow', '-o', 'ipfix', '-w', file]);
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/flowsig: 48 records in 1 IPFIX messages to .*skype\.ipfix/);
    const direct = flowsig(['flows', '-r', SKYPE, '--biflow', '-o', 'csv']);
    const back = flowsig(['collect', '-r', file, '--biflow', '-o', 'csv']);
    expect(back.code).toBe(0);
    expect(back.stderr).toContain(`exporter ${file} IPFIX domain 0: 1 messages, 48 records`);
    expect(back.stdout.split('\n')[0]).toBe(direct.stdout.split('\n')[0]);
    expect(parseCsv(back.stdout)).toEqual(msRows(direct.stdout));
  });

  it('collect -o ipfix -w re-exports what it collected, record for record', () => {
    const again = join(dir, 'again.ipfix');
    const r = flowsig(['collect', '-r', file, '--biflow', '-o', 'ipfix', '-w', again, '--domain', '9']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`flowsig: 48 records in 1 IPFIX messages to ${again}`);
    expect(readFileSync(again).readUInt32BE(12)).toBe(9);
    const first = flowsig(['collect', '-r', file, '--biflow', '-o', 'csv']);
    const second = flowsig(['collect', '-r', again, '--biflow', '-o', 'csv']);
    expect(second.stdout).toBe(first.stdout);
  });

  it('query -r FILE.ipfix finds what it finds in the capture', () => {
    const plain = join(dir, 'plain.ipfix');
    expect(flowsig(['flows', '-r', SKYPE, '-o', 'ipfix', '-w', plain]).code).toBe(0);
    const fromCapture = flowsig(['query', '-q', 'learned/', '-r', SKYPE, '-o', 'ndjson']);
    const fromIpfix = flowsig(['query', '-q', 'learned/', '-r', plain, '-o', 'ndjson']);
    expect(fromIpfix.code).toBe(0);
    const summary = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as { signature: string; match: number; hosts: string[]; flows: { rec_id: number }[] })
      .map((m) => ({ signature: m.signature, match: m.match, hosts: m.hosts, flows: m.flows.map((f) => f.rec_id) }));
    expect(summary(fromIpfix.stdout)).toEqual(summary(fromCapture.stdout));
    // the one failing login, found by the hand-written signature and by the learned one
    expect(summary(fromIpfix.stdout).map((m) => m.signature).sort()).toEqual(['skype-login-learned', 'skype-nat64-login']);
  });

  it('a damaged IPFIX file: the records before the damage, then one line with the offset, exit 2', () => {
    const small = join(dir, 'small.ipfix');
    // --mtu limits file messages too: several messages, so the damage sits in the middle
    const made = flowsig(['flows', '-r', SKYPE, '-o', 'ipfix', '-w', small, '--mtu', '600', '--no-tags']);
    expect(made.code).toBe(0);
    const bytes = readFileSync(small);
    const lengths: number[] = [];
    for (let o = 0; o < bytes.length; o += bytes.readUInt16BE(o + 2)) lengths.push(bytes.readUInt16BE(o + 2));
    expect(lengths.length).toBeGreaterThan(3);
    const thirdAt = lengths[0] + lengths[1];
    const firstSet = thirdAt + 16;
    const damaged = Buffer.from(bytes);
    damaged.writeUInt16BE(9999, firstSet + 2); // the third message's first set claims more than the message holds
    const bad = join(dir, 'damaged.ipfix');
    writeFileSync(bad, damaged);
    const all = flowsig(['collect', '-r', small, '-o', 'csv', '--no-tags']);
    const r = flowsig(['collect', '-r', bad, '-o', 'csv', '--no-tags']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toBe(`flowsig: ${bad}: offset ${firstSet}: set length runs past the message end or is below 4: set ${bytes.readUInt16BE(firstSet)} of 9999 bytes at offset 16, the message ends at ${lengths[2]}`);
    const before = parseCsv(all.stdout).slice(0, parseCsv(r.stdout).length);
    expect(parseCsv(r.stdout)).toEqual(before);
    expect(parseCsv(r.stdout).length).toBeGreaterThan(3);
    // cut in the middle of a message
    writeFileSync(bad, bytes.subarray(0, thirdAt + 20));
    const cut = flowsig(['collect', '-r', bad, '-o', 'csv', '--no-tags']);
    expect(cut.code).toBe(2);
    expect(cut.stderr.trim().split('\n').pop()).toBe(`flowsig: ${bad}: offset ${thirdAt}: truncated IPFIX message: 20 of ${lengths[2]} bytes`);
  });

  it('usage mistakes are one line, exit 2', () => {
    const cases: [string[], string][] = [
      [['flows', '-r', SKYPE, '-o', 'netflow9'], 'flowsig: -o netflow9 is sent over UDP: give --to HOST:PORT'],
      [['flows', '-r', SKYPE, '-o', 'ipfix'], 'flowsig: -o ipfix: give --to HOST:PORT (UDP) or -w FILE (an IPFIX file)'],
      [['flows', '-r', SKYPE, '-o', 'csv', '--to', '192.0.2.1:4739'], 'flowsig: --to applies to -o ipfix, netflow9 or netflow5'],
      [['flows', '-r', SKYPE, '-o', 'ipfix', '--to', 'nowhere'], 'flowsig: --to nowhere: expected ADDRESS:PORT ([IPv6]:PORT for IPv6), e.g. 192.0.2.1:4739'],
      [['flows', '-r', SKYPE, '-o', 'netflow5', '--to', '192.0.2.1:2055', '--mtu', '50'], 'flowsig: --mtu 50: expected a whole number from 88 to 65535'],
      [['collect'], 'flowsig: no input: give --listen [ADDR]:PORT or -r FILE.ipfix'],
      [['collect', '--listen', 'x'], 'flowsig: --listen x: expected [ADDR]:PORT, e.g. :4739, 0.0.0.0:2055 or [::1]:4739'],
      [['collect', '-r', 'a.ipfix', '--count', '3'], 'flowsig: --count and --duration apply to --listen'],
      [['collect', '-r', 'a.ipfix', '-o', 'netflow9'], 'flowsig: -o netflow9: collect re-exports IPFIX only'],
      [['collect', '-r', 'captures/example.pcapng', '-o', 'csv'], 'flowsig: captures/example.pcapng: offset 0: expected an IPFIX message (version 10), found version 2573'],
    ];
    for (const [args, line] of cases) {
      const r = flowsig(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').pop()).toBe(line);
    }
  });
});
