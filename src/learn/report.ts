/**
 * What `flowsig learn` prints, and the comment header of a written signature.
 */
import { basename } from 'node:path';
import type { FlowRecord } from '../flow/record.js';
import { anchorFlows, type LearnedCandidate, type LearnResult } from './learn.js';
import type { Run } from './runs.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : /(ch|sh|s|x)$/.test(word) ? 'es' : 's'}`;
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function flowText(r: FlowRecord): string {
  const proto = r.proto === 6 ? 'TCP' : r.proto === 17 ? 'UDP' : r.proto === 58 ? 'ICMPv6' : `proto ${r.proto}`;
  return `rec ${r.rec_id} ${proto} ${endpoint(r.srcip, r.srcport)} -> ${endpoint(r.dstip, r.dstport)}, ${(r.duration / 1000).toFixed(1)} s, ${r.packets} pkts`;
}

/**
 * How far a pattern seen in every bad run and no good run can be trusted.
 * The risk ratio uses add-½ smoothing, so 1 bad and 1 good run give 3, and
 * 3 of each give 7; a coincidence that holds in all n bad runs and in none of
 * m good ones is the less likely the more runs there are.
 */
export function confidence(c: LearnedCandidate, runs: readonly Run[]): string {
  const bad = runs.filter((r) => r.label === 'bad').length;
  const good = runs.filter((r) => r.label === 'good').length;
  const v = c.validation;
  const rr = ((v.badRunsMatched + 0.5) / (bad + 1)) / ((v.goodRunsMatched + 0.5) / (good + 1));
  const note = bad === 1 || good === 1
    ? 'one run on a side is one example, not evidence: confirm on more runs'
    : `holds in all ${bad} bad runs and none of the ${good} good ones`;
  return `in ${v.badRunsMatched} of ${bad} bad runs and ${v.goodRunsMatched} of ${good} good runs; risk ratio ${rr.toFixed(1)} (add-½ smoothed); ${note}`;
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

function matchedLines(c: LearnedCandidate, runs: readonly Run[], label: 'bad' | 'good'): string[] {
  const out: string[] = [];
  runs.forEach((run, i) => {
    if (run.label !== label) return;
    const matches = c.validation.perRun[i];
    if (matches.length === 0) {
      out.push(`${run.file}: no match`);
      return;
    }
    const flows = matches.flatMap((m) => anchorFlows(m, c.candidate));
    out.push(`${run.file}: ${plural(matches.length, 'match')}`);
    for (const f of flows.slice(0, 6)) out.push(`  ${flowText(f)}`);
    if (flows.length > 6) out.push(`  … ${flows.length - 6} more`);
  });
  return out;
}

export function noTraceText(result: LearnResult): string {
  const bad = result.runs.filter((r) => r.label === 'bad');
  const lines = [
    'no trace on the wire: nothing present in the bad runs distinguishes them from the good runs.',
    ...wrap(`Every flow of the bad runs (${bad.map((r) => `${basename(r.file)}: ${plural(r.traffic.length, 'flow')} besides neighbour discovery and MLD`).join('; ')}) also occurs in a good run, so the only difference is that the good runs' own successful traffic is missing. A signature made of that absence would fire on every host that simply does not use the application.`, 78, ''),
  ];
  if (result.missing.length > 0) {
    lines.push('missing from every bad run (present in every good run):');
    for (const b of result.missing) lines.push(`  behaviour #${b.id}: ${b.words}`);
  }
  lines.push('No signature written. Look on the host instead (the application\'s own error, e.g. "Network is unreachable" for an IPv4 literal without a CLAT).');
  return `${lines.join('\n')}\n`;
}

export function reportText(result: LearnResult, opts: { all: boolean }): string {
  const out: string[] = [];
  const good = result.runs.filter((r) => r.label === 'good');
  const bad = result.runs.filter((r) => r.label === 'bad');
  out.push(`flowsig learn: ${plural(good.length, 'good run')}, ${plural(bad.length, 'bad run')}`);
  for (const r of result.runs) out.push(`  ${r.label.padEnd(4)} ${r.file}: ${plural(r.records.length, 'flow')}, ${r.traffic.length} besides neighbour discovery and MLD`);
  out.push('');
  out.push(`behaviours (k-means over the flows of all runs, ${plural(result.behaviours.list.length, 'cluster')}):`);
  for (const b of result.behaviours.list) {
    const g = good.filter((run) => b.perRun[result.runs.indexOf(run)] > 0).length;
    const x = bad.filter((run) => b.perRun[result.runs.indexOf(run)] > 0).length;
    const tag = result.missing.includes(b) ? '   <- missing from the bad runs' : result.onlyBad.includes(b) ? '   <- only in the bad runs' : '';
    out.push(`  #${b.id} ${b.words}: in ${g}/${good.length} good, ${x}/${bad.length} bad runs${tag}`);
  }
  out.push('');
  if (result.verdict === 'no-trace') {
    out.push(noTraceText(result));
    return out.join('\n');
  }
  const shown = opts.all ? result.candidates : result.candidates.filter((c) => c.validation.ok).slice(0, 3);
  if (result.verdict === 'no-separation' && result.candidates.length === 0) {
    out.push(...wrap(`nothing is common to every bad run: ${(result.distinctRuns ?? []).join(', ')} ${result.distinctRuns?.length === 1 ? 'has' : 'have'} flows no good run has, but no pattern of them is present in all the bad runs. The failures may differ; learn from the runs of one failure at a time. No signature written.`, 78, ''));
    return `${out.join('\n')}\n`;
  }
  if (result.verdict === 'no-separation') {
    out.push('no candidate matches every bad run and no good run; the closest ones follow (none is offered as a signature).');
    out.push('');
  }
  shown.forEach((c, i) => {
    const status = c.validation.ok ? (i === 0 ? 'best' : 'valid') : c.validation.goodRunsMatched > 0 ? 'REJECTED: matches a good run' : 'REJECTED: misses a bad run';
    out.push(`candidate ${i + 1} (${status}, ${c.kind}, ${plural(c.ruleCount, 'rule')})`);
    out.push(...wrap(`says: ${c.sentence}.`, 78, '  '));
    for (const id of c.behaviours) {
      const b = result.behaviours.list[id - 1];
      const inGood = good.filter((run) => b.perRun[result.runs.indexOf(run)] > 0).length;
      const where = inGood === 0 ? 'only in the bad runs' : `also in ${inGood} of ${good.length} good runs: the difference is in the items above, not the flow's shape`;
      out.push(...wrap(`from behaviour #${id} (${b.words}; ${where})`, 78, '  '));
    }
    out.push(`  confidence: ${confidence(c, result.runs)}`);
    out.push('  bad runs:');
    out.push(...matchedLines(c, result.runs, 'bad').map((l) => `    ${l}`));
    out.push('  good runs:');
    out.push(...matchedLines(c, result.runs, 'good').map((l) => `    ${l}`));
    out.push('  NFQL:');
    out.push(...c.text.trimEnd().split('\n').map((l) => (l === '' ? '' : `    ${l}`)));
    out.push('');
  });
  const hidden = result.candidates.length - shown.length;
  if (hidden > 0) out.push(`(${plural(hidden, 'more candidate')}: --all shows every one, the rejected ones too)`);
  return `${out.join('\n').trimEnd()}\n`;
}

/** The comment header of a written signature: what it says, where and when it was learned, how it scored. */
export function headerText(c: LearnedCandidate, result: LearnResult, name: string, when: Date, version: string): string {
  const lines: string[] = [];
  const para = (text: string) => lines.push(...wrap(text, 78, '# '));
  lines.push(`# ${name}: learned by \`${version} learn\`, ${when.toISOString().replace(/\.\d+Z$/, 'Z')}`);
  lines.push('#');
  para(`What it says: ${c.sentence}.`);
  lines.push('#');
  lines.push('# How to read it:');
  for (const stage of stageNotes(c)) lines.push(...wrap(stage, 78, '#   ').map((l, i) => (i === 0 ? l : `#     ${l.slice(4)}`)));
  lines.push('#');
  lines.push('# Learned from:');
  result.runs.forEach((run, i) => {
    const flows = result.runs[i].label === 'bad' ? c.validation.perRun[i].flatMap((m) => anchorFlows(m, c.candidate)) : [];
    const n = c.validation.perRun[i].length;
    lines.push(`#   ${run.label} ${run.file}: ${n === 0 ? 'no match' : `${plural(n, 'match')} (rec ${flows.map((f) => f.rec_id).join(', ')})`}`);
  });
  lines.push('#');
  para(`Score: ${confidence(c, result.runs)}.`);
  if (c.behaviours.length > 0) {
    const words = c.behaviours.map((id) => `#${id} (${result.behaviours.list[id - 1].words})`).join(', ');
    para(`Behaviour of the failing flows: ${words}.`);
  }
  para('Method: docs/learn.md. The hosts are named by role (the failing flow\'s source is the client); addresses appear only where they are the point (a NAT64 prefix, a multicast group).');
  lines.push('');
  return `${lines.join('\n')}\n`;
}

/** One sentence per stage of the generated NFQL (docs/learn.md §5 shapes). */
function stageNotes(c: LearnedCandidate): string[] {
  const k = c.candidate;
  const words = (items: readonly { words: string }[]) => items.map((i) => i.words).join(', ');
  if (k.repeat) {
    const r = k.repeat;
    const branches = ['A', 'B', 'C', 'D'].slice(0, r.count).join(', ');
    return [
      `f-attempt (branches ${branches}): one attempt: ${words(k.anchor)}.`,
      `merger M: the attempts come from one host to one server and port (srcip, dstip, dstport equal), each from the next source port (rdelta 1)${r.decreasing ? ', with fewer packets than the one before' : ''}, ${r.sequential ? 'each starting after the previous one ended (Allen <)' : 'each starting later'}.`,
    ];
  }
  const notes = [`f-fail (branch A): the failing flow: ${words(k.anchor)}.`];
  if (k.answer) notes.push(`f-answer (branch B): its reply (module failing: addresses and ports swapped): ${words(k.answer)}.`);
  if (k.absence) notes.push(`f-missing (branch R) in reject module followed: the match is dropped when the same host (R.srcip = A.srcip) sends ${k.absence.item.key.startsWith('app=') ? `an ${k.absence.item.words} flow` : `a flow ${k.absence.item.words}`} starting within ${Math.round(k.absence.windowMs / 1000)} s after A starts: failures show as missing traffic.`);
  if (k.noReply) notes.push('branch R (every record) in reject module answered: the match is dropped when any flow comes back with the addresses and ports swapped.');
  if (!k.answer && !k.absence && !k.noReply) notes[0] = `f-fail: the failing flow: ${words(k.anchor)}.`;
  return notes;
}
