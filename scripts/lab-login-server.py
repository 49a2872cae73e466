#!/usr/bin/env python3
"""The lab's login server: HTTPS on port 443 with a self-signed certificate,
answering every request with a short body.

Usage: lab-login-server.py CERT KEY [--silent ADDRESS ...]

Connections that arrive on a --silent local address (the skype scenario's
login-old.lab.example, 100.64.0.11) are accepted at the TCP level and their
bytes (the client's TLS ClientHello, its keepalives) are read and thrown
away, but nothing is ever sent back at the TLS level: no ServerHello, no
alert. When the client gives up and closes, the server closes too (FIN).
The client's login therefore hangs in the TLS handshake until its own
timeout, as the paper's Skype login did behind NAT64."""
import argparse
import http.server
import socket
import ssl


class Login(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = b'{"login":"ok"}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, ctx: ssl.SSLContext, silent: set[str]):
        super().__init__(address, Login)
        self.ctx = ctx
        self.silent = silent

    def finish_request(self, request, client_address):
        local = request.getsockname()[0]
        if local in self.silent:
            # accept, read, never answer; close when the client does
            request.settimeout(None)
            try:
                while request.recv(65536):
                    pass
            except OSError:
                pass
            return
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--silent", action="append", default=[], help="local address whose connections are never answered")
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    Server((a.bind, 443), ctx, set(a.silent)).serve_forever()


if __name__ == "__main__":
    main()
