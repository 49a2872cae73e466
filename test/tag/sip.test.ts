/**
 * SIP and SDP tags against tshark (run at test time) on the corpus, and on
 * the lab's own captures.
 */
import { describe, expect, it } from 'vitest';
import { corpusPath, HAVE_CORPUS } from '../corpus.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { LINKTYPE_RAW } from '../../src/capture/linktypes.js';
import { createFlowPipeline } from '../../src/flow/pipeline.js';
import { createTagging } from '../../src/tag/index.js';
import { ipv4, udp } from '../decode/build.js';
import { addAll, HAVE_TSHARK, recordTuple, sorted, tagged, TUPLE_FIELDS, tsharkFields, tsharkTuple } from './helpers.js';

const SIP_FILES = [
  'ndpi-sip-register-invite-errors-rtp.pcap',
  'ndpi-sip-t38-fax-call-rtp.pcap',
  'pcapplusplus-sip-requests-pppoe.pcap',
  'pcapplusplus-sip-responses-mixed.pcap',
  'sngrep-sip-in-ipip-tunnel.pcap',
  'sngrep-sip-ipv6-fragmented-call.pcap',
  'suricata-sip-over-tcp-register.pcap',
  'suricata-sip-register-invite-sdp.pcap',
];

/** Methods and codes per 5-tuple, merged over the records of that 5-tuple (idle timeouts split long ones). */
function ours(recs: readonly FlowRecord[]): { methods: Map<string, Set<string>>; codes: Map<string, Set<string>> } {
  const methods = new Map<string, Set<string>>();
  const codes = new Map<string, Set<string>>();
  for (const r of recs) {
    if (r.app !== 'sip') continue;
    addAll(methods, recordTuple(r), (r.sip_methods as string[]).join(','));
    addAll(codes, recordTuple(r), (r.sip_codes as number[]).join(','));
  }
  return { methods, codes };
}

describe.skipIf(!HAVE_CORPUS || !HAVE_TSHARK)('SIP methods and status codes per flow equal tshark\'s', () => {
  for (const name of SIP_FILES) {
    it(name, () => {
      const file = corpusPath(`sip-rtp/${name}`);
      const rows = tsharkFields(file, 'sip', [...TUPLE_FIELDS, 'sip.Method', 'sip.Status-Code']);
      const methods = new Map<string, Set<string>>();
      const codes = new Map<string, Set<string>>();
      for (const row of rows) {
        addAll(methods, tsharkTuple(row), row[8]);
        addAll(codes, tsharkTuple(row), row[9]);
      }
      expect(rows.length).toBeGreaterThan(0);
      const got = ours(tagged(file));
      const tuples = [...new Set([...methods.keys(), ...got.methods.keys()])].sort();
      const view = (m: Map<string, Set<string>>) => tuples.map((t) => `${t}: ${sorted(m.get(t)).join(' ')}`);
      expect(view(got.methods)).toEqual(view(methods));
      expect(view(got.codes)).toEqual(view(codes));
    });
  }
});

describe.skipIf(!HAVE_CORPUS)('SIP details', () => {
  it('Call-IDs and SDP endpoints of offers and answers (IPv4)', () => {
    const recs = tagged(corpusPath('sip-rtp/suricata-sip-register-invite-sdp.pcap'));
    const invites = recs.find((r) => r.app === 'sip' && (r.sip_methods as string[]).includes('INVITE'))!;
    // one 5-tuple carries the calls and a REGISTER (its own Call-ID)
    expect(invites.sip_callids).toEqual(['12013223@200.57.7.195', 'D3A26FC3974B44ECB5A96E07282903E3@bestel.com', '12015624@200.57.7.195']);
    expect(invites.sip_callid).toBe('12013223@200.57.7.195');
    expect(invites.sdp_media).toEqual(['200.57.7.196:40376', '200.57.7.196:40360']);
    const answers = recs.find((r) => r.app === 'sip' && r.srcip === '200.57.7.204' && (r.sip_codes as number[]).includes(200))!;
    expect(answers.sdp_media).toEqual(['200.57.7.204:8000']);
    expect(answers.sdp_ipv4_literal).toBe(false); // carried over IPv4
  });

  it('SIP over TCP on other ports (no SYN in the capture) and inside an IPIP tunnel', () => {
    const recs = tagged(corpusPath('sip-rtp/sngrep-sip-in-ipip-tunnel.pcap'));
    const sip = recs.filter((r) => r.app === 'sip');
    expect(sip.length).toBe(3);
    const tunneled = sip.find((r) => r.tunnel === '4in4')!;
    expect(tunneled).toMatchObject({ srcip: '10.15.193.31', srcport: 33093, dstport: 5090, tun_srcip: '10.15.196.229', sip_codes: [183, 200], sdp_media: ['172.28.1.3:50234'] });
    expect(sip.some((r) => (r.sdp_media as string[] | undefined)?.includes('10.15.194.45:50232'))).toBe(true);
  });

  it('SIP over fragmented IPv6: methods from the first fragments; SDP in later fragments is not seen (pinned)', () => {
    const recs = tagged(corpusPath('sip-rtp/sngrep-sip-ipv6-fragmented-call.pcap'));
    // the call outlasts the 15 s idle timeout: the caller's 5-tuple has two records
    const caller = recs.filter((r) => r.app === 'sip' && r.srcport === 15060);
    expect(sorted(new Set(caller.flatMap((r) => r.sip_methods as string[])))).toEqual(['ACK', 'BYE', 'INVITE', 'PRACK', 'UPDATE']);
    expect(caller[0].sip_callid).toBe('71846-1647924829-397430@fd17:625c:f037:2:a00:27ff:feb9:1521');
    // tshark reassembles and reads c=IN IP6 …:1521 port 15062 from the INVITE; the meter does not
    // reassemble, and whatever SDP lies in the first fragment is all it sees
    const media = recs.flatMap((r) => (r.sdp_media as string[] | undefined) ?? []);
    for (const m of media) expect(m.startsWith('[fd17:625c:f037:2:a00:27ff:feb9:')).toBe(true);
  });

  it('SIP over TCP on port 5060', () => {
    const recs = tagged(corpusPath('sip-rtp/suricata-sip-over-tcp-register.pcap'));
    const reg = recs.find((r) => r.app === 'sip' && r.proto === 6 && r.dstport === 5060)!;
    expect(reg.sip_methods).toEqual(['REGISTER']);
    expect(reg.sip_callid).toBe('8OmtYUU8EdlafUh4g4jiAw..');
  });
});

describe('lab captures', () => {
  for (const n of [1, 2, 3]) {
    it(`sip-bad-${n}: INVITE/ACK/BYE, and the IPv6-side SIP flow's SDP announces an IPv4 literal`, () => {
      const recs = tagged(new URL(`../../captures/sip-bad-${n}.pcapng`, import.meta.url).pathname);
      const sip = recs.filter((r) => r.app === 'sip');
      const methods = new Set(sip.flatMap((r) => r.sip_methods as string[]));
      for (const m of ['INVITE', 'ACK', 'BYE']) expect(methods).toContain(m);
      const v6 = sip.filter((r) => r.ipver === 6);
      expect(v6.length).toBeGreaterThan(0);
      // the UAS's 200 OK (c=IN IP4 100.64.0.10) reaches the IPv6-only client over IPv6
      const answer = v6.find((r) => r.srcip === '64:ff9b::6440:a')!;
      expect(answer.sdp_ipv4_literal).toBe(true);
      expect(answer.sdp_media).toEqual(['100.64.0.10:6000']);
      expect(answer.nat64).toBe(true);
      expect(answer.nat64_ipv4).toBe('100.64.0.10');
      // the client's offer announces its own IPv6 address
      expect(v6.find((r) => r.srcip === '2001:db8:64:1::2')!.sdp_ipv4_literal).toBe(false);
      // IPv4-side SIP carries the same SDP, but over IPv4
      expect(sip.filter((r) => r.ipver === 4).every((r) => r.sdp_ipv4_literal === false)).toBe(true);
      expect(recs.filter((r) => r.app === 'rtp')).toEqual([]);
    });
    it(`sip-good-${n}: the RTP flows are app=rtp in both directions with the call's Call-ID`, () => {
      const recs = tagged(new URL(`../../captures/sip-good-${n}.pcapng`, import.meta.url).pathname, { key7: true });
      const callId = recs.find((r) => r.app === 'sip')!.sip_callid;
      const rtp = recs.filter((r) => r.app === 'rtp');
      const udp6000 = recs.filter((r) => r.proto === 17 && (r.srcport === 6000 || r.dstport === 6000));
      expect(udp6000.length).toBeGreaterThanOrEqual(2);
      expect(rtp).toEqual(udp6000);
      expect(rtp.some((r) => r.srcip === '100.64.0.10')).toBe(true);
      expect(rtp.some((r) => r.dstip === '100.64.0.10')).toBe(true);
      for (const r of rtp) {
        expect(r.sip_callid).toBe(callId);
        expect(r.rtp_guessed).toBe(false);
        expect(r.rtp_reverse).toBe(true);
        expect(r.rtp_lost).toBe(0);
      }
    });
  }
});

describe('sdp_ipv4_literal: SDP written by an IPv6-only host', () => {
  const invite = (c: string) =>
    Buffer.from(
      'INVITE sip:bob@example.net SIP/2.0\r\nCall-ID: lit-1\r\nContent-Type: application/sdp\r\n' +
        `Content-Length: ${`v=0\r\nc=IN IP4 ${c}\r\nm=audio 6000 RTP/AVP 0\r\n`.length}\r\n\r\nv=0\r\nc=IN IP4 ${c}\r\nm=audio 6000 RTP/AVP 0\r\n`,
      'latin1',
    );
  function literalFrom(src: string): unknown {
    const recs: FlowRecord[] = [];
    const p = createFlowPipeline({ meter: { inspector: createTagging() } }, (r) => recs.push(r));
    const pkt = Buffer.from(ipv4({ proto: 17, src, dst: '100.64.0.10' }, udp(5060, 5060, [...invite(src)])));
    p.sink.packet(pkt, 0, pkt.length, pkt.length, 1000, 0, LINKTYPE_RAW);
    p.meter.flush('eof');
    expect(recs[0].sip_methods).toEqual(['INVITE']);
    return recs[0].sdp_ipv4_literal;
  }

  it('over IPv4 from a CLAT or B4 address (192.0.0.0/29): the host behind it is IPv6-only', () => {
    expect(literalFrom('192.0.0.2')).toBe(true);
  });

  it('over IPv4 from any other address: an IPv4 host, no literal problem', () => {
    expect(literalFrom('10.1.2.3')).toBe(false);
    expect(literalFrom('192.0.0.8')).toBe(false);
  });
});
