/**
 * `flowsig check SIG.nfql [SIG2.nfql …]`: parse and check NFQL signatures
 * and print each one normalized (aliases resolved, protocol names as
 * numbers, implicit wiring written out). Every error of every file goes to
 * standard error with its line, caret and hint. Exit 0 when all are valid,
 * 2 when any is not (or cannot be read).
 */
import { readFileSync } from 'node:fs';
import { compileQuery, NfqlError, printQuery } from '../nfql/index.js';
// registers the tag fields (app, sip_methods, xlat, …): signatures use them like any other field
import '../tag/index.js';
import { type OptionSpec, parseArgs, UsageError } from './args.js';

export interface TextSink {
  write(text: string): unknown;
}

export const CHECK_OPTIONS: readonly OptionSpec[] = [
  { long: 'quiet', short: 'q', help: 'print nothing when a signature is valid (errors still go to standard error)' },
  { long: 'help', short: 'h', help: 'show this help' },
];

export const CHECK_USAGE = `usage: flowsig check SIG.nfql [SIG2.nfql …]

Check NFQL signatures: syntax, stages, fields and their aliases, types and
units, and the wiring. Prints each valid signature normalized (canonical
field names, protocol numbers, explicit wiring); errors go to standard error
with the line, a caret and a hint. '-' reads standard input.

options:
${CHECK_OPTIONS.map((s) => `  ${s.short ? `-${s.short}, ` : '    '}--${s.long}\n        ${s.help}`).join('\n')}

exit status: 0 all valid, 2 an error in a signature (or a file that cannot be read)

examples:
  flowsig check learned/skype-nat64-login.nfql
  flowsig check -q learned/*.nfql
`;

export function runCheck(argv: string[], stdout: TextSink, stderr: TextSink): number {
  let args;
  try {
    args = parseArgs(argv, CHECK_OPTIONS);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`flowsig: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.flags.has('help')) {
    stdout.write(CHECK_USAGE);
    return 0;
  }
  const files = args.positionals;
  if (files.length === 0) {
    stderr.write('flowsig: check needs at least one signature file (see flowsig check --help)\n');
    return 2;
  }
  const quiet = args.flags.has('quiet');
  let status = 0;
  let printed = 0;
  for (const file of files) {
    const source = file === '-' ? '<stdin>' : file;
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      stderr.write(`flowsig: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      status = 2;
      continue;
    }
    try {
      const checked = compileQuery(text, source);
      if (quiet) continue;
      // Several files: a comment line names each, and the output is still NFQL.
      const head = files.length > 1 ? `${printed > 0 ? '\n' : ''}# ${source}\n` : '';
      stdout.write(head + printQuery(checked.normalized));
      printed++;
    } catch (err) {
      if (!(err instanceof NfqlError)) throw err;
      stderr.write(`${err.formatAll(text)}\n`);
      status = 2;
    }
  }
  return status;
}
