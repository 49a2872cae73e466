import type { EndReason } from './fields.js';

export type FieldValue = number | string | boolean | readonly (string | number)[] | null;

/**
 * A flow record as every sink sees it: canonical field names from
 * src/flow/fields.ts. Base fields are always present; `tunnel`, `tun_srcip`
 * and `tun_dstip` are null when the flow was not tunneled; biflow fields
 * only with --biflow; tag fields when a tagger set them.
 */
export interface FlowRecord {
  rec_id: number;
  stime: number;
  etime: number;
  duration: number;
  ipver: number;
  proto: number;
  srcip: string;
  srcport: number;
  dstip: string;
  dstport: number;
  tos: number;
  tcpflags: number;
  packets: number;
  bytes: number;
  l2bytes: number;
  input: number;
  vlan: number;
  tunnel: string | null;
  tun_srcip: string | null;
  tun_dstip: string | null;
  endreason: EndReason;
  rev_packets?: number;
  rev_bytes?: number;
  rev_l2bytes?: number;
  rev_tcpflags?: number;
  [tag: string]: FieldValue | undefined;
}
