import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCheck(args, { write: (t: string) => (out += t) }, { write: (t: string) => (err += t) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'flowsig-check-'));
const good = join(dir, 'good.nfql');
const bad = join(dir, 'bad.nfql');
writeFileSync(good, 'filter https { dPkts > 3  prot = protocol("TCP")  dstport = 443 }\n');
writeFileSync(bad, 'filter f {\n  pkts_sum > 3\n}\n');

describe('flowsig check', () => {
  it('prints a valid signature normalized and exits 0', () => {
    expect(run([good])).toEqual({ code: 0, out: 'filter https {\n  packets > 3\n  proto = 6\n  dstport = 443\n}\n\n"input" -> https -> "output"\n', err: '' });
  });

  it('prints every error with line, caret and hint to standard error and exits 2', () => {
    expect(run([bad])).toEqual({
      code: 2,
      out: '',
      err: `${bad}:2:3: error: unknown field \`pkts_sum\` in filter \`f\`\n    2 |   pkts_sum > 3\n      |   ^^^^^^^^\n`,
    });
  });

  it('checks every file, names each in the output, and fails when any fails', () => {
    const r = run([good, bad, good]);
    expect(r.code).toBe(2);
    expect(r.out.match(/^# .*$/gm)).toEqual([`# ${good}`, `# ${good}`]);
    expect(r.err).toContain('unknown field `pkts_sum`');
  });

  it('is quiet with -q, and says what is wrong with its arguments', () => {
    expect(run(['-q', good])).toEqual({ code: 0, out: '', err: '' });
    expect(run([])).toEqual({ code: 2, out: '', err: 'flowsig: check needs at least one signature file (see flowsig check --help)\n' });
    expect(run(['--quite', good])).toEqual({ code: 2, out: '', err: 'flowsig: unknown option --quite; did you mean --quiet?\n' });
    expect(run([join(dir, 'missing.nfql')])).toEqual({ code: 2, out: '', err: `flowsig: cannot read ${join(dir, 'missing.nfql')}: ENOENT\n` });
    expect(run(['--help']).out).toContain('usage: flowsig check SIG.nfql');
  });

  it('accepts the shipped learned signatures', () => {
    const r = run(['-q', new URL('../../learned/skype-nat64-login.nfql', import.meta.url).pathname]);
    expect(r).toEqual({ code: 0, out: '', err: '' });
  });
});
