import { Box, Text } from 'ink';
import type { ActiveFlow } from '../../src/flow/meter.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { protoName, shortSpan, tagText } from '../../src/watch/summary.js';
import type { FlowFilter } from '../filter.js';
import { endpoint, fit, si } from '../format.js';
import type { WatchSnapshot } from '../store.js';

export const FLOW_SORTS = ['bytes', 'packets', 'duration', 'start', 'source'] as const;
export type FlowSort = (typeof FLOW_SORTS)[number];

type Row = ActiveFlow | FlowRecord;

function compare(sort: FlowSort): (a: Row, b: Row) => number {
  switch (sort) {
    case 'bytes':
      return (a, b) => b.bytes - a.bytes;
    case 'packets':
      return (a, b) => b.packets - a.packets;
    case 'duration':
      return (a, b) => (b.etime - b.stime) - (a.etime - a.stime);
    case 'start':
      return (a, b) => b.stime - a.stime;
    case 'source':
      return (a, b) => (a.srcip < b.srcip ? -1 : a.srcip > b.srcip ? 1 : a.srcport - b.srcport);
  }
}

function rowText(f: Row): string {
  const ends = 'endreason' in f ? f.endreason : (f as ActiveFlow).closing ? 'closing' : 'open';
  return `${fit(protoName(f.proto), 5)} ${fit(endpoint(f.srcip, f.srcport, f.proto), 42)} → ${fit(endpoint(f.dstip, f.dstport, f.proto), 42)} ${si(f.packets).padStart(6)} ${si(f.bytes, 'B').padStart(7)} ${shortSpan(f.etime - f.stime).padStart(8)} ${fit(ends, 7)} ${tagText(f as unknown as Record<string, unknown>)}`;
}

export function Flows(props: { snap: WatchSnapshot; sort: FlowSort; filterText: string; editing: boolean; filter: FlowFilter; rows: number }) {
  const { snap, sort, filterText, editing, filter, rows } = props;
  const test = filter.ok ? filter.test : () => true;
  const half = Math.max(3, Math.floor(rows / 2));
  const active = (snap.active as Row[]).filter((f) => test(f as unknown as Record<string, unknown>)).sort(compare(sort)).slice(0, half);
  const recent = (snap.recent as Row[]).filter((f) => test(f as unknown as Record<string, unknown>)).sort(compare(sort)).slice(0, half);
  const head = `${fit('proto', 5)} ${fit('source', 42)}   ${fit('destination', 42)} ${'pkts'.padStart(6)} ${'bytes'.padStart(7)} ${'duration'.padStart(8)} ${fit('state', 7)} tags`;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Flows</Text>   sort: {FLOW_SORTS.map((s, i) => (s === sort ? `[${i + 1} ${s}]` : `${i + 1} ${s}`)).join('  ')}
      </Text>
      <Text>
        filter /: {editing ? <Text inverse>{filterText || ' '}</Text> : <Text>{filterText || <Text dimColor>(none)</Text>}</Text>}
        {filter.ok ? (filterText ? <Text color="green">  ✓</Text> : null) : <Text color="red">  {filter.error}</Text>}
      </Text>
      <Text bold>Active ({snap.stats.activeFlows})</Text>
      <Text dimColor wrap="truncate">{head}</Text>
      {active.map((f, i) => (
        <Text key={`a${i}`} wrap="truncate">{rowText(f)}</Text>
      ))}
      <Text bold>Recently exported ({snap.stats.flowsExported})</Text>
      {recent.map((f, i) => (
        <Text key={`r${i}`} wrap="truncate">{rowText(f)}</Text>
      ))}
      <Text dimColor>1-5 sort  / filter (NFQL rules, e.g. proto = udp and dstport = 5060; enter keeps, esc clears)</Text>
    </Box>
  );
}
