/**
 * A small command-line parser: long and short options, `--opt=value`,
 * repeatable options, and positional arguments (a trailing BPF filter).
 * Usage mistakes throw UsageError, which the CLI prints in one line (exit 2).
 */
import { nearest } from '../nfql/suggest.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  long: string;
  short?: string;
  /** takes a value (otherwise a boolean switch) */
  value?: string;
  repeatable?: boolean;
  help: string;
}

export interface ParsedArgs {
  options: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out: ParsedArgs = { options: new Map(), flags: new Set(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}${suggest(name, [...byLong.keys()], '--')}`);
    } else if (arg.startsWith('-') && arg.length > 1 && arg !== '-') {
      spec = byShort.get(arg.slice(1, 2));
      if (!spec) throw new UsageError(`unknown option ${arg}`);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      out.positionals.push(arg);
      continue;
    }
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`option --${spec.long} takes no value`);
      out.flags.add(spec.long);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${spec.long} needs a value (${spec.value})`);
    const list = out.options.get(spec.long) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new UsageError(`option --${spec.long} given twice`);
    list.push(value);
    out.options.set(spec.long, list);
  }
  return out;
}

export function optionHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = `${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.value ? ` ${s.value}` : ''}`;
    return [names, s.help];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n');
}

/** "; did you mean --idle?" for a near-miss, else "". */
export function suggest(name: string, candidates: readonly string[], prefix = ''): string {
  const best = nearest(name, candidates);
  return best !== undefined && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean ${prefix}${best.name}?` : '';
}
