/**
 * The shared corpus lives beside the project at ../shared/corpus. Tests read it
 * from there (never copied into the project) and skip with a clear message when
 * it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const CORPUS_DIR = resolve(here, '..', '..', 'shared', 'corpus');
export const HAVE_CORPUS = existsSync(join(CORPUS_DIR, 'MANIFEST.tsv'));
export const NO_CORPUS_MESSAGE = `corpus not found at ${CORPUS_DIR}: corpus tests skipped`;

if (!HAVE_CORPUS) process.stderr.write(`${NO_CORPUS_MESSAGE}\n`);

export function corpusPath(rel: string): string {
  return join(CORPUS_DIR, rel);
}

export interface ManifestRow {
  path: string;
  linkType: string;
  /** undefined when Wireshark cannot read the file */
  packets: number | undefined;
  firstTs: string;
  lastTs: string;
  size: number;
  description: string;
  expectations: string;
}

export function manifest(): ManifestRow[] {
  if (!HAVE_CORPUS) return [];
  const lines = readFileSync(join(CORPUS_DIR, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = lines[0].split('\t');
  const col = (name: string) => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const c = line.split('\t');
    const packets = c[col('packets')];
    return {
      path: c[col('path')],
      linkType: c[col('link_type')],
      packets: packets === 'unreadable' ? undefined : Number(packets),
      firstTs: c[col('first_ts')],
      lastTs: c[col('last_ts')],
      size: Number(c[col('size')]),
      description: c[col('description')],
      expectations: c[col('expectations')] ?? '',
    };
  });
}
