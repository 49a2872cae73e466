/**
 * A seeded generator of a realistic capture for `npm run bench`: classic pcap,
 * Ethernet, nanosecond timestamps, each frame cut to 128 bytes as `tcpdump -s 128`
 * would (the IP headers still say the real size, which is what meters count).
 *
 * The traffic is what a NAT64 translator's access side sees: about 70 % of the
 * packets IPv6 (many of them to 64:ff9b::a.b.c.d), 30 % IPv4; TCP 75 %, UDP 22 %
 * (DNS, QUIC, RTP), ICMP 3 %; a quarter from clients behind 802.1Q tags;
 * Pareto-sized flows (most a few packets, a few of 10^4–10^5), interleaved over
 * about ten minutes: TCP in RTT-paced flights with handshakes, ACKs, FIN or RST,
 * DNS query and answer, QUIC, RTP every 20 ms both ways, pings every second.
 *
 * How: plan every flow's kind and packet count first, so the kinds add up to
 * their packet shares; give the flows Poisson start times in random order; then
 * replay them through a heap keyed by each flow's next packet time, so
 * timestamps never go back. Flow state lives in typed arrays indexed by flow,
 * and frames are written straight into one big buffer: no objects per packet.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { LINKTYPE_ETHERNET } from '../../src/capture/linktypes.js';
import { encodeHeader } from '../../src/capture/pcap-write.js';
import { PCAP_HEADER_LENGTH, RECORD_HEADER_LENGTH } from '../../src/capture/pcap.js';
import { exponential, logUniform, mulberry32, pareto, type Random, uniformInt } from './random.js';

export interface GenerateOptions {
  packets: number;
  seed: number;
  path: string;
  /** capture time over which flows start; default 600 s */
  durationSeconds?: number;
  /** bytes kept of each frame, as tcpdump -s; default 128, the least that holds every header written */
  snapLen?: number;
  /**
   * 'nat64' (default): the NAT64 access side described above. 'plain': nothing any tagger claims —
   * no DNS, no RTP, no NAT64 prefix (their packet shares go to TCP and QUIC) — to show what tagging
   * costs flows it has nothing to say about.
   */
  mix?: 'nat64' | 'plain';
}

export interface GenerateResult {
  packets: number;
  /** size of the file */
  bytes: number;
  /** conversations with at least one packet in the capture */
  connections: number;
  /** last timestamp minus first */
  durationSeconds: number;
}

// Kinds of flow and their share of the packets.
const TCP = 0;
const DNS = 1;
const QUIC = 2;
const RTP = 3;
const ICMP = 4;
const PACKET_SHARE = [0.75, 0.03, 0.12, 0.07, 0.03];
const PLAIN_PACKET_SHARE = [0.83, 0, 0.14, 0, 0.03];

// Shares of packets, kept per packet by shareKeeper.
const IPV6_SHARE = 0.7;
const NAT64_SHARE = 0.45; // of IPv6 packets other than DNS (the resolver is native IPv6)
const VLAN_CLIENT_SHARE = 0.25; // of packets, from clients on tagged access ports
const CLIENTS = 4096;
const SERVERS = 20_000; // server 0 is the operator's DNS resolver

const CAPTURE_START_SECONDS = 1_718_000_000; // 2024-06-10, any fixed time will do
/** Flows start this long before the capture does, so it opens mid-conversation as a real one does. */
const LEAD_SECONDS = 60;
/**
 * Packets planned per packet written. Flows still running when the file is full
 * are cut, as in a real capture; the excess (with the lead) makes the last
 * packet land near the end of the capture time.
 */
const PLAN_FACTOR = 1.15;
const MIN_SNAPLEN = 128;
const OUT_BUFFER_BYTES = 8 * 1024 * 1024;

const MS = 1e6; // timestamps are nanoseconds
const NS_PER_SECOND = 1e9;

// How a TCP conversation ends (and whether a ping is answered).
const FIN = 0;
const RST = 1;
const NO_END = 2; // still open when the capture ends, or silently abandoned
const UNANSWERED = 1;

const TCP_FLAG_FIN = 0x01;
const TCP_FLAG_SYN = 0x02;
const TCP_FLAG_RST = 0x04;
const TCP_FLAG_PSH = 0x08;
const TCP_FLAG_ACK = 0x10;

const TCP_OPENING = 4; // SYN, SYN-ACK, ACK, request
const FULL_SIZE_IP_LENGTH = 1500;
const TCP_SERVER_PORTS = [443, 443, 443, 443, 443, 443, 443, 80, 80, 993, 22, 5222, 8080, 25, 3478, 1194];

/** Packets of a TCP conversation carrying `dataPackets` (every second one is ACKed) and ending so. */
function tcpPackets(dataPackets: number, ending: number): number {
  return TCP_OPENING + dataPackets + (dataPackets >> 1) + (ending === FIN ? 3 : ending === RST ? 1 : 0);
}

/** Draw one conversation of a kind: its packet count and how it ends. `cap` bounds the heavy tail for small captures. */
function planConversation(kind: number, rng: Random, cap: number): [packets: number, ending: number] {
  switch (kind) {
    case TCP: {
      const dataPackets = Math.min(Math.floor(pareto(rng, 1, 1.15)), cap);
      const r = rng();
      const ending = r < 0.9 ? FIN : r < 0.97 ? RST : NO_END;
      return [tcpPackets(dataPackets, ending), ending];
    }
    case DNS:
      return [rng() < 0.95 ? 2 : 1, 0];
    case QUIC: {
      const dataPackets = Math.min(Math.floor(pareto(rng, 2, 1.2)), cap);
      return [1 + dataPackets + (dataPackets >> 1), 0];
    }
    case RTP: // a call of 10 s to 10 min, 50 packets a second each way
      return [Math.min(Math.round(logUniform(rng, 10, 600) * 100), cap), 0];
    default: {
      const pings = rng() < 0.5 ? 4 : Math.min(Math.floor(pareto(rng, 1, 1.2)), cap >> 1);
      return rng() < 0.9 ? [2 * pings, 0] : [pings, UNANSWERED];
    }
  }
}

export function generateCapture(options: GenerateOptions): GenerateResult {
  const { packets, seed, path } = options;
  const durationSeconds = options.durationSeconds ?? 600;
  const snapLen = options.snapLen ?? MIN_SNAPLEN;
  if (snapLen < MIN_SNAPLEN) throw new RangeError(`snapLen ${snapLen}: at least ${MIN_SNAPLEN} bytes are needed to hold every header written`);
  const rng = mulberry32(seed);

  // ---- the plan: each kind gets conversations until it has its share of the packets
  const cap = Math.max(100, Math.min(100_000, Math.floor(packets / 50)));
  const kindList: number[] = [];
  const totalList: number[] = [];
  const endingList: number[] = [];
  const plain = options.mix === 'plain';
  (plain ? PLAIN_PACKET_SHARE : PACKET_SHARE).forEach((share, kind) => {
    for (let planned = 0; planned < share * packets * PLAN_FACTOR; ) {
      const [total, ending] = planConversation(kind, rng, cap);
      kindList.push(kind);
      totalList.push(total);
      endingList.push(ending);
      planned += total;
    }
  });
  const flowCount = kindList.length;
  const kindOf = Uint8Array.from(kindList);
  const totalOf = Int32Array.from(totalList);
  const endingOf = Uint8Array.from(endingList);
  // shuffle (Fisher–Yates), then flow f starts at startTime[f]: a Poisson process over [-lead, duration)
  for (let i = flowCount - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    swap(kindOf, i, j);
    swap(totalOf, i, j);
    swap(endingOf, i, j);
  }
  const startTime = new Float64Array(flowCount);
  let sum = 0;
  for (let i = 0; i < flowCount; i++) sum = startTime[i] = sum + exponential(rng, 1);
  const window = (durationSeconds + LEAD_SECONDS) * NS_PER_SECOND;
  for (let i = 0; i < flowCount; i++) startTime[i] = (startTime[i] / (sum + 1)) * window - LEAD_SECONDS * NS_PER_SECOND;

  // ---- hosts
  const clientV4 = new Uint32Array(CLIENTS); // 100.64.0.0/10, carrier-grade NAT space
  const clientV6 = new Uint32Array(CLIENTS * 4); // 2001:db8:c000:xxxx::/64 with random interface ids
  for (let c = 0; c < CLIENTS; c++) {
    clientV4[c] = (0x64400000 | (rng() * 0x400000)) >>> 0;
    clientV6.set([0x20010db8, (0xc0000000 | (rng() * 0x10000)) >>> 0, (rng() * 2 ** 32) >>> 0, (rng() * 2 ** 32) >>> 0], c * 4);
  }
  const serverV4 = new Uint32Array(SERVERS);
  const serverV6 = new Uint32Array(SERVERS * 4);
  for (let s = 0; s < SERVERS; s++) {
    serverV4[s] = ((uniformInt(rng, 11, 99) << 24) | (rng() * 0x1000000)) >>> 0; // public-looking unicast
    serverV6.set([0x20010db8, (rng() * 0x80000000) >>> 0, 0, uniformInt(rng, 1, 0xffff)], s * 4);
  }
  serverV4[0] = 0xc6336435; // 198.51.100.53
  serverV6.set([0x20010db8, 0x00530000, 0, 0x53], 0); // 2001:db8:53::53
  const taggedClients = CLIENTS * VLAN_CLIENT_SHARE; // clients 0.. are on tagged ports, in VLANs 100–107
  const vlanOf = (client: number) => (client < taggedClients ? 100 + (client & 7) : 0);

  // ---- per-flow state, filled when a flow starts
  const isV6 = new Uint8Array(flowCount);
  const isNat64 = new Uint8Array(flowCount);
  const serverSends = new Uint8Array(flowCount); // TCP: download (1) or upload (0)
  const seen = new Uint8Array(flowCount); // has a packet in the file
  const clientOf = new Int32Array(flowCount);
  const serverOf = new Int32Array(flowCount);
  const clientPort = new Uint16Array(flowCount);
  const serverPort = new Uint16Array(flowCount);
  const sent = new Int32Array(flowCount); // packets so far, written or before the capture started
  const clientSeq = new Uint32Array(flowCount);
  const serverSeq = new Uint32Array(flowCount);
  const rtt = new Float64Array(flowCount);
  const gapMean = new Float64Array(flowCount); // TCP/QUIC: between data packets; RTP: offset of the answer stream
  const nextTime = new Float64Array(flowCount);

  const pickIpv6 = shareKeeper(IPV6_SHARE, rng);
  const pickNat64 = shareKeeper(plain ? 0 : NAT64_SHARE, rng);
  const pickTagged = shareKeeper(VLAN_CLIENT_SHARE, rng);

  function startFlow(f: number): void {
    const kind = kindOf[f];
    const v6 = pickIpv6(totalOf[f]);
    isV6[f] = v6 ? 1 : 0;
    isNat64[f] = v6 && kind !== DNS && pickNat64(totalOf[f]) ? 1 : 0;
    clientOf[f] = pickTagged(totalOf[f]) ? Math.floor(rng() * taggedClients) : taggedClients + Math.floor(rng() * (CLIENTS - taggedClients));
    // a few servers are far more popular than the rest
    serverOf[f] = kind === DNS ? 0 : 1 + Math.floor((SERVERS - 1) * rng() ** 3);
    clientPort[f] = kind === RTP ? uniformInt(rng, 5000, 15000) * 2 : uniformInt(rng, 32768, 60999);
    serverPort[f] =
      kind === TCP ? TCP_SERVER_PORTS[Math.floor(rng() * TCP_SERVER_PORTS.length)]
      : kind === DNS ? 53
      : kind === QUIC ? 443
      : kind === RTP ? uniformInt(rng, 5000, 15000) * 2
      : 0;
    serverSends[f] = kind !== TCP || rng() < 0.85 ? 1 : 0;
    clientSeq[f] = (rng() * 2 ** 32) >>> 0;
    serverSeq[f] = (rng() * 2 ** 32) >>> 0;
    rtt[f] = logUniform(rng, 5, 150) * MS;
    gapMean[f] = kind === RTP ? uniformInt(rng, 1, 19) * MS : logUniform(rng, 0.1, 2) * MS;
  }

  /** The receiver's ACK follows the data it acknowledges closely at the capture point. */
  const ackDelay = () => uniformInt(rng, 20, 300) * 1000;

  /**
   * Gap after packet `bodyIndex` of a TCP or QUIC body (data, data, ACK, …):
   * back to back within a flight of 16 data packets, an RTT between flights,
   * and now and then a pause of the application (think time).
   */
  function bodyGap(f: number, bodyIndex: number): number {
    const place = bodyIndex % 3;
    if (place === 0) return exponential(rng, gapMean[f]);
    if (place === 1) return ackDelay();
    if (rng() < 0.002) return logUniform(rng, 1, 60) * NS_PER_SECOND;
    return (Math.floor(bodyIndex / 3) + 1) % 8 === 0 ? rtt[f] : exponential(rng, gapMean[f]);
  }

  // ---- output: one big buffer, flushed with writeSync
  const out = Buffer.alloc(OUT_BUFFER_BYTES); // zeroed: bytes the generator does not set are zero, so output is reproducible
  const tempPath = `${path}.partial`;
  const fd = openSync(tempPath, 'w');
  let pos = 0;
  let bytes = 0;
  const flush = () => {
    for (let done = 0; done < pos; ) done += writeSync(fd, out, done, pos - done);
    bytes += pos;
    pos = 0;
  };
  encodeHeader({ linkType: LINKTYPE_ETHERNET, snapLen, nanosecond: true }, out, 0);
  pos = PCAP_HEADER_LENGTH;

  const u16 = (p: number, v: number) => {
    out[p] = v >>> 8;
    out[p + 1] = v;
  };
  const u32 = (p: number, v: number) => {
    out[p] = v >>> 24;
    out[p + 1] = v >>> 16;
    out[p + 2] = v >>> 8;
    out[p + 3] = v;
  };
  const u32le = (p: number, v: number) => {
    out[p] = v;
    out[p + 1] = v >>> 8;
    out[p + 2] = v >>> 16;
    out[p + 3] = v >>> 24;
  };
  const writeV6Address = (p: number, words: Uint32Array, at: number) => {
    u32(p, words[at]);
    u32(p + 4, words[at + 1]);
    u32(p + 8, words[at + 2]);
    u32(p + 12, words[at + 3]);
  };
  const writeMac = (p: number, client: number) => {
    // locally administered; the client's own or (-1) the translator's
    out[p] = 0x02;
    out[p + 3] = client < 0 ? 0xff : 0;
    u16(p + 4, client < 0 ? 1 : client);
  };

  let written = 0;
  let connections = 0;
  let firstTime = -1;
  let lastTime = 0;

  /** Write packet `index` of flow f: `ipLength` is the IP total length the header claims. */
  function writePacket(f: number, time: number, index: number, fromClient: boolean, ipLength: number, tcpFlags: number): void {
    const kind = kindOf[f];
    const v6 = isV6[f] === 1;
    const client = clientOf[f];
    const vlan = vlanOf(client);
    const frameLength = (vlan ? 18 : 14) + ipLength;
    const capturedLength = Math.min(frameLength, snapLen);
    if (pos + RECORD_HEADER_LENGTH + capturedLength > out.length) flush();

    const whole = Math.floor(time);
    const seconds = Math.floor(whole / NS_PER_SECOND);
    u32le(pos, CAPTURE_START_SECONDS + seconds);
    u32le(pos + 4, whole - seconds * NS_PER_SECOND);
    u32le(pos + 8, capturedLength);
    u32le(pos + 12, frameLength);
    let p = pos + RECORD_HEADER_LENGTH;
    out.fill(0, p, p + capturedLength);
    pos = p + capturedLength;

    writeMac(p, fromClient ? -1 : client);
    writeMac(p + 6, fromClient ? client : -1);
    p += 12;
    if (vlan) {
      u16(p, 0x8100);
      u16(p + 2, vlan);
      p += 4;
    }
    u16(p, v6 ? 0x86dd : 0x0800);
    p += 2;

    const protocol = kind === TCP ? 6 : kind === ICMP ? (v6 ? 58 : 1) : 17;
    const tos = kind === RTP ? 0xb8 : 0; // voice is marked EF
    const ttl = fromClient ? 64 : 40 + (serverOf[f] % 20);
    const ipHeaderLength = v6 ? 40 : 20;
    if (v6) {
      u32(p, (0x60000000 | (tos << 20) | ((f * 2654435761) & 0xfffff)) >>> 0); // flow label from the flow id
      u16(p + 4, ipLength - 40);
      out[p + 6] = protocol;
      out[p + 7] = ttl;
      const clientAt = p + (fromClient ? 8 : 24);
      const serverAt = p + (fromClient ? 24 : 8);
      writeV6Address(clientAt, clientV6, client * 4);
      if (isNat64[f]) {
        u32(serverAt, 0x0064ff9b); // 64:ff9b::a.b.c.d, the well-known NAT64 prefix
        u32(serverAt + 12, serverV4[serverOf[f]]);
      } else writeV6Address(serverAt, serverV6, serverOf[f] * 4);
    } else {
      out[p] = 0x45;
      out[p + 1] = tos;
      u16(p + 2, ipLength);
      u16(p + 4, f + index); // IP id: any value that changes
      u16(p + 6, 0x4000); // don't fragment
      out[p + 8] = ttl;
      out[p + 9] = protocol;
      u32(p + (fromClient ? 12 : 16), clientV4[client]);
      u32(p + (fromClient ? 16 : 12), serverV4[serverOf[f]]);
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += (out[p + i] << 8) | out[p + i + 1];
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      u16(p + 10, ~sum & 0xffff);
    }
    p += ipHeaderLength;

    const sourcePort = fromClient ? clientPort[f] : serverPort[f];
    const destinationPort = fromClient ? serverPort[f] : clientPort[f];
    if (kind === TCP) {
      const headerLength = tcpFlags & TCP_FLAG_SYN ? 40 : tcpFlags & TCP_FLAG_RST ? 20 : 32;
      const own = fromClient ? clientSeq : serverSeq;
      u16(p, sourcePort);
      u16(p + 2, destinationPort);
      u32(p + 4, own[f]);
      u32(p + 8, index === 0 ? 0 : (fromClient ? serverSeq : clientSeq)[f]); // the first SYN acknowledges nothing
      out[p + 12] = (headerLength / 4) << 4;
      out[p + 13] = tcpFlags;
      u16(p + 14, 502);
      const tsval = Math.floor(time / MS);
      if (headerLength === 40) {
        u32(p + 20, v6 ? 0x020405a0 : 0x020405b4); // MSS 1440 / 1460
        u16(p + 24, 0x0402); // SACK permitted
        u16(p + 26, 0x080a); // timestamps
        u32(p + 28, tsval);
        u32(p + 36, 0x01030307); // NOP, window scale 7
      } else if (headerLength === 32) {
        u32(p + 20, 0x0101080a); // NOP, NOP, timestamps
        u32(p + 24, tsval);
      }
      const payload = ipLength - ipHeaderLength - headerLength;
      own[f] += payload + (tcpFlags & (TCP_FLAG_SYN | TCP_FLAG_FIN) ? 1 : 0);
    } else if (kind === ICMP) {
      const answer = index & 1 && endingOf[f] !== UNANSWERED;
      out[p] = v6 ? (answer ? 129 : 128) : answer ? 0 : 8; // echo request / reply
      u16(p + 4, clientPort[f]);
      u16(p + 6, endingOf[f] === UNANSWERED ? index : index >> 1);
    } else {
      u16(p, sourcePort);
      u16(p + 2, destinationPort);
      u16(p + 4, ipLength - ipHeaderLength);
      p += 8;
      if (kind === DNS) {
        u16(p, f); // id
        u16(p + 2, fromClient ? 0x0100 : 0x8180); // query, recursion desired / response
        u16(p + 4, 1);
        u16(p + 6, fromClient ? 0 : 1);
      } else if (kind === RTP) {
        out[p] = 0x80; // version 2, payload type 0 (G.711 µ-law)
        u16(p + 2, index >> 1);
        u32(p + 4, (index >> 1) * 160);
        u32(p + 8, (f * 2 + (fromClient ? 0 : 1)) * 2654435761); // SSRC per direction
      } else {
        out[p] = index < 2 ? 0xc3 : 0x41; // QUIC: long header (Initial) first, short after
        if (index < 2) u32(p + 1, 1);
      }
    }

    written++;
    if (!seen[f]) {
      seen[f] = 1;
      connections++;
    }
    if (firstTime < 0) firstTime = time;
    lastTime = time;
  }

  /**
   * Send packet `sent[f]` of flow f at `time` (written only from the capture's
   * start on) and return the gap until the flow's next packet.
   */
  function step(f: number, time: number): number {
    const index = sent[f]++;
    const total = totalOf[f];
    const v6 = isV6[f] === 1;
    const ipHeader = v6 ? 40 : 20;
    let fromClient = true;
    let ipLength = 0;
    let tcpFlags = 0;
    let gap = 0;
    switch (kindOf[f]) {
      case TCP: {
        const ending = endingOf[f];
        const bodyEnd = total - (ending === FIN ? 3 : ending === RST ? 1 : 0);
        const senderIsClient = serverSends[f] === 0;
        if (index < TCP_OPENING) {
          fromClient = index !== 1;
          tcpFlags = index === 0 ? TCP_FLAG_SYN : index === 1 ? TCP_FLAG_SYN | TCP_FLAG_ACK : index === 2 ? TCP_FLAG_ACK : TCP_FLAG_PSH | TCP_FLAG_ACK;
          ipLength = ipHeader + (index < 2 ? 40 : index === 2 ? 32 : 32 + uniformInt(rng, 200, 800));
          gap = index === 0 || index === 3 ? rtt[f] : ackDelay();
        } else if (index < bodyEnd) {
          const last = index === bodyEnd - 1;
          if ((index - TCP_OPENING) % 3 < 2) {
            fromClient = senderIsClient;
            tcpFlags = TCP_FLAG_ACK | (last ? TCP_FLAG_PSH : 0);
            ipLength = last || rng() < 0.1 ? ipHeader + 32 + uniformInt(rng, 50, 1500 - ipHeader - 32) : FULL_SIZE_IP_LENGTH;
          } else {
            fromClient = !senderIsClient;
            tcpFlags = TCP_FLAG_ACK;
            ipLength = ipHeader + 32;
          }
          gap = bodyGap(f, index - TCP_OPENING);
          // many connections stay open, idle, for a while before they are closed
          if (last && ending !== NO_END && rng() < 0.5) gap = logUniform(rng, 1, 60) * NS_PER_SECOND;
        } else if (ending === RST) {
          tcpFlags = TCP_FLAG_RST | TCP_FLAG_ACK;
          ipLength = ipHeader + 20;
        } else {
          const closing = index - bodyEnd; // FIN from the side that sent the data, FIN back, last ACK
          fromClient = closing === 1 ? !senderIsClient : senderIsClient;
          tcpFlags = closing < 2 ? TCP_FLAG_FIN | TCP_FLAG_ACK : TCP_FLAG_ACK;
          ipLength = ipHeader + 32;
          gap = rtt[f] / 2;
        }
        break;
      }
      case DNS:
        fromClient = index === 0;
        ipLength = ipHeader + 8 + (fromClient ? uniformInt(rng, 30, 70) : uniformInt(rng, 60, 250));
        gap = rtt[f] / 4;
        break;
      case QUIC:
        fromClient = index === 0 || (index - 1) % 3 === 2;
        ipLength = ipHeader + 8 + (index === 0 ? 1200 : fromClient ? uniformInt(rng, 30, 60) : uniformInt(rng, 1180, 1232));
        gap = index === 0 ? rtt[f] : bodyGap(f, index - 1);
        break;
      case RTP: // both directions every 20 ms, the answer offset by gapMean, a little jitter
        fromClient = (index & 1) === 0;
        ipLength = ipHeader + 8 + 12 + 160;
        gap = (fromClient ? gapMean[f] : 20 * MS - gapMean[f]) + uniformInt(rng, -200, 200) * 1000;
        break;
      default: {
        const answered = endingOf[f] !== UNANSWERED;
        fromClient = !answered || (index & 1) === 0;
        ipLength = ipHeader + 8 + 56;
        gap = !answered ? NS_PER_SECOND : fromClient ? rtt[f] : NS_PER_SECOND - rtt[f];
      }
    }
    if (time >= 0) writePacket(f, time, index, fromClient, ipLength, tcpFlags);
    return Math.max(gap, 1000); // at least 1 µs: packets of one flow never share a timestamp
  }

  // ---- the replay: a binary min-heap of running flows keyed by nextTime
  const heap = new Int32Array(flowCount);
  let heapSize = 0;
  const siftDown = (at: number) => {
    const f = heap[at];
    const key = nextTime[f];
    for (;;) {
      let child = 2 * at + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && nextTime[heap[child + 1]] < nextTime[heap[child]]) child++;
      if (nextTime[heap[child]] >= key) break;
      heap[at] = heap[child];
      at = child;
    }
    heap[at] = f;
  };
  const push = (f: number) => {
    let at = heapSize++;
    const key = nextTime[f];
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (nextTime[heap[parent]] <= key) break;
      heap[at] = heap[parent];
      at = parent;
    }
    heap[at] = f;
  };

  let nextToStart = 0;
  try {
    while (written < packets) {
      while (nextToStart < flowCount && (heapSize === 0 || startTime[nextToStart] <= nextTime[heap[0]])) {
        startFlow(nextToStart);
        nextTime[nextToStart] = startTime[nextToStart];
        push(nextToStart++);
      }
      if (heapSize === 0) break; // the plan ran out (it is made larger than needed, so only for tiny captures)
      const f = heap[0];
      nextTime[f] += step(f, nextTime[f]);
      if (sent[f] === totalOf[f]) heap[0] = heap[--heapSize];
      if (heapSize > 0) siftDown(0);
    }
    flush();
  } finally {
    closeSync(fd);
  }
  // the finished file appears under its name at once, so a cache never holds half a capture
  renameSync(tempPath, path);
  return { packets: written, bytes, connections, durationSeconds: (lastTime - firstTime) / NS_PER_SECOND };
}

/**
 * Decides yes or no for flows of given sizes so that the yes-flows hold `target`
 * of the packets. A coin per flow would do on average, but with heavy-tailed
 * sizes one big flow moves the share by points; here each decision makes up the
 * running shortfall (randomized rounding), so the share stays on target and a
 * flow's chance is still about `target`.
 */
function shareKeeper(target: number, rng: Random): (packets: number) => boolean {
  let chosen = 0;
  let all = 0;
  return (packets) => {
    const shortfall = target * (all + packets) - chosen;
    const yes = rng() * packets < shortfall;
    all += packets;
    if (yes) chosen += packets;
    return yes;
  };
}

function swap(array: Uint8Array | Int32Array, i: number, j: number): void {
  const t = array[i];
  array[i] = array[j];
  array[j] = t;
}
