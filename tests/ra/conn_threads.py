#!/usr/bin/env python3
"""Two keep-alive connections opened at the same moment, each sending
requests for a while: which of kyso-ra's threads did the work (CPU time
from /proc/PID/task, read while both connections are still open).

usage: conn_threads.py HOST PORT PID ROUNDS SECS PATH [BODYFILE CTYPE]
Prints one line per round: the CPU ticks of the threads that worked, the
busiest first, and "balanced" or "one-thread". Exit 0 when every round
was balanced, 1 when one was not, 2 when the server did too little work
to judge in half the rounds or more (or an answer was not 200)."""
import http.client
import os
import sys
import threading
import time

host, port, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rounds, secs, path = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
body = open(sys.argv[7], "rb").read() if len(sys.argv) > 7 else None
ctype = sys.argv[8] if len(sys.argv) > 8 else None
method = "POST" if body is not None else "GET"
headers = {"Content-Type": ctype} if ctype else {}


def ticks():
    out = {}
    base = "/proc/%s/task" % pid
    for tid in os.listdir(base):
        try:
            with open("%s/%s/stat" % (base, tid)) as f:
                st = f.read()
        except OSError:
            continue  # the thread ended meanwhile
        fields = st[st.rindex(")") + 2:].split()
        out[tid] = int(fields[11]) + int(fields[12])  # utime + stime
    return out


def ask(conn):
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise RuntimeError("answer %d" % r.status)


def drive(conn, until, err):
    try:
        while time.monotonic() < until:
            ask(conn)
    except Exception as e:  # noqa: BLE001 (reported, the round fails)
        err.append(repr(e))


worst = 0
judged = 0
for rnd in range(rounds):
    # both connected back to back, before either sends a byte: a thread
    # that accepts for itself may take both
    conns = [http.client.HTTPConnection(host, port, timeout=30)
             for _ in range(2)]
    for c in conns:
        c.connect()
    err = []
    for c in conns:
        ask(c)
    t0 = ticks()
    until = time.monotonic() + secs
    th = [threading.Thread(target=drive, args=(c, until, err))
          for c in conns]
    for t in th:
        t.start()
    for t in th:
        t.join()
    t1 = ticks()  # the connections still open: their threads still live
    for c in conns:
        c.close()
    d = sorted((t1[k] - t0.get(k, 0) for k in t1), reverse=True)
    d = [x for x in d if x > 0]
    if err:
        print("round %d: %s" % (rnd + 1, err[0]))
        worst = max(worst, 2)
        continue
    if sum(d[:2]) < 6:
        print("round %d: too little work to judge: %s" % (rnd + 1, d))
        continue
    judged += 1
    # One thread serving both connections does nearly all the work; two
    # threads share it (the rest: checkpointer, reaper, listener).
    ok = len(d) >= 2 and d[1] * 4 >= d[0]
    print("round %d: ticks %s %s" % (rnd + 1, d,
                                      "balanced" if ok else "one-thread"))
    if not ok:
        worst = max(worst, 1)
if worst == 0 and judged * 2 < rounds:
    worst = 2
sys.exit(worst)
