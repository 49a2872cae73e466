/**
 * DNS and mDNS tags against tshark (run at test time): per flow, the query
 * names and types equal tshark's dns.qry.name / dns.qry.type.
 */
import { describe, expect, it } from 'vitest';
import { corpusPath, HAVE_CORPUS } from '../corpus.js';
import { typeName } from '../../src/tag/dns.js';
import { addAll, HAVE_TSHARK, recordTuple, sorted, tagged, TUPLE_FIELDS, tsharkFields, tsharkTuple } from './helpers.js';

const FILES = [
  'dns/tcpdump-dns-udp.pcap',
  'dns/tcpdump-dns-tcp.pcap',
  'dns/zeek-dns-edns-ecs-many-aaaa.pcap',
  'dns/zeek-dns-over-fragmented-ipv6.pcap',
  'dns/ndpi-dns-fragmented-ipv4.pcap',
  'mdns/nfstream-mdns-ipv4-ipv6-sll.pcap',
  'mdns/zeek-mdns-ipv4-ipv6-ipp.pcap',
  'mdns/ipfixprobe-dnssd-mdns.pcap',
  'mdns/pcapplusplus-dns-mdns-llmnr-mix.pcap',
];

const isDnsPort = (tuple: string) => / (53|5353) /.test(`${tuple.split(' ').filter((_, i) => i === 2 || i === 4).map((p) => ` ${p} `).join('')}`);

describe.skipIf(!HAVE_CORPUS || !HAVE_TSHARK)('DNS/mDNS query names and types per flow equal tshark\'s', () => {
  for (const name of FILES) {
    it(name, () => {
      const file = corpusPath(name);
      const rows = tsharkFields(file, 'dns || mdns', [...TUPLE_FIELDS, 'dns.qry.name', 'dns.qry.type']);
      const names = new Map<string, Set<string>>();
      const types = new Map<string, Set<string>>();
      for (const row of rows) {
        const t = tsharkTuple(row);
        if (!isDnsPort(t)) continue; // LLMNR (5355) and others: not tagged
        addAll(names, t, row[8]);
        addAll(types, t, row[9].split(',').filter((x) => x !== '').map((x) => typeName(Number(x))).join(','));
      }
      const gotNames = new Map<string, Set<string>>();
      const gotTypes = new Map<string, Set<string>>();
      for (const r of tagged(file)) {
        if (r.app !== 'dns' && r.app !== 'mdns') continue;
        addAll(gotNames, recordTuple(r), (r.dns_qnames as string[]).join(','));
        addAll(gotTypes, recordTuple(r), (r.dns_qtypes as string[]).join(','));
      }
      const tuples = [...new Set([...names.keys(), ...gotNames.keys()])].sort();
      const view = (m: Map<string, Set<string>>) => tuples.map((t) => `${t}: ${sorted(m.get(t)).join(' ')}`);
      expect(view(gotNames)).toEqual(view(names));
      expect(view(gotTypes)).toEqual(view(types));
    });
  }
});
