import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../src/flow/addr.js';

function hex6(text: string): string {
  return formatIp(Buffer.from(text.replace(/[: ]/g, ''), 'hex'), 0, 6);
}

describe('formatIp', () => {
  it('writes IPv4 as a dotted quad, at any offset', () => {
    const buf = Buffer.from([9, 9, 192, 0, 2, 255, 9]);
    expect(formatIp(buf, 2, 4)).toBe('192.0.2.255');
    expect(formatIp(Buffer.from([0, 0, 0, 0]), 0, 4)).toBe('0.0.0.0');
  });

  it('writes IPv6 the RFC 5952 way', () => {
    expect(hex6('2001 0db8 0000 0000 0000 0000 0000 0001')).toBe('2001:db8::1');
    expect(hex6('0000 0000 0000 0000 0000 0000 0000 0000')).toBe('::');
    expect(hex6('0000 0000 0000 0000 0000 0000 0000 0001')).toBe('::1');
    expect(hex6('0001 0000 0000 0000 0000 0000 0000 0000')).toBe('1::');
    expect(hex6('FE80 0000 0000 0000 021F F3FF FECD F617')).toBe('fe80::21f:f3ff:fecd:f617');
    // the longest run wins
    expect(hex6('2001 0db8 0000 0001 0000 0000 0000 0001')).toBe('2001:db8:0:1::1');
    // on a tie, the first run
    expect(hex6('2001 0db8 0000 0000 0001 0000 0000 0001')).toBe('2001:db8::1:0:0:1');
    // a single zero group is not compressed
    expect(hex6('2001 0db8 0000 0001 0001 0001 0001 0001')).toBe('2001:db8:0:1:1:1:1:1');
    expect(hex6('2001 0000 c288 1c4c 20f3 359b 46f9 3f46')).toBe('2001:0:c288:1c4c:20f3:359b:46f9:3f46');
  });

  it('writes IPv4-mapped addresses with a dotted tail, and only those', () => {
    expect(hex6('0000 0000 0000 0000 0000 ffff c000 0280')).toBe('::ffff:192.0.2.128');
    // NAT64 well-known prefix, SIIT translated form, deprecated IPv4-compatible form
    expect(hex6('0064 ff9b 0000 0000 0000 0000 cb00 7118')).toBe('64:ff9b::cb00:7118');
    expect(hex6('0000 0000 0000 0000 ffff 0000 c000 0280')).toBe('::ffff:0:c000:280');
    expect(hex6('0000 0000 0000 0000 0000 0000 c000 0201')).toBe('::c000:201');
  });
});

describe('parseIp', () => {
  it('reads IPv4', () => {
    expect(parseIp('192.0.2.1')).toEqual(new Uint8Array([192, 0, 2, 1]));
    expect(parseIp('0.0.0.0')).toEqual(new Uint8Array(4));
    expect(parseIp('255.255.255.255')).toEqual(new Uint8Array([255, 255, 255, 255]));
  });

  it('reads every IPv6 form', () => {
    const expected = Buffer.from('20010db8000000000000000000000001', 'hex');
    for (const text of ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0::0:1']) {
      expect(Buffer.from(parseIp(text)!)).toEqual(expected);
    }
    expect(parseIp('::')).toEqual(new Uint8Array(16));
    expect(Buffer.from(parseIp('::1')!).toString('hex')).toBe('00000000000000000000000000000001');
    expect(Buffer.from(parseIp('1::')!).toString('hex')).toBe('00010000000000000000000000000000');
    expect(Buffer.from(parseIp('1:2:3:4:5:6:7::')!).toString('hex')).toBe('00010002000300040005000600070000');
    expect(Buffer.from(parseIp('::2:3:4:5:6:7:8')!).toString('hex')).toBe('00000002000300040005000600070008');
  });

  it('reads a dotted IPv4 tail', () => {
    expect(Buffer.from(parseIp('::ffff:192.0.2.128')!).toString('hex')).toBe('00000000000000000000ffffc0000280');
    expect(Buffer.from(parseIp('64:ff9b::203.0.113.24')!).toString('hex')).toBe('0064ff9b0000000000000000cb007118');
    expect(Buffer.from(parseIp('1:2:3:4:5:6:1.2.3.4')!).toString('hex')).toBe('00010002000300040005000601020304');
  });

  it('rejects what is not an address', () => {
    const bad = [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.-4',
      ' 1.2.3.4',
      '1.2.3.4/24',
      ':',
      ':::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '1::2::3',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '12345::',
      'g::1',
      'fe80::1%eth0',
      '2001:db8::/32',
      '1.2.3.4::',
      '::1.2.3',
      '::1.2.3.4:5',
      '1:2:3:4:5:6:7:1.2.3.4',
    ];
    for (const text of bad) expect(parseIp(text), text).toBeUndefined();
  });

  it('round-trips through formatIp', () => {
    for (const text of ['10.0.0.1', '2001:db8::1', '::', 'fe80::8000:f227:3d77:e3b3', '::ffff:10.1.2.3', '64:ff9b::cb00:7118', '2001:db8:0:1:1:1:1:1']) {
      const bytes = parseIp(text)!;
      expect(formatIp(bytes, 0, bytes.length === 4 ? 4 : 6)).toBe(text);
    }
  });
});
