/**
 * LINKTYPE_* values (tcpdump.org/linktypes.html) that flowsig reads, and
 * their names for messages. The number in a pcap header or pcapng IDB is a
 * LINKTYPE, not a platform DLT, except for the raw-IP aliases 12 and 14 that
 * old captures still carry.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
/** DLT_RAW as most platforms number it; files written there may keep it */
export const LINKTYPE_RAW_DLT12 = 12;
/** DLT_RAW as OpenBSD numbers it */
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_PPP_HDLC = 50;
/** PPPoE session frames without the Ethernet header */
export const LINKTYPE_PPP_ETHER = 51;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const NAMES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_NULL, 'NULL (BSD loopback)'],
  [LINKTYPE_ETHERNET, 'ETHERNET'],
  [LINKTYPE_PPP, 'PPP'],
  [LINKTYPE_RAW_DLT12, 'RAW (DLT_RAW 12)'],
  [LINKTYPE_RAW_DLT14, 'RAW (DLT_RAW 14)'],
  [LINKTYPE_PPP_HDLC, 'PPP_HDLC'],
  [LINKTYPE_PPP_ETHER, 'PPP_ETHER (PPPoE)'],
  [LINKTYPE_RAW, 'RAW'],
  [LINKTYPE_LOOP, 'LOOP (OpenBSD loopback)'],
  [LINKTYPE_LINUX_SLL, 'LINUX_SLL'],
  [LINKTYPE_IPV4, 'IPV4'],
  [LINKTYPE_IPV6, 'IPV6'],
  [LINKTYPE_LINUX_SLL2, 'LINUX_SLL2'],
]);

/** "ETHERNET (1)", or "link type 147" for one we have no name for. */
export function linkTypeName(linkType: number): string {
  const name = NAMES.get(linkType);
  return name === undefined ? `link type ${linkType}` : `${name} (${linkType})`;
}

/** Packets start with an IPv4 or IPv6 header (version nibble tells which). */
export function isRawIp(linkType: number): boolean {
  return linkType === LINKTYPE_RAW || linkType === LINKTYPE_RAW_DLT12 || linkType === LINKTYPE_RAW_DLT14;
}
