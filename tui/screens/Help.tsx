import { Box, Text } from 'ink';

export const HELP_LINES: readonly [string, string][] = [
  ['m', 'matches: newest first, counts per signature'],
  ['f', 'flows: top open flows and recently exported ones'],
  ['s', 'signatures: enable/disable, match counts, errors'],
  ['tab / shift-tab', 'next / previous screen'],
  ['↑ ↓  k j', 'move the selection (match detail: scroll its flows)'],
  ['enter', 'matches: the selected match as a ladder of its flows'],
  ['1 2 3 4 5', 'flows: sort by bytes, packets, duration, start, source'],
  ['/', 'flows: filter with NFQL rules (checked as you type; enter keeps, esc clears)'],
  ['space', 'signatures: enable or disable the selected one'],
  ['?', 'this help'],
  ['esc', 'back'],
  ['q  ctrl-c', 'quit: stop, flush the open flows, print the matches on standard output'],
];

export function Help() {
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      {HELP_LINES.map(([k, v]) => (
        <Text key={k}>{`  ${k.padEnd(16)} ${v}`}</Text>
      ))}
    </Box>
  );
}
