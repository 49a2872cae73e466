/**
 * The one flow-record schema. Every consumer (meter, writers, NFQL checker,
 * IPFIX, TUI) reads field names, aliases, types, units and IPFIX elements
 * from here; nothing else keeps a list of field names.
 */

export type FieldType =
  /** integer counter or number */
  | 'int'
  /** IPv4 or IPv6 address, as text in records */
  | 'ip'
  /** epoch milliseconds (fraction keeps sub-ms) */
  | 'time'
  /** milliseconds */
  | 'duration'
  | 'bool'
  /** one of a fixed set of words */
  | 'enum'
  | 'string'
  /** a set of strings or numbers (tags such as sip_methods) */
  | 'set';

export type FieldGroup =
  /** produced by the meter for every record */
  | 'base'
  /** produced by the meter with --biflow (RFC 5103 reverse direction) */
  | 'biflow'
  /** known to the schema (NetFlow/IPFIX from routers) but not measurable from packets */
  | 'collector'
  /** added by application taggers */
  | 'tag';

export interface IpfixElement {
  id: number;
  name: string;
  /** private enterprise number; absent for IANA elements, 29305 for RFC 5103 reverse elements */
  enterprise?: number;
}

export interface FieldDef {
  name: string;
  aliases: readonly string[];
  type: FieldType;
  unit?: 'ms' | 'packets' | 'bytes';
  group: FieldGroup;
  /** allowed values of an enum field */
  values?: readonly string[];
  ipfix?: readonly IpfixElement[];
  description: string;
}

/** RFC 5103 reverse information elements use this private enterprise number. */
export const REVERSE_PEN = 29305;

export const END_REASONS = ['idle', 'active', 'fin', 'rst', 'cache', 'eof'] as const;
export type EndReason = (typeof END_REASONS)[number];

export const TUNNEL_TYPES = ['4in6', '6in4', '4in4', '6in6', 'gre', 'teredo', 'vxlan'] as const;

const FIELDS: readonly FieldDef[] = [
  { name: 'rec_id', aliases: [], type: 'int', group: 'base', description: 'record number, stable within one input (1, 2, … in export order)' },
  {
    name: 'stime', aliases: ['First', 'flowStartMilliseconds', 'start'], type: 'time', unit: 'ms', group: 'base',
    ipfix: [{ id: 152, name: 'flowStartMilliseconds' }],
    description: 'time of the first packet, epoch milliseconds (fraction keeps sub-millisecond precision)',
  },
  {
    name: 'etime', aliases: ['Last', 'flowEndMilliseconds', 'end'], type: 'time', unit: 'ms', group: 'base',
    ipfix: [{ id: 153, name: 'flowEndMilliseconds' }],
    description: 'time of the last packet, epoch milliseconds',
  },
  { name: 'duration', aliases: ['td'], type: 'duration', unit: 'ms', group: 'base', ipfix: [{ id: 161, name: 'flowDurationMilliseconds' }], description: 'etime − stime, milliseconds' },
  { name: 'ipver', aliases: ['ipVersion'], type: 'int', group: 'base', ipfix: [{ id: 60, name: 'ipVersion' }], description: 'IP version of the packets the flow is keyed on (4 or 6)' },
  {
    name: 'proto', aliases: ['prot', 'protocolIdentifier', 'protocol'], type: 'int', group: 'base',
    ipfix: [{ id: 4, name: 'protocolIdentifier' }], description: 'IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …)',
  },
  {
    name: 'srcip', aliases: ['srcaddr', 'sourceIPv4Address', 'sourceIPv6Address', 'sa'], type: 'ip', group: 'base',
    ipfix: [{ id: 8, name: 'sourceIPv4Address' }, { id: 27, name: 'sourceIPv6Address' }], description: 'source address (initiator with --biflow)',
  },
  { name: 'srcport', aliases: ['sourceTransportPort', 'sp'], type: 'int', group: 'base', ipfix: [{ id: 7, name: 'sourceTransportPort' }], description: 'source port; 0 for ICMP' },
  {
    name: 'dstip', aliases: ['dstaddr', 'destinationIPv4Address', 'destinationIPv6Address', 'da'], type: 'ip', group: 'base',
    ipfix: [{ id: 12, name: 'destinationIPv4Address' }, { id: 28, name: 'destinationIPv6Address' }], description: 'destination address',
  },
  {
    name: 'dstport', aliases: ['destinationTransportPort', 'dp'], type: 'int', group: 'base', ipfix: [{ id: 11, name: 'destinationTransportPort' }],
    description: 'destination port; for ICMP and ICMPv6 type·256 + code (NetFlow convention)',
  },
  { name: 'tos', aliases: ['ipClassOfService'], type: 'int', group: 'base', ipfix: [{ id: 5, name: 'ipClassOfService' }], description: 'IPv4 ToS / IPv6 traffic class of the first packet' },
  {
    name: 'tcpflags', aliases: ['tcp_flags', 'tcpControlBits', 'flags'], type: 'int', group: 'base', ipfix: [{ id: 6, name: 'tcpControlBits' }],
    description: 'OR of the TCP flags of every packet (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128)',
  },
  { name: 'packets', aliases: ['dPkts', 'packetDeltaCount', 'pkts'], type: 'int', unit: 'packets', group: 'base', ipfix: [{ id: 2, name: 'packetDeltaCount' }], description: 'packets' },
  { name: 'bytes', aliases: ['dOctets', 'octetDeltaCount', 'octets'], type: 'int', unit: 'bytes', group: 'base', ipfix: [{ id: 1, name: 'octetDeltaCount' }], description: 'bytes at the IP layer (IP total length of each packet)' },
  {
    name: 'l2bytes', aliases: ['layer2OctetDeltaCount'], type: 'int', unit: 'bytes', group: 'base', ipfix: [{ id: 352, name: 'layer2OctetDeltaCount' }],
    description: 'bytes on the wire including the link-layer header (pcap original length)',
  },
  { name: 'input', aliases: ['ingressInterface', 'in_if'], type: 'int', group: 'base', ipfix: [{ id: 10, name: 'ingressInterface' }], description: 'ingress interface index (pcapng interface, or the -i order for live capture)' },
  { name: 'vlan', aliases: ['vlanId'], type: 'int', group: 'base', ipfix: [{ id: 58, name: 'vlanId' }], description: 'outermost VLAN id of the first packet, 0 when untagged' },
  {
    name: 'tunnel', aliases: ['tun_type'], type: 'enum', values: TUNNEL_TYPES, group: 'base',
    description: 'encapsulation the flow was found in (empty when not tunneled): 4in6 (DS-Lite), 6in4, 4in4, 6in6, gre, teredo, vxlan',
  },
  { name: 'tun_srcip', aliases: ['tunnelSourceAddress'], type: 'ip', group: 'base', description: 'outer (tunnel) source address of the first packet' },
  { name: 'tun_dstip', aliases: ['tunnelDestinationAddress'], type: 'ip', group: 'base', description: 'outer (tunnel) destination address of the first packet' },
  {
    name: 'endreason', aliases: ['flowEndReason'], type: 'enum', values: END_REASONS, group: 'base', ipfix: [{ id: 136, name: 'flowEndReason' }],
    description: 'why the record ended: idle (inactive timeout), active (active timeout), fin, rst, cache (flow table full), eof (end of input or capture stopped)',
  },
  {
    name: 'rev_packets', aliases: ['reversePacketDeltaCount'], type: 'int', unit: 'packets', group: 'biflow',
    ipfix: [{ id: 2, name: 'reversePacketDeltaCount', enterprise: REVERSE_PEN }], description: 'packets from the responder (--biflow)',
  },
  {
    name: 'rev_bytes', aliases: ['reverseOctetDeltaCount'], type: 'int', unit: 'bytes', group: 'biflow',
    ipfix: [{ id: 1, name: 'reverseOctetDeltaCount', enterprise: REVERSE_PEN }], description: 'IP bytes from the responder (--biflow)',
  },
  {
    name: 'rev_l2bytes', aliases: ['reverseLayer2OctetDeltaCount'], type: 'int', unit: 'bytes', group: 'biflow',
    ipfix: [{ id: 352, name: 'reverseLayer2OctetDeltaCount', enterprise: REVERSE_PEN }], description: 'wire bytes from the responder (--biflow)',
  },
  {
    name: 'rev_tcpflags', aliases: ['reverseTcpControlBits'], type: 'int', group: 'biflow',
    ipfix: [{ id: 6, name: 'reverseTcpControlBits', enterprise: REVERSE_PEN }], description: 'OR of the responder\'s TCP flags (--biflow)',
  },
  { name: 'output', aliases: ['egressInterface', 'out_if'], type: 'int', group: 'collector', ipfix: [{ id: 14, name: 'egressInterface' }], description: 'egress interface index (only in records collected from routers)' },
];

const byName = new Map<string, FieldDef>();
for (const f of FIELDS) {
  byName.set(f.name, f);
  for (const a of f.aliases) byName.set(a, f);
}

/** Every field, canonical order. */
export function allFields(): readonly FieldDef[] {
  return FIELDS;
}

/** Field by canonical name or alias (case-sensitive, as NFQL names are). */
export function lookupField(name: string): FieldDef | undefined {
  return byName.get(name);
}

/** Fields the meter writes for a given configuration, in output order (`tags`: the taggers run, their fields follow). */
export function meterFields(opts: { biflow: boolean; tags?: boolean }): readonly FieldDef[] {
  return FIELDS.filter((f) => f.group === 'base' || (opts.biflow && f.group === 'biflow') || (opts.tags === true && f.group === 'tag'));
}

/** Add a field (taggers register theirs at load time). Names and aliases must be new. */
export function registerField(def: FieldDef): void {
  for (const n of [def.name, ...def.aliases]) {
    if (byName.has(n)) throw new Error(`field name ${n} is already registered`);
  }
  (FIELDS as FieldDef[]).push(def);
  byName.set(def.name, def);
  for (const a of def.aliases) byName.set(a, def);
}
