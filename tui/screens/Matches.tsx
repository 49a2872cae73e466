import { Box, Text } from 'ink';
import { clientServer, matchSummary } from '../../src/watch/summary.js';
import { fit, timeOfDay } from '../format.js';
import type { WatchSnapshot } from '../store.js';

/** Newest first: time, signature, client, server, what happened; the counts per signature on top. */
export function Matches({ snap, selected, rows }: { snap: WatchSnapshot; selected: number; rows: number }) {
  const counts = snap.signatures.map((s) => `${s.name} ${s.matches}`).join('   ');
  const start = Math.max(0, Math.min(selected - Math.floor(rows / 2), snap.matches.length - rows));
  const shown = snap.matches.slice(start, start + rows);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Matches</Text> ({snap.stats.matches})   {counts}
      </Text>
      {snap.matches.length === 0 ? (
        <Text dimColor>no match yet — signatures run over the last {Math.round(snap.stats.windowMs / 1000)} s of flow records</Text>
      ) : (
        <>
          <Text dimColor wrap="truncate">{`  ${fit('time (UTC)', 13)} ${fit('signature', 24)} ${fit('client', 28)} ${fit('server', 28)} summary`}</Text>
          {shown.map((m, i) => {
            const { client, server } = clientServer(m.match.flows);
            const on = start + i === selected;
            return (
              <Text key={`${m.signature} ${m.key}`} inverse={on} wrap="truncate">
                {`${on ? '›' : ' '} ${fit(timeOfDay(m.match.etime), 13)} ${fit(`${m.signature} #${m.match.match}`, 24)} ${fit(client, 28)} ${fit(server, 28)} ${matchSummary(m.match)}`}
              </Text>
            );
          })}
        </>
      )}
      <Text dimColor>↑↓ select  enter details</Text>
    </Box>
  );
}
