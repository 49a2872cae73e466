import { Box, Text } from 'ink';
import type { FlowRecord } from '../../src/flow/record.js';
import type { WatchMatch } from '../../src/watch/continuous.js';
import { clientServer, protoName, shortSpan, tagText } from '../../src/watch/summary.js';
import { fit, si, timeOfDay } from '../format.js';

const LANE = 22;

/** One ladder row: a lane per host, an arrow from the flow's source lane to its destination lane. */
export function ladderRow(hosts: readonly string[], src: string, dst: string): string {
  const width = hosts.length * LANE;
  const row: string[] = Array.from({ length: width }, (_, i) => (i % LANE === Math.floor(LANE / 2) ? '│' : ' '));
  const a = hosts.indexOf(src) * LANE + Math.floor(LANE / 2);
  const b = hosts.indexOf(dst) * LANE + Math.floor(LANE / 2);
  if (a < 0 || b < 0 || a === b) return row.join('');
  const [lo, hi] = a < b ? [a, b] : [b, a];
  for (let i = lo; i <= hi; i++) row[i] = '─';
  row[a] = '●';
  row[b] = a < b ? '▶' : '◀';
  return row.join('');
}

/** Host names centred over their lanes (a long IPv6 address may spill into the next lane's margin). */
export function ladderHeader(hosts: readonly string[]): string {
  let line = '';
  hosts.forEach((h, i) => {
    const centre = i * LANE + Math.floor(LANE / 2);
    const start = Math.max(line.length + (i > 0 ? 1 : 0), centre - Math.floor(h.length / 2));
    line = line.padEnd(start) + h;
  });
  return line;
}

function flowText(f: FlowRecord): string {
  return `${protoName(f.proto)} ${f.srcport}→${f.dstport}  ${si(f.packets)} pkts ${si(f.bytes, 'B')}  ${shortSpan(f.duration)}  ${f.endreason}`;
}

/** The member flows in time order as a ladder: who → whom, when, how much, tags, and the NFQL branch each matched. */
export function MatchDetail({ m, first = 0, rows = 1000 }: { m: WatchMatch; first?: number; rows?: number }) {
  const flows = m.match.flows;
  // two lines per flow: show what fits, from `first` (↑ ↓ scroll)
  const fits = Math.max(1, Math.floor(rows / 2));
  const start = Math.max(0, Math.min(first, flows.length - fits));
  const shown = flows.slice(start, start + fits);
  const { client, server } = clientServer(flows);
  const hosts = m.match.hosts;
  const t0 = m.match.stime;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{m.signature} #{m.match.match}</Text>   client <Text color="yellow">{client}</Text> → server <Text color="yellow">{server}</Text>
      </Text>
      <Text dimColor>
        {timeOfDay(m.match.stime)} → {timeOfDay(m.match.etime)} UTC ({shortSpan(m.match.etime - m.match.stime)}), {flows.length} flows, records {flows.map((f) => f.rec_id).join(', ')}
      </Text>
      <Text> </Text>
      <Text wrap="truncate">{`${' '.repeat(17)}${ladderHeader(hosts)}`}</Text>
      {start > 0 ? <Text dimColor>{`  ↑ ${start} earlier flow${start === 1 ? '' : 's'}`}</Text> : null}
      {shown.map((f) => {
        const tags = tagText(f);
        return (
          <Box key={f.rec_id} flexDirection="column">
            <Text wrap="truncate">
              {`+${fit(shortSpan(f.stime - t0), 9)} `}
              <Text color="cyan">{fit(`[${(m.branches.get(f.rec_id) ?? []).join(',')}]`, 6)}</Text>
              {`${ladderRow(hosts, f.srcip, f.dstip)} ${flowText(f)}`}
            </Text>
            {tags ? (
              <Text wrap="truncate">
                {`${' '.repeat(17)}${ladderRow(hosts, '', '')} `}
                <Text color="magenta">{tags}</Text>
              </Text>
            ) : null}
          </Box>
        );
      })}
      {start + fits < flows.length ? <Text dimColor>{`  ↓ ${flows.length - start - fits} later flow${flows.length - start - fits === 1 ? '' : 's'}`}</Text> : <Text> </Text>}
      <Text dimColor>[branch] the NFQL branch each flow matched   ↑↓ scroll   esc back</Text>
    </Box>
  );
}
