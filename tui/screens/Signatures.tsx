import { Box, Text } from 'ink';
import { fit } from '../format.js';
import type { WatchSnapshot } from '../store.js';

export function Signatures({ snap, selected }: { snap: WatchSnapshot; selected: number }) {
  return (
    <Box flexDirection="column">
      <Text bold>Signatures ({snap.signatures.length})   window {Math.round(snap.stats.windowMs / 1000)} s</Text>
      <Text dimColor>{`  on  ${fit('name', 28)} ${'matches'.padStart(7)} ${'window'.padStart(7)} ${fit('needs', 10)} file`}</Text>
      {snap.signatures.map((s, i) => (
        <Box key={s.name} flexDirection="column">
          <Text inverse={i === selected} wrap="truncate">
            {`${i === selected ? '›' : ' '} ${s.enabled ? '[x]' : '[ ]'} ${fit(s.name, 28)} ${String(s.matches).padStart(7)} ${String(s.windowRecords).padStart(7)} ${fit(s.neededWindowMs === undefined ? 'unbounded' : s.neededWindowMs === 0 ? 'none' : `${Math.round(s.neededWindowMs / 1000)} s`, 10)} ${s.file}`}
          </Text>
          {s.error ? <Text color="red">{`      error: ${s.error}`}</Text> : null}
        </Box>
      ))}
      <Text dimColor>↑↓ select  space enable/disable   window: records held for the signature; needs: what its time constraints ask for</Text>
    </Box>
  );
}
