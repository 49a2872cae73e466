#!/usr/bin/env python3
"""A Skype-like login, as the NAT64 box sees it (scripts/lab run skype --good|--bad).

1. A brief mDNS query (one QU question for _skype._tcp.local) on the client's link.
2. Up to three HTTPS attempts to the login server's port 443, from consecutive
   source ports bound explicitly (BASE, BASE+1, BASE+2). Attempt k waits
   --timeout / 2^k seconds for the connection (the kernel retransmits the SYN
   meanwhile) and then gives up, so attempts that never complete show
   decreasing SYN counts on the wire (5, 3, 2 with a 5 s timeout on a kernel
   with linear SYN timeouts). The first attempt that completes does a TLS
   handshake and an HTTP GET and ends the login.

Exit status 0 when the login succeeded, 1 when every attempt failed.
"""
import argparse
import errno
import os
import select
import socket
import ssl
import struct
import sys
import time


def mdns_query(iface: str) -> None:
    # header: id 0, flags 0, 1 question; name _skype._tcp.local, type PTR (12), class IN with the QU bit
    name = b"".join(bytes([len(p)]) + p for p in (b"_skype", b"_tcp", b"local")) + b"\0"
    packet = struct.pack(">HHHHHH", 0, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 12, 0x8001)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        index = socket.if_nametoindex(iface)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        s.sendto(packet, ("ff02::fb", 5353, 0, index))
    finally:
        s.close()


def attempt(host: str, family: int, port: int, source_port: int, timeout: float) -> bool:
    started = time.monotonic()
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", source_port))
    s.setblocking(False)
    try:
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, os.strerror(err))
        _, writable, _ = select.select([], [s], [], timeout)
        if not writable:
            raise TimeoutError("no answer")
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err != 0:
            raise OSError(err, os.strerror(err))
        s.setblocking(True)
        s.settimeout(timeout)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(s, server_hostname="login.lab.example") as tls:
            tls.sendall(b"GET /login HTTP/1.1\r\nHost: login.lab.example\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := tls.recv(4096):
                reply += chunk
        print(f"attempt from port {source_port}: logged in ({len(reply)} bytes)", file=sys.stderr)
        return True
    except OSError as err:
        # an attempt that never completes holds its place until the timeout, as the client's login loop does
        left = timeout - (time.monotonic() - started)
        if left > 0:
            time.sleep(left)
        print(f"attempt from port {source_port}: failed after {time.monotonic() - started:.1f} s ({err})", file=sys.stderr)
        return False
    finally:
        s.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="login server name or address")
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--source-port", type=int, default=40001, help="first of three consecutive source ports")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds each attempt is given (the real client: about 57)")
    ap.add_argument("--mdns-iface", default=None, help="send the mDNS query on this interface")
    a = ap.parse_args()
    if a.mdns_iface:
        mdns_query(a.mdns_iface)
        time.sleep(0.2)
    info = socket.getaddrinfo(a.server, a.port, type=socket.SOCK_STREAM)
    family, _, _, _, sockaddr = info[0]
    for i in range(3):
        if attempt(sockaddr[0], family, a.port, a.source_port + i, a.timeout / 2**i):
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
