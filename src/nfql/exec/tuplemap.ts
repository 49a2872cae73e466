/**
 * A map keyed by several values (the two sides of a grouper's or merger's
 * equality rules), as nested Maps: a look-up builds no key string, and
 * addresses, which records share, keep their cached hashes.
 *
 * Keys go through joinKey (sets become their sorted members; absent values
 * have no key, and a tuple with one is never found nor stored).
 */
import { joinKey } from './values.js';

type Node = Map<unknown, unknown>;

export class TupleMap<V> {
  private readonly root: Node = new Map();
  private count = 0;

  constructor(private readonly depth: number) {
    if (depth < 1) throw new Error('a TupleMap needs at least one key');
  }

  get size(): number {
    return this.count;
  }

  /** The value under `keys` (raw field values), or undefined. */
  get(keys: readonly unknown[]): V | undefined {
    let node: unknown = this.root;
    for (let i = 0; i < this.depth; i++) {
      const k = joinKey(keys[i]);
      if (k === undefined) return undefined;
      node = (node as Node).get(k);
      if (node === undefined) return undefined;
    }
    return node as V;
  }

  /** Stores `value` under `keys`; false (nothing stored) when a key is absent. */
  set(keys: readonly unknown[], value: V): boolean {
    let node: Node = this.root;
    for (let i = 0; i < this.depth; i++) {
      const k = joinKey(keys[i]);
      if (k === undefined) return false;
      if (i === this.depth - 1) {
        if (!node.has(k)) this.count++;
        node.set(k, value);
        return true;
      }
      let next = node.get(k) as Node | undefined;
      if (next === undefined) node.set(k, (next = new Map()));
      node = next;
    }
    return true;
  }

  /** Calls `visit` on every value; values for which it returns false are removed. */
  retain(visit: (value: V) => boolean): void {
    const last = this.depth - 1;
    const walk = (node: Node, level: number): void => {
      node.forEach((child, k) => {
        if (level === last) {
          if (!visit(child as V)) {
            node.delete(k);
            this.count--;
          }
        } else {
          walk(child as Node, level + 1);
          if ((child as Node).size === 0) node.delete(k);
        }
      });
    };
    walk(this.root, 0);
  }

  values(): V[] {
    const out: V[] = [];
    this.retain((v) => {
      out.push(v);
      return true;
    });
    return out;
  }
}
