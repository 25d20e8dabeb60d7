#!/usr/bin/env python3
"""Sends N JSON POSTs over one keep-alive HTTP connection and prints the
requests per second. Usage: client.py URL BODIES_FILE
BODIES_FILE holds one JSON body per line; every answer must be 200."""
import http.client
import sys
import time
import urllib.parse

url = urllib.parse.urlparse(sys.argv[1])
bodies = [l.rstrip("\n").encode() for l in open(sys.argv[2]) if l.strip()]
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
hdr = {"Content-Type": "application/json"}
t0 = time.perf_counter()
for b in bodies:
    conn.request("POST", url.path, body=b, headers=hdr)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("HTTP %d: %s" % (r.status, data[:200]))
t = time.perf_counter() - t0
print("%.1f" % (len(bodies) / t))
