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
  /** private enterprise number; absent for IANA elements, 29305 for RFC 5103 reverse elements, FLOWSIG_PEN for ours */
  enterprise?: number;
  /** encoded length in bytes when fixed (default: from the field type); 0xffff = variable length */
  length?: number;
  /** for 'ip' fields with one element per family: which family this element carries */
  family?: 4 | 6;
}

/**
 * flowsig's own enterprise-specific elements (tunnel fields, application tags) are registered under
 * this number, the private enterprise number reserved for documentation (RFC 5612). The IPFIX exporter
 * substitutes the operator's --pen; the collector maps the configured number back.
 */
export const FLOWSIG_PEN = 32473;

/**
 * Element ids of flowsig's enterprise-specific elements, by field name (stable: never renumber, only add).
 * registerField attaches them to tag fields; docs/ipfix.md lists them with their encodings.
 */
export const FLOWSIG_ELEMENT_IDS: Readonly<Record<string, number>> = {
  tunnel: 1, tun_srcip: 2, tun_dstip: 4, // tun_srcip IPv6 = 3, tun_dstip IPv6 = 5
  endreason: 6, // exact (flowEndReason 3 does not tell fin from rst)
  app: 10,
  sip_methods: 20, sip_codes: 21, sip_callid: 22, sip_callids: 23, sdp_media: 24, sdp_ipv4_literal: 25,
  rtp_ssrc: 30, rtp_pt: 31, rtp_lost: 32, rtp_jitter_max: 33, rtp_jitter_mean: 34, rtp_reverse: 35, rtp_guessed: 36,
  dns_qnames: 40, dns_qtypes: 41, dns_rcodes: 42, dns_answers: 43, dns_ancount: 44, dns_synth64: 45, mdns_services: 46,
  nat64: 50, nat64_ipv4: 51,
  xlat: 60, xlat_peer: 61, xlat_answered: 62, xlat_peer_flow: 63,
};

/** The enterprise element of one of our fields, named as IPFIX names are (flowsig + camel case). */
function flowsigElements(name: string, type: FieldType): IpfixElement[] | undefined {
  const id = FLOWSIG_ELEMENT_IDS[name];
  if (id === undefined) return undefined;
  const ieName = `flowsig${name.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('')}`;
  if (type === 'ip' && name.startsWith('tun_')) {
    return [
      { id, name: `${ieName}IPv4`, enterprise: FLOWSIG_PEN, family: 4 },
      { id: id + 1, name: `${ieName}IPv6`, enterprise: FLOWSIG_PEN, family: 6 },
    ];
  }
  if (type === 'ip') return [{ id, name: ieName, enterprise: FLOWSIG_PEN, family: name.endsWith('ipv4') ? 4 : 6 }];
  return [{ id, name: ieName, enterprise: FLOWSIG_PEN }];
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
    ipfix: [{ id: 152, name: 'flowStartMilliseconds', length: 8 }],
    description: 'time of the first packet, epoch milliseconds (fraction keeps sub-millisecond precision)',
  },
  {
    name: 'etime', aliases: ['Last', 'flowEndMilliseconds', 'end'], type: 'time', unit: 'ms', group: 'base',
    ipfix: [{ id: 153, name: 'flowEndMilliseconds', length: 8 }],
    description: 'time of the last packet, epoch milliseconds',
  },
  { name: 'duration', aliases: ['td'], type: 'duration', unit: 'ms', group: 'base', ipfix: [{ id: 161, name: 'flowDurationMilliseconds', length: 4 }], description: 'etime − stime, milliseconds' },
  { name: 'ipver', aliases: ['ipVersion'], type: 'int', group: 'base', ipfix: [{ id: 60, name: 'ipVersion', length: 1 }], description: 'IP version of the packets the flow is keyed on (4 or 6)' },
  {
    name: 'proto', aliases: ['prot', 'protocolIdentifier', 'protocol'], type: 'int', group: 'base',
    ipfix: [{ id: 4, name: 'protocolIdentifier', length: 1 }], description: 'IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …)',
  },
  {
    name: 'srcip', aliases: ['srcaddr', 'sourceIPv4Address', 'sourceIPv6Address', 'sa'], type: 'ip', group: 'base',
    ipfix: [{ id: 8, name: 'sourceIPv4Address', family: 4, length: 4 }, { id: 27, name: 'sourceIPv6Address', family: 6, length: 16 }], description: 'source address (initiator with --biflow)',
  },
  { name: 'srcport', aliases: ['sourceTransportPort', 'sp'], type: 'int', group: 'base', ipfix: [{ id: 7, name: 'sourceTransportPort', length: 2 }], description: 'source port; 0 for ICMP' },
  {
    name: 'dstip', aliases: ['dstaddr', 'destinationIPv4Address', 'destinationIPv6Address', 'da'], type: 'ip', group: 'base',
    ipfix: [{ id: 12, name: 'destinationIPv4Address', family: 4, length: 4 }, { id: 28, name: 'destinationIPv6Address', family: 6, length: 16 }], description: 'destination address',
  },
  {
    name: 'dstport', aliases: ['destinationTransportPort', 'dp'], type: 'int', group: 'base', ipfix: [{ id: 11, name: 'destinationTransportPort', length: 2 }],
    description: 'destination port; for ICMP and ICMPv6 type·256 + code (NetFlow convention)',
  },
  { name: 'tos', aliases: ['ipClassOfService'], type: 'int', group: 'base', ipfix: [{ id: 5, name: 'ipClassOfService', length: 1 }], description: 'IPv4 ToS / IPv6 traffic class of the first packet' },
  {
    name: 'tcpflags', aliases: ['tcp_flags', 'tcpControlBits', 'flags'], type: 'int', group: 'base', ipfix: [{ id: 6, name: 'tcpControlBits', length: 2 }],
    description: 'OR of the TCP flags of every packet (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128)',
  },
  { name: 'packets', aliases: ['dPkts', 'packetDeltaCount', 'pkts'], type: 'int', unit: 'packets', group: 'base', ipfix: [{ id: 2, name: 'packetDeltaCount', length: 8 }], description: 'packets' },
  { name: 'bytes', aliases: ['dOctets', 'octetDeltaCount', 'octets'], type: 'int', unit: 'bytes', group: 'base', ipfix: [{ id: 1, name: 'octetDeltaCount', length: 8 }], description: 'bytes at the IP layer (IP total length of each packet)' },
  {
    name: 'l2bytes', aliases: ['layer2OctetDeltaCount'], type: 'int', unit: 'bytes', group: 'base', ipfix: [{ id: 352, name: 'layer2OctetDeltaCount', length: 8 }],
    description: 'bytes on the wire including the link-layer header (pcap original length)',
  },
  { name: 'input', aliases: ['ingressInterface', 'in_if'], type: 'int', group: 'base', ipfix: [{ id: 10, name: 'ingressInterface', length: 4 }], description: 'ingress interface index (pcapng interface, or the -i order for live capture)' },
  { name: 'vlan', aliases: ['vlanId'], type: 'int', group: 'base', ipfix: [{ id: 58, name: 'vlanId', length: 2 }], description: 'outermost VLAN id of the first packet, 0 when untagged' },
  {
    name: 'tunnel', aliases: ['tun_type'], type: 'enum', values: TUNNEL_TYPES, group: 'base', ipfix: flowsigElements('tunnel', 'enum'),
    description: 'encapsulation the flow was found in (empty when not tunneled): 4in6 (DS-Lite), 6in4, 4in4, 6in6, gre, teredo, vxlan',
  },
  { name: 'tun_srcip', aliases: ['tunnelSourceAddress'], type: 'ip', group: 'base', ipfix: flowsigElements('tun_srcip', 'ip'), description: 'outer (tunnel) source address of the first packet' },
  { name: 'tun_dstip', aliases: ['tunnelDestinationAddress'], type: 'ip', group: 'base', ipfix: flowsigElements('tun_dstip', 'ip'), description: 'outer (tunnel) destination address of the first packet' },
  {
    name: 'endreason', aliases: ['flowEndReason'], type: 'enum', values: END_REASONS, group: 'base', ipfix: [{ id: 136, name: 'flowEndReason', length: 1 }, ...flowsigElements('endreason', 'enum')!],
    description: 'why the record ended: idle (inactive timeout), active (active timeout), fin, rst, cache (flow table full), eof (end of input or capture stopped)',
  },
  {
    name: 'rev_packets', aliases: ['reversePacketDeltaCount'], type: 'int', unit: 'packets', group: 'biflow',
    ipfix: [{ id: 2, name: 'reversePacketDeltaCount', enterprise: REVERSE_PEN, length: 8 }], description: 'packets from the responder (--biflow)',
  },
  {
    name: 'rev_bytes', aliases: ['reverseOctetDeltaCount'], type: 'int', unit: 'bytes', group: 'biflow',
    ipfix: [{ id: 1, name: 'reverseOctetDeltaCount', enterprise: REVERSE_PEN, length: 8 }], description: 'IP bytes from the responder (--biflow)',
  },
  {
    name: 'rev_l2bytes', aliases: ['reverseLayer2OctetDeltaCount'], type: 'int', unit: 'bytes', group: 'biflow',
    ipfix: [{ id: 352, name: 'reverseLayer2OctetDeltaCount', enterprise: REVERSE_PEN, length: 8 }], description: 'wire bytes from the responder (--biflow)',
  },
  {
    name: 'rev_tcpflags', aliases: ['reverseTcpControlBits'], type: 'int', group: 'biflow',
    ipfix: [{ id: 6, name: 'reverseTcpControlBits', enterprise: REVERSE_PEN, length: 2 }], description: 'OR of the responder\'s TCP flags (--biflow)',
  },
  { name: 'output', aliases: ['egressInterface', 'out_if'], type: 'int', group: 'collector', ipfix: [{ id: 14, name: 'egressInterface', length: 4 }], description: 'egress interface index (only in records collected from routers)' },
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
  if (def.ipfix === undefined && FLOWSIG_ELEMENT_IDS[def.name] !== undefined) def = { ...def, ipfix: flowsigElements(def.name, def.type) };
  (FIELDS as FieldDef[]).push(def);
  byName.set(def.name, def);
  for (const a of def.aliases) byName.set(a, def);
}
