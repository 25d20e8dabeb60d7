#!/usr/bin/env python3
"""slow_clients.py HOST PORT SOURCE N HOLD READY OUT: opens N connections
to HOST:PORT from the address SOURCE (loopback: 127.0.0.2 and so on), each
sending a request's first line and then a header line a second, never
ending it, for HOLD seconds (issue 15: slowloris from one address). Writes
READY once all are opened, then OUT with "opened N", "held_after_2s K"
(still open two seconds after READY) and "open_at_end M"."""
import os
import select
import socket
import sys
import time

host, port, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n, hold, ready, out = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6], sys.argv[7]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source, 0))
    try:
        s.connect((host, port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
        s.setblocking(False)
        socks.append(s)
    except OSError:
        s.close()
opened = len(socks)
with open(ready, "w") as f:
    f.write("ready\n")
start = time.monotonic()
open_set = set(socks)
held_after = None
while time.monotonic() - start < hold:
    # a byte now and then: the old idle timeout never fired
    for s in list(open_set):
        try:
            s.send(b"X-Slow: 1\r\n")
        except OSError:
            open_set.discard(s)
    end = time.monotonic() + 1
    while time.monotonic() < end and open_set:
        r, _, _ = select.select(list(open_set), [], [], max(0, end - time.monotonic()))
        for s in r:
            try:
                if s.recv(4096) == b"":
                    open_set.discard(s)
            except OSError:
                open_set.discard(s)
    if held_after is None and time.monotonic() - start >= 2:
        held_after = len(open_set)
    if not open_set:
        break
with open(out + ".tmp", "w") as f:
    f.write("opened %d\nheld_after_2s %d\nopen_at_end %d\n"
            % (opened, held_after if held_after is not None else len(open_set), len(open_set)))
os.rename(out + ".tmp", out)
for s in socks:
    s.close()
