#!/usr/bin/env python3
"""A tiny RFC 3161 time-stamp server for the kyso-sign tests: POST a
TimeStampReq, get openssl ts -reply's TimeStampResp. Listens on 127.0.0.1
on a free port, written to argv[2]; argv[1] is the openssl ts config."""
import http.server, os, subprocess, sys, tempfile

CONF, PORTFILE = sys.argv[1], sys.argv[2]

class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        body = self.rfile.read(n)
        if self.headers.get('Content-Type') != 'application/timestamp-query':
            self.send_response(415); self.end_headers(); return
        with tempfile.TemporaryDirectory() as d:
            q, r = os.path.join(d, 'q'), os.path.join(d, 'r')
            open(q, 'wb').write(body)
            p = subprocess.run(['openssl', 'ts', '-reply', '-config', CONF,
                                '-queryfile', q, '-out', r],
                               capture_output=True)
            if p.returncode != 0:
                self.send_response(500); self.end_headers(); return
            data = open(r, 'rb').read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/timestamp-reply')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass

s = http.server.HTTPServer(('127.0.0.1', 0), H)
with open(PORTFILE + '.tmp', 'w') as f:
    f.write(str(s.server_address[1]))
os.rename(PORTFILE + '.tmp', PORTFILE)
s.serve_forever()
