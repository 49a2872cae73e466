import { describe, expect, it } from 'vitest';
import { parseFlowsArgs } from '../../src/cli/flows.js';
import { UsageError } from '../../src/cli/args.js';
import { parsePrefix64, embeddedIpv4Text, embeddedIpv4OfWords, ipv4Text, prefixOfWords } from '../../src/tag/nat64.js';
import { parseIp } from '../../src/flow/addr.js';
import { tagged } from './helpers.js';

/** RFC 6052 section 2.4: the IPv4 address 192.0.2.33 under every prefix length */
const RFC6052_EXAMPLES: [string, string][] = [
  ['2001:db8::/32', '2001:db8:c000:221::'],
  ['2001:db8:100::/40', '2001:db8:1c0:2:21::'],
  ['2001:db8:122::/48', '2001:db8:122:c000:2:2100::'],
  ['2001:db8:122:300::/56', '2001:db8:122:3c0:0:221::'],
  ['2001:db8:122:344::/64', '2001:db8:122:344:c0:2:2100:0'],
  ['2001:db8:122:344::/96', '2001:db8:122:344::192.0.2.33'],
  ['64:ff9b::/96', '64:ff9b::192.0.2.33'],
];

describe('--pref64 and --no-tags', () => {
  it('taggers run by default; --no-tags turns them off; a bad --pref64 is a usage error', () => {
    const on = parseFlowsArgs(['-r', 'x.pcap'], false);
    const off = parseFlowsArgs(['-r', 'x.pcap', '--no-tags'], false);
    expect(on !== 'help' && on.meter.inspector !== undefined).toBe(true);
    expect(off !== 'help' && off.meter.inspector === undefined).toBe(true);
    expect(() => parseFlowsArgs(['-r', 'x.pcap', '--pref64', '64:ff9b::/33'], false)).toThrow(UsageError);
    expect(() => parseFlowsArgs(['-r', 'x.pcap', '--pref64', '2001:db8::/96', '--no-tags'], false)).toThrow(UsageError);
  });

  it('RFC 6052 section 2.4 examples: the IPv4 address 192.0.2.33 under every prefix length', () => {
    for (const [prefix, address] of RFC6052_EXAMPLES) expect(embeddedIpv4Text([parsePrefix64(prefix)], address)).toBe('192.0.2.33');
  });

  it('the same from an address kept as 32-bit words (the output thread reads raw records): every prefix length', () => {
    const words = (text: string): Float64Array => {
      const b = parseIp(text)!;
      return Float64Array.from([0, 1, 2, 3], (k) => (b[4 * k] << 24) | (b[4 * k + 1] << 16) | (b[4 * k + 2] << 8) | b[4 * k + 3]);
    };
    for (const [prefix, address] of RFC6052_EXAMPLES) {
      const pre = parsePrefix64(prefix);
      // one unit before the address: the offset is honoured
      const raw = Float64Array.from([7, ...words(address)]);
      expect(prefixOfWords([pre], raw, 1)).toBe(pre);
      expect(ipv4Text(embeddedIpv4OfWords(pre, raw, 1))).toBe('192.0.2.33');
      // the prefix's last bit flipped: not in it
      const off = words(address);
      off[Math.floor((pre.length - 1) / 32)] ^= 1 << (31 - ((pre.length - 1) % 32));
      expect(prefixOfWords([pre], off, 0)).toBeUndefined();
    }
    expect(prefixOfWords([parsePrefix64('64:ff9b::/96')], words('64:ff9b:1::192.0.2.33'), 0)).toBeUndefined();
  });

  it('--pref64 replaces the well-known prefix', () => {
    const file = new URL('../../captures/sip-bad-1.pcapng', import.meta.url).pathname;
    expect(tagged(file).some((r) => r.nat64 === true)).toBe(true);
    expect(tagged(file, { tags: { pref64: ['2001:db8:ffff::/96'] } }).some((r) => r.nat64 === true)).toBe(false);
  });
});
