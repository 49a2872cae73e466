#!/usr/bin/env python3
"""The lab's login server: HTTPS on port 443 with a self-signed certificate,
answering every request with a short body. Usage: lab-login-server.py CERT KEY [ADDRESS]"""
import http.server
import ssl
import sys


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


def main() -> None:
    cert, key = sys.argv[1], sys.argv[2]
    address = sys.argv[3] if len(sys.argv) > 3 else "0.0.0.0"
    server = http.server.ThreadingHTTPServer((address, 443), Login)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
