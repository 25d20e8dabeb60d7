#!/usr/bin/env python3
"""flood.py URL PATH N [METHOD [BODY]]: N requests on one kept-alive
connection from this address (bounded: issue 15's audit-growth test);
prints how many answers had each status, one "STATUS COUNT" a line."""
import collections
import http.client
import sys
import urllib.parse

url, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
method = sys.argv[4] if len(sys.argv) > 4 else "GET"
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
u = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
seen = collections.Counter()
for i in range(n):
    conn.request(method, path.replace("{i}", str(i)), body=body,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    seen[r.status] += 1
    if r.getheader("Connection", "").lower() == "close":
        conn.close()
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
for s, c in sorted(seen.items()):
    print(s, c)
