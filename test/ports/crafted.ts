/**
 * A tiny hand-made capture whose bindings can be worked out on paper
 * (timeouts tcp=100s, tcp-transitory=20s, udp=30s, icmp=10s):
 *
 *   b1 tcp  40000 → 198.51.100.1:443   SYN 0, SYN-ACK 1, ACK 2, FIN 12   https  [0, 32)   FIN: transitory
 *   b2 udp  50000 → 8.8.8.8:53         5, reply 5.5                       dns    [5, 35.5)
 *   b3 icmp echo id 7 → 198.51.100.9   15                                 other  [15, 25)
 *   b4 tcp  40001 → 198.51.100.2:80    SYN 16, never answered             http   [16, 36)
 *   b5 udp  50000 → 8.8.8.8:53         40: b2 expired, the port counts again   dns [40, 70)
 *   b6 tcp  40002 → 198.51.100.1:8080  ACK 41 (already open)              http   [41, 141)
 *   b7 tcp  40003 ← 203.0.113.5:22     ACK 42 from the server: inside is the end without a well-known port  other [42, 142)
 *   —  tcp  40004 → 198.51.100.1:443   RST 45 first: no binding
 *   —  udp  5353 → 224.0.0.251         46 multicast: no binding
 *   b8 udp  50001 → 1.1.1.1:853        50 (last packet)                   dns    [50, 80)
 *
 * Samples at 0,10,…,50 s: totals 1 2 4 3 1 4; exact peak 4 first at 16 s.
 */
import { createPcapWriter } from '../../src/capture/pcap-write.js';
import { ethernet, ipv4, tcp, udp, u16 } from '../decode/build.js';

export const T0 = 1_700_000_000_000;
export const HOST = '192.168.1.10';
export const CRAFTED_TIMEOUTS = 'tcp=100s,tcp-transitory=20s,udp=30s,icmp=10s';
const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const RST = 0x04;

export function craftedCapture(): Buffer {
  const w = createPcapWriter({ linkType: 1 });
  const put = (s: number, bytes: number[]) => {
    const b = Buffer.from(bytes);
    w.packet(b, 0, b.length, b.length, T0 + s * 1000, 0, 1);
  };
  const v4 = (src: string, dst: string, proto: number, l4: number[]) => ethernet(0x0800, ipv4({ src, dst, proto }, l4));
  put(0, v4(HOST, '198.51.100.1', 6, tcp(40000, 443, SYN, [])));
  put(1, v4('198.51.100.1', HOST, 6, tcp(443, 40000, SYN | ACK, [])));
  put(2, v4(HOST, '198.51.100.1', 6, tcp(40000, 443, ACK, [])));
  put(5, v4(HOST, '8.8.8.8', 17, udp(50000, 53, [1, 2, 3, 4])));
  put(5.5, v4('8.8.8.8', HOST, 17, udp(53, 50000, [1, 2, 3, 4])));
  put(12, v4(HOST, '198.51.100.1', 6, tcp(40000, 443, FIN | ACK, [])));
  put(15, v4(HOST, '198.51.100.9', 1, [8, 0, 0, 0, ...u16(7), ...u16(1), 0xab, 0xab]));
  put(16, v4(HOST, '198.51.100.2', 6, tcp(40001, 80, SYN, [])));
  put(40, v4(HOST, '8.8.8.8', 17, udp(50000, 53, [1, 2, 3, 4])));
  put(41, v4(HOST, '198.51.100.1', 6, tcp(40002, 8080, ACK, [1])));
  put(42, v4('203.0.113.5', HOST, 6, tcp(22, 40003, ACK, [1])));
  put(45, v4(HOST, '198.51.100.1', 6, tcp(40004, 443, RST, [])));
  put(46, v4(HOST, '224.0.0.251', 17, udp(5353, 5353, [0])));
  put(50, v4(HOST, '1.1.1.1', 17, udp(50001, 853, [1])));
  return Buffer.from(w.toBuffer());
}
