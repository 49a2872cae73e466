import { describe, expect, it } from 'vitest';
import { isRawIp, LINKTYPE_LINUX_SLL2, LINKTYPE_PPP_ETHER, linkTypeName } from '../../src/capture/linktypes.js';

describe('link types', () => {
  it('names the link types flowsig reads, and numbers the rest', () => {
    expect(linkTypeName(1)).toBe('ETHERNET (1)');
    expect(linkTypeName(LINKTYPE_LINUX_SLL2)).toBe('LINUX_SLL2 (276)');
    expect(linkTypeName(LINKTYPE_PPP_ETHER)).toBe('PPP_ETHER (PPPoE) (51)');
    expect(linkTypeName(12)).toBe('RAW (DLT_RAW 12) (12)');
    expect(linkTypeName(147)).toBe('link type 147');
  });

  it('treats DLT_RAW 12 and 14 as raw IP like LINKTYPE_RAW, and the version-specific ones apart', () => {
    expect([101, 12, 14, 228, 229, 1].map(isRawIp)).toEqual([true, true, true, false, false, false]);
  });
});
