/**
 * The NFQL executor's public API: run checked queries (src/nfql/index.ts
 * compileQuery) over flow records from any source.
 */
export { allenBounds, allenHolds, CONVERSE, type Interval } from './allen.js';
export { ExecError } from './expr.js';
export { type Group, groupRecord } from './group.js';
export type { ExecCounters } from './grouper.js';
export { compileFilter, createQueryRunner, executeQuery, type QueryResult, type QueryRunner, type ResultKind, resultKind } from './run.js';
export type { Match, MatchGroup } from './ungrouper.js';
