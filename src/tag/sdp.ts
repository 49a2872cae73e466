/**
 * SDP (RFC 8866) bodies as carried by SIP: the announced media endpoints.
 * Only what flows need: connection addresses (session and media level), media
 * ports and transport, and the RTP clock rates from a=rtpmap.
 */
import { formatIp, parseIp } from '../flow/addr.js';

export interface SdpMedia {
  /** "audio", "video", "image", … */
  type: string;
  /** canonical address text (as flow records print it) */
  address: string;
  family: 4 | 6;
  port: number;
  /** "RTP/AVP", "udptl", … */
  transport: string;
}

export interface Sdp {
  media: SdpMedia[];
  /** payload type → clock rate, from a=rtpmap lines */
  clockRates: Map<number, number>;
  /** some c= line (session or media level) gives an IPv4 address */
  announcesIpv4: boolean;
}

interface Connection {
  address: string;
  family: 4 | 6;
}

/** c=IN IP4 192.0.2.1 / c=IN IP6 2001:db8::1 (a multicast "/ttl" suffix is dropped); undefined for 0.0.0.0 (hold) or garbage. */
function connection(value: string): Connection | undefined {
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3 || parts[0] !== 'IN') return undefined;
  const text = parts[2].split('/')[0];
  const bytes = parseIp(text);
  if (!bytes) return undefined;
  if (bytes.every((b) => b === 0)) return undefined;
  const family = bytes.length === 4 ? 4 : 6;
  return { address: formatIp(bytes, 0, family), family };
}

export function parseSdp(text: string): Sdp {
  const media: SdpMedia[] = [];
  const clockRates = new Map<number, number>();
  let session: Connection | undefined;
  let announcesIpv4 = false;
  let current: { type: string; port: number; transport: string; conn: Connection | undefined } | undefined;
  const flush = () => {
    if (!current) return;
    const conn = current.conn ?? session;
    if (conn && current.port > 0) media.push({ type: current.type, address: conn.address, family: conn.family, port: current.port, transport: current.transport });
    current = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2);
    switch (line[0]) {
      case 'c': {
        const c = connection(value);
        if (c?.family === 4) announcesIpv4 = true;
        if (current) current.conn = c;
        else session = c;
        break;
      }
      case 'm': {
        flush();
        const [type = '', portText = '', transport = ''] = value.trim().split(/\s+/);
        const port = Number(portText.split('/')[0]);
        current = { type, port: Number.isInteger(port) && port < 65536 ? port : 0, transport, conn: undefined };
        break;
      }
      case 'a': {
        const m = /^rtpmap:(\d+)\s+[^/\s]+\/(\d+)/.exec(value);
        if (m) clockRates.set(Number(m[1]), Number(m[2]));
        break;
      }
    }
  }
  flush();
  return { media, clockRates, announcesIpv4 };
}
