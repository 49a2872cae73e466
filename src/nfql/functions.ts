/**
 * The functions NFQL rules may call, and the protocol names that stand for
 * numbers. The checker reads the signatures here; the executor calls
 * `apply` — one list, so the two cannot disagree.
 *
 * Aggregates (`sum`, `min`, …) are not functions: they belong in a grouper's
 * `aggregate` list.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** What a parameter or result is, as far as the checker cares. */
export type ValueKind = 'number' | 'ip' | 'string' | 'bool';

export interface FunctionDef {
  name: string;
  params: readonly ValueKind[];
  returns: ValueKind;
  /**
   * Evaluated once by the checker when every argument is a literal (the
   * result replaces the call in the normalized query): `protocol("UDP")` → 17.
   */
  constant?: boolean;
  /** argument values as the executor holds them: numbers, address text, strings, booleans */
  apply(...args: unknown[]): unknown;
  description: string;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** IP protocol names accepted by `protocol("…")` and as bare words compared with `proto`. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  ipip: 4,
  ipv4: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
};

/** The protocol number of a name (case-insensitive), or undefined. */
export function protocolNumber(name: string): number | undefined {
  return PROTOCOL_NUMBERS[name.toLowerCase()];
}

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(
  (
    [
      {
        name: 'minus',
        params: ['number', 'number'],
        returns: 'number',
        apply: (a, b) => num(a) - num(b),
        description: 'a − b (Flowy spelling of `a - b`)',
      },
      { name: 'abs', params: ['number'], returns: 'number', apply: (a) => Math.abs(num(a)), description: 'absolute value' },
      {
        name: 'bitAND',
        params: ['number', 'number'],
        returns: 'number',
        // Fields are at most 32 bits wide (tcpflags, ports, counters' low bits); >>> 0 keeps the result unsigned.
        apply: (a, b) => (num(a) & num(b)) >>> 0,
        description: 'bitwise AND, e.g. `bitAND(tcpflags, 0x12) = 0x12` (SYN and ACK seen)',
      },
      { name: 'bitOR', params: ['number', 'number'], returns: 'number', apply: (a, b) => (num(a) | num(b)) >>> 0, description: 'bitwise OR' },
      {
        name: 'protocol',
        params: ['string'],
        returns: 'number',
        constant: true,
        apply: (name) => protocolNumber(String(name)),
        description: 'the IP protocol number of a name: `protocol("UDP")` is 17',
      },
      { name: 'isIPv4', params: ['ip'], returns: 'bool', apply: (a) => typeof a === 'string' && isIPv4(a), description: 'the address is an IPv4 address' },
      { name: 'isIPv6', params: ['ip'], returns: 'bool', apply: (a) => typeof a === 'string' && isIPv6(a), description: 'the address is an IPv6 address' },
    ] satisfies FunctionDef[]
  ).map((f) => [f.name, f] as [string, FunctionDef]),
);

/** Function by name; names are matched case-insensitively (`bitand` is `bitAND`). */
export function lookupFunction(name: string): FunctionDef | undefined {
  const exact = FUNCTIONS.get(name);
  if (exact) return exact;
  for (const f of FUNCTIONS.values()) if (f.name.toLowerCase() === name.toLowerCase()) return f;
  return undefined;
}
