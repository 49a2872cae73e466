/**
 * Loading the signatures `flowsig watch -s` and `flowsig query -q` run: files
 * and folders of *.nfql (a folder: every *.nfql in it, by name).
 * Every signature is checked before anything is captured.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../cli/args.js';
import type { CheckedQuery } from '../nfql/checked.js';
import { compileQuery, NfqlError } from '../nfql/index.js';
// registers the tag fields, so signatures may use them
import '../tag/index.js';

export interface LoadedSignature {
  file: string;
  text: string;
}

/** A signature file, or every *.nfql of a folder (sorted by name). Throws UsageError naming the option. */
export function signatureFiles(arg: string, option = '-s'): LoadedSignature[] {
  let isDir = false;
  try {
    isDir = statSync(arg).isDirectory();
  } catch (err) {
    throw new UsageError(`${option} ${arg}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`);
  }
  const files = isDir ? readdirSync(arg).filter((f) => f.endsWith('.nfql')).sort().map((f) => join(arg, f)) : [arg];
  if (isDir && files.length === 0) throw new UsageError(`${option} ${arg}: the folder holds no *.nfql signature`);
  return files.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new UsageError(`${option} ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
}

/** Compiles every signature; returns the checked ones, or the formatted errors of those that do not check. */
export function compileSignatures(sigs: readonly LoadedSignature[]): { queries: { query: CheckedQuery; file: string }[]; errors: string[] } {
  const queries: { query: CheckedQuery; file: string }[] = [];
  const errors: string[] = [];
  for (const sig of sigs) {
    try {
      queries.push({ query: compileQuery(sig.text, sig.file), file: sig.file });
    } catch (err) {
      if (!(err instanceof NfqlError)) throw err;
      errors.push(err.formatAll(sig.text));
    }
  }
  return { queries, errors };
}
