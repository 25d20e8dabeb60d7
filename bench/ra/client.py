#!/usr/bin/env python3
"""Sends JSON POSTs over keep-alive HTTP connections and prints the
requests per second. Usage: client.py URL BODIES_FILE [CONNECTIONS]
BODIES_FILE holds one JSON body per line, each sent once; every answer
must be 200. The bodies are split evenly over the connections."""
import http.client
import sys
import threading
import time
import urllib.parse

url = urllib.parse.urlparse(sys.argv[1])
bodies = [l.rstrip("\n").encode() for l in open(sys.argv[2]) if l.strip()]
nconn = int(sys.argv[3]) if len(sys.argv) > 3 else 1
errors = []


def run(part):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    hdr = {"Content-Type": "application/json"}
    for b in part:
        conn.request("POST", url.path, body=b, headers=hdr)
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            errors.append("HTTP %d: %s" % (r.status, data[:200]))
            return


threads = [threading.Thread(target=run, args=(bodies[i::nconn],))
           for i in range(nconn)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
t = time.perf_counter() - t0
if errors:
    sys.exit(errors[0])
print("%.1f" % (len(bodies) / t))
