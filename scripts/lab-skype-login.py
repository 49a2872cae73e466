#!/usr/bin/env python3
"""A Skype-like login, as the NAT64 box sees it (scripts/lab run skype --good|--bad).

The model (docs/lab.md, "skype"):

1. Local discovery first: an mDNS query (QU question, PTR _skype._tcp.local)
   sent from the client's link-local address and port 5353 to ff02::fb:5353
   (the client is IPv6-only: it has no IPv4 address at all, not even an IPv4
   link-local one, so it cannot use 224.0.0.251),
   repeated as RFC 6762 §5.2 has a querier do it: at 0 s, 1 s and 3 s (intervals
   of 1 s, then doubled). One socket, so one flow of 3 packets lasting ~3 s.
2. Then up to three HTTPS login attempts to the login server's port 443, from
   consecutive source ports bound explicitly (BASE, BASE+1, BASE+2). Each
   attempt connects (through DNS64/NAT64), sends its TLS ClientHello and waits
   up to --timeout seconds (default 57, what the paper saw) for the handshake
   to finish. While it waits, the kernel's TCP keepalive probes the idle
   connection (the server's kernel ACKs each probe); the client probes less
   often on each attempt (its retry loop backs off): every 6, 9 and 13 s at
   the default 57 s (timeout × 6/57, 9/57, 13/57, rounded), so the attempts
   carry 9, 6 and 4 probes and the client→server flows strictly decreasing
   packet counts (SYN, ACK, ClientHello, the probes, FIN, last ACK: 14, 11, 9
   at 57 s).
   No gap is longer than 15 s, so a flow meter with the default inactive
   timeout keeps each attempt as one flow of ~timeout seconds.
   When the time is up the client closes the connection (FIN); the server
   closes its side too. The first attempt whose handshake completes sends an
   HTTP GET, reads the answer and ends the login.

Exit status 0 when the login succeeded, 1 when every attempt failed.
"""
import argparse
import socket
import ssl
import struct
import sys
import time

# Keepalive interval of each attempt, as a fraction of the timeout: 6, 9 and 13 s at 57 s, so 9, 6 and 4
# probes. Chosen so that neither the last probe nor the one after falls near the timeout: the kernel's
# timer wheel fires each keepalive up to a quarter second late (~0.13 s on average here), and the
# lateness adds up over an attempt.
KEEPALIVE = (6 / 57, 9 / 57, 13 / 57)


def link_local(iface: str, wait: float = 5.0) -> str:
    """The interface's fe80:: address once duplicate address detection has finished with it."""
    deadline = time.monotonic() + wait
    while True:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                addr, _, _, scope, flags, name = line.split()
                # scope 0x20 = link; flag 0x40 = tentative (DAD not finished)
                if name == iface and int(scope, 16) == 0x20 and not int(flags, 16) & 0x40:
                    return ":".join(addr[i:i + 4] for i in range(0, 32, 4))
        if time.monotonic() > deadline:
            raise SystemExit(f"no usable link-local address on {iface}")
        time.sleep(0.1)


def mdns_queries(iface: str, schedule=(0.0, 1.0, 3.0)) -> None:
    # header: id 0, flags 0, 1 question; name _skype._tcp.local, type PTR (12), class IN with the QU bit
    name = b"".join(bytes([len(p)]) + p for p in (b"_skype", b"_tcp", b"local")) + b"\0"
    packet = struct.pack(">HHHHHH", 0, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 12, 0x8001)
    index = socket.if_nametoindex(iface)
    source = link_local(iface)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        # from the link-local address, as mDNS on a link does (and as source address selection would pick
        # for ff02::fb once it has one): binding it keeps all three queries in one flow
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((source, 5353, 0, index))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        started = time.monotonic()
        for at in schedule:
            left = at - (time.monotonic() - started)
            if left > 0:
                time.sleep(left)
            s.sendto(packet, ("ff02::fb", 5353, 0, index))
    finally:
        s.close()


def attempt(host: str, family: int, port: int, source_port: int, timeout: float, keepalive: int) -> bool:
    started = time.monotonic()
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, keepalive)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, keepalive)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 100)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", source_port))
    tls = None
    try:
        s.settimeout(timeout)
        s.connect((host, port))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        tls = ctx.wrap_socket(s, server_hostname="login.lab.example", do_handshake_on_connect=False)
        tls.settimeout(max(0.1, timeout - (time.monotonic() - started)))
        tls.do_handshake()
        tls.settimeout(10)
        tls.sendall(b"GET /login HTTP/1.1\r\nHost: login.lab.example\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := tls.recv(4096):
            reply += chunk
        print(f"attempt from port {source_port}: logged in ({len(reply)} bytes)", file=sys.stderr)
        return True
    except OSError as err:  # socket.timeout and ssl.SSLError are OSErrors
        # an attempt that fails early still holds its place until the timeout, as the client's login loop does
        left = timeout - (time.monotonic() - started)
        if left > 0:
            time.sleep(left)
        print(f"attempt from port {source_port}: gave up after {time.monotonic() - started:.1f} s "
              f"(keepalive every {keepalive} s; {err!r})", file=sys.stderr)
        return False
    finally:
        (tls or s).close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="login server name or address")
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--source-port", type=int, default=40001, help="first of three consecutive source ports")
    ap.add_argument("--timeout", type=float, default=57.0, help="seconds each attempt waits for the TLS handshake (the paper: about 57)")
    ap.add_argument("--mdns-iface", default=None, help="send the mDNS queries on this interface")
    a = ap.parse_args()
    if a.mdns_iface:
        mdns_queries(a.mdns_iface)
        time.sleep(0.5)
    info = socket.getaddrinfo(a.server, a.port, type=socket.SOCK_STREAM)
    family, _, _, _, sockaddr = info[0]
    for i, fraction in enumerate(KEEPALIVE):
        keepalive = max(1, round(a.timeout * fraction))
        if attempt(sockaddr[0], family, a.port, a.source_port + i, a.timeout, keepalive):
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
