/**
 * The xlat tagger's pending table on its own: lookups by key and class, by
 * key, class and client port, "any class" lookups, newest-first order, removal from the middle of a
 * chain, pruning by the pairing window.
 */
import { describe, expect, it } from 'vitest';
import { createPendingTable } from '../../src/tag/xlat-pending.js';

const HOST = 0x6440000a | 0; // 100.64.0.10 as a signed word
const OTHER = 0x6440000b | 0;

function list(t: ReturnType<typeof createPendingTable>, host: number, port: number, cls: number): number[] {
  const out: number[] = [];
  for (let id = t.first(host, port, cls); id !== 0; id = t.older(id)) out.push(id);
  return out;
}

function samePort(t: ReturnType<typeof createPendingTable>, host: number, port: number, cls: number, clientPort: number): number[] {
  const out: number[] = [];
  for (let id = t.firstSamePort(host, port, cls, clientPort); id !== 0; id = t.olderSamePort(id)) out.push(id);
  return out;
}

describe('xlat pending table', () => {
  it('looks flows up by key and class, newest first; has() by key across classes', () => {
    const dropped: number[] = [];
    const t = createPendingTable((id) => dropped.push(id));
    t.reserve(16);
    for (let id = 1; id <= 9; id++) t.reset(id);
    t.add(1, HOST, 443, 1, 40000);
    t.add(2, HOST, 443, 0, 40000);
    t.add(3, HOST, 443, 1, 40001);
    t.add(4, HOST, 80, 1, 40000);
    t.add(5, OTHER, 443, 1, 40000);
    t.add(6, HOST, 443, 1, 40000);
    expect(t.size).toBe(6);
    expect(list(t, HOST, 443, 1)).toEqual([6, 3, 1]);
    expect(list(t, HOST, 443, 0)).toEqual([2]);
    expect(list(t, HOST, 443, 2)).toEqual([]);
    expect(list(t, HOST, 80, 1)).toEqual([4]);
    expect(samePort(t, HOST, 443, 1, 40000)).toEqual([6, 1]);
    expect(samePort(t, HOST, 443, 1, 40001)).toEqual([3]);
    expect(samePort(t, HOST, 443, 0, 40001)).toEqual([]);
    expect([t.has(HOST, 443), t.has(HOST, 80), t.has(OTHER, 443), t.has(OTHER, 80), t.has(HOST, 8080)]).toEqual([true, true, true, false, false]);
    expect([t.isPending(5), t.isPending(7)]).toEqual([true, false]);

    // ended flows leave at the first prune past the window: from the middle, the head and the tail of their chains
    t.ended(3, 1000);
    t.ended(6, 1000);
    t.ended(2, 3000);
    t.ended(7, 1000); // not pending: only marked
    expect(t.endedAt(7)).toBe(1000);
    t.prune(5000, 5000);
    expect(t.size).toBe(6);
    t.prune(6001, 5000);
    expect(dropped).toEqual([3, 6]);
    expect(t.size).toBe(4);
    expect(list(t, HOST, 443, 1)).toEqual([1]);
    expect(samePort(t, HOST, 443, 1, 40000)).toEqual([1]);
    expect(samePort(t, HOST, 443, 1, 40001)).toEqual([]);
    expect([t.isPending(3), t.isPending(6), t.endedAt(1)]).toEqual([false, false, -1]);
    t.prune(Infinity, 5000);
    expect(dropped).toEqual([3, 6, 2]);
    expect([t.has(HOST, 443), t.has(HOST, 80)]).toEqual([true, true]);
    t.clear();
    expect([t.size, t.has(HOST, 443), t.isPending(1), t.isPending(4), t.first(HOST, 80, 1), t.firstSamePort(HOST, 80, 1, 40000)]).toEqual([0, false, false, false, 0, 0]);
  });

  it('keeps what it holds when it grows', () => {
    const t = createPendingTable(() => {});
    t.reserve(4);
    t.reset(1);
    t.add(1, HOST, 53, 5, 1000);
    t.reserve(5000);
    t.reset(4999);
    t.add(4999, HOST, 53, 5, 1000);
    expect(list(t, HOST, 53, 5)).toEqual([4999, 1]);
    expect(samePort(t, HOST, 53, 5, 1000)).toEqual([4999, 1]);
  });
});
