/**
 * The tag inspector's contract with the meter and the taggers, now that
 * per-flow state lives in arrays indexed by slot: each claimed flow's state
 * reaches exactly its own packet/close calls, in tagger order, budgets stop
 * packets per tagger, and a reused slot starts clean.
 */
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { newPacketView } from '../../src/decode/view.js';
import { createTagInspector, type Tagger, type TagEnv } from '../../src/tag/inspector.js';
import { createMediaRegistry } from '../../src/tag/media.js';

const env: TagEnv = { pref64: [], media: createMediaRegistry(), clatHosts: new Set() };
const buf = Buffer.alloc(64);

/** A tagger that claims flows whose first packet's srcPort is in `ports`, with `budget`, and logs every call. */
function logging(name: string, ports: number[], budget: number, log: string[], annotates = false): Tagger<string> {
  return {
    name,
    annotates,
    fields: [],
    claim: (view) => (ports.includes(view.srcPort) ? budget : 0),
    open: (view) => `${name}@${view.srcPort}`,
    packet(state, dir) {
      log.push(`${state} packet ${dir}`);
      return true;
    },
    close(state, rec) {
      log.push(`${state} close ${rec.rec_id}`);
    },
  };
}

function viewFrom(srcPort: number) {
  const v = newPacketView();
  v.srcPort = srcPort;
  return v;
}

const rec = (id: number) => ({ rec_id: id }) as FlowRecord;

describe('tag inspector', () => {
  it('the first application tagger owns a flow, annotators add to it, close runs in tagger order', () => {
    const log: string[] = [];
    const insp = createTagInspector([logging('a', [1], 2, log), logging('b', [1, 2], 5, log), logging('n', [1, 2, 3], 1, log, true)], env);
    expect(insp.begin(7, viewFrom(1), buf, 0)).toBe(2);
    expect(insp.begin(3000, viewFrom(2), buf, 0)).toBe(5);
    expect(insp.begin(8, viewFrom(9), buf, 0)).toBe(0);
    expect(insp.packet(7, 0, viewFrom(1), buf, 0)).toBe(true);
    expect(insp.packet(7, 1, viewFrom(1), buf, 0)).toBe(false);
    expect(insp.packet(3000, 0, viewFrom(2), buf, 0)).toBe(true);
    insp.end(3000, rec(11));
    insp.end(7, rec(12));
    expect(log).toEqual([
      'a@1 packet 0', 'n@1 packet 0',
      'a@1 packet 1',
      'b@2 packet 0', 'n@2 packet 0',
      'b@2 close 11', 'n@2 close 11',
      'a@1 close 12', 'n@1 close 12',
    ]);
  });

  it('a slot reused after end starts with the new flow\'s state only', () => {
    const log: string[] = [];
    const insp = createTagInspector([logging('a', [1], 3, log), logging('n', [2], 1, log, true)], env);
    insp.begin(5, viewFrom(1), buf, 0);
    insp.end(5, rec(1));
    expect(insp.begin(5, viewFrom(2), buf, 0)).toBe(1);
    insp.packet(5, 0, viewFrom(2), buf, 0);
    insp.end(5, rec(2));
    // a flow no tagger claimed gets no calls, even on a slot that had state
    expect(insp.begin(5, viewFrom(9), buf, 0)).toBe(0);
    expect(insp.packet(5, 0, viewFrom(9), buf, 0)).toBe(false);
    insp.end(5, rec(3));
    expect(log).toEqual(['a@1 close 1', 'n@2 packet 0', 'n@2 close 2']);
  });
});
