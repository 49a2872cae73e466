/**
 * Where a decoder stands inside the packet it is reading. Each decoder owns
 * one cursor and reuses it for every packet, so the layers can hand offsets
 * to each other without allocating.
 */
export interface Cursor {
  /** offset of the next header to read */
  off: number;
  /** first offset past the current packet's bytes: the captured end, clipped to the IP length once it is known */
  end: number;
  /** IP version the layer below announced (EtherType, AF, PPP protocol): 4, 6, or 0 when the version nibble decides */
  version: number;
  /** outermost VLAN id of the frame the link-layer decoder last read */
  vlan: number;
  /** number of VLAN tags in that frame */
  vlanDepth: number;
}

export function newCursor(): Cursor {
  return { off: 0, end: 0, version: 0, vlan: 0, vlanDepth: 0 };
}
