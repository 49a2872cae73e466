import { Box, Text } from 'ink';
import { clock, si } from '../format.js';
import type { WatchSnapshot } from '../store.js';

const triple = (v: readonly number[], unit: string) => v.map((x) => si(x, unit)).join(' / ');

/** Rates (2 s / 10 s / 40 s), flows, drops, signatures, uptime: always on top. */
export function Header({ snap, screen }: { snap: WatchSnapshot; screen: string }) {
  const s = snap.stats;
  const state = s.state === 'ended' ? ' — end of file, q to quit' : s.state === 'stopped' ? ' — stopped' : s.state === 'starting' ? ' — starting capture…' : '';
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text>
        <Text bold color="cyan">flowsig watch</Text>  {s.source}{state}
      </Text>
      {s.failure ? <Text color="red">{s.failure}</Text> : null}
      <Text>
        pkts/s {triple(s.pps, '')}   bits/s {triple(s.bps, 'b')}   <Text dimColor>(2s/10s/40s)</Text>
      </Text>
      <Text>
        active flows {s.activeFlows}   exported {s.flowsExported}   drops {s.drops === undefined ? 'n/a' : s.drops}   signatures {s.signatures}   matches <Text bold color={s.matches > 0 ? 'red' : undefined}>{s.matches}</Text>   uptime {clock(s.uptimeMs)}
      </Text>
      <Text dimColor>[{screen}]  m matches  f flows  s signatures  ? help  q quit</Text>
    </Box>
  );
}
