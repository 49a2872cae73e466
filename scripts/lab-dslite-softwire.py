#!/usr/bin/env python3
"""A userspace DS-Lite softwire endpoint (RFC 6333 B4 or AFTR) for flowsig's lab.

This machine's kernel has no ip6tnl (CONFIG_IPV6_TUNNEL is not set, and modules cannot be
loaded), so `ip -6 tunnel add … mode ipip6` fails with "No such device". This script does what
ip6tnl would: IPv4 packets routed into a TUN device are sent to the peer as IPv4-in-IPv6 (next
header 4, a raw IPv6 socket: the kernel writes the outer IPv6 header), and IPv4-in-IPv6 packets
from the peer are written back into the TUN. The wire shows real RFC 2473 4in6 packets.

usage: lab-dslite-softwire.py --tun NAME --local V6 --remote V6
"""
import argparse, fcntl, os, select, socket, struct, sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('--tun', required=True)
    ap.add_argument('--local', required=True)
    ap.add_argument('--remote', required=True)
    a = ap.parse_args()
    tun = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack('16sH', a.tun.encode(), IFF_TUN | IFF_NO_PI))
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_IPIP)
    sock.bind((a.local, 0))
    remote = socket.inet_pton(socket.AF_INET6, a.remote)
    print(f'softwire {a.tun}: {a.local} <-> {a.remote}', file=sys.stderr, flush=True)
    while True:
        ready, _, _ = select.select([tun, sock], [], [])
        if tun in ready:
            pkt = os.read(tun, 65535)
            if pkt and pkt[0] >> 4 == 4:
                try:
                    sock.sendto(pkt, (a.remote, 0))
                except OSError as e:
                    print(f'softwire {a.tun}: send: {e}', file=sys.stderr, flush=True)
        if sock in ready:
            pkt, src = sock.recvfrom(65535)
            if socket.inet_pton(socket.AF_INET6, src[0].split('%')[0]) != remote:
                continue  # not our peer: a softwire is point to point
            if pkt and pkt[0] >> 4 == 4:
                os.write(tun, pkt)


if __name__ == '__main__':
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
