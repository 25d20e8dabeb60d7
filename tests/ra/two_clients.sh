#!/usr/bin/env bash
# Two clients that connect at the same moment are served side by side:
# a request held up (here a completion waiting for the database's write
# lock, which sqlite3 holds from outside) must not hold up the other
# connection's request. kyso-ra's acceptor hands connections to
# libmicrohttpd's threads by descriptor; when those threads accepted for
# themselves, one of them often took both connections, and the second
# request waited for the first (issue 15: some bench runs at half rate).
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main
pending_p256 TC1
printf '%s' "$req" >"$W/req.json"

mkfifo "$W/go"
python3 - "$RA_HOME/ra.db" "$W/locked" "$W/go" <<'PY' &
import sqlite3, sys
db, locked, go = sys.argv[1:]
c = sqlite3.connect(db, isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open(locked, "w").close()
open(go).read()
c.execute("ROLLBACK")
PY
LOCK=$!
for _ in $(seq 1 600); do [ -e "$W/locked" ] && break; sleep 0.05; done
[ -e "$W/locked" ] || fail "sqlite3 did not take the write lock"

# The client: both connections open before either request is sent; A's
# completion, then (once kyso-ra waits for the lock) B's /healthz, whose
# answer must come while A's is still held up. The 20 s bound only turns
# a hang into a failure; no time is judged.
python3 - "${URL#http://}" "$W" <<'PY' &
import os, socket, sys, time
host, w = sys.argv[1], sys.argv[2]
h, p = host.rsplit(":", 1)
a = socket.create_connection((h, int(p)))
b = socket.create_connection((h, int(p)))
body = open(os.path.join(w, "req.json"), "rb").read()
a.sendall(b"POST /api/v1/activation/complete HTTP/1.1\r\nHost: " + host.encode() +
          b"\r\nContent-Type: application/json\r\nContent-Length: " +
          str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
open(os.path.join(w, "a_sent"), "w").close()
while not os.path.exists(os.path.join(w, "busy")):
    time.sleep(0.02)
b.sendall(b"GET /healthz HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
b.settimeout(20)
got = b""
try:
    while True:
        d = b.recv(65536)
        if not d:
            break
        got += d
except socket.timeout:
    pass
a.setblocking(False)
try:
    early = a.recv(1)
except BlockingIOError:
    early = b""
with open(os.path.join(w, "b_answer"), "wb") as f:
    f.write(got)
with open(os.path.join(w, "a_early"), "wb") as f:
    f.write(early)
open(os.path.join(w, "b_done"), "w").close()
a.setblocking(True)
a.settimeout(60)
got = b""
while True:
    d = a.recv(65536)
    if not d:
        break
    got += d
with open(os.path.join(w, "a_answer"), "wb") as f:
    f.write(got)
PY
CLIENT=$!
for _ in $(seq 1 600); do [ -e "$W/a_sent" ] && break; sleep 0.05; done
ra_wait_busy "$PID" || fail "the completion never waited for the write lock"
touch "$W/busy"
for _ in $(seq 1 600); do [ -e "$W/b_done" ] && break; sleep 0.05; done
[ -e "$W/b_done" ] || fail "the client did not finish its second request"

note "the second connection is answered while the first waits"
[[ $(head -c 12 "$W/b_answer") == "HTTP/1.1 200" ]] ||
  fail "GET /healthz on the second connection was not answered while the first request waited: $(head -c 200 "$W/b_answer")"
[ ! -s "$W/a_early" ] || fail "the first request was answered before the lock was let go"
ra_in_busy "$PID" || fail "the first request stopped waiting for the lock before it was let go"

note "the lock let go, the first request is answered"
echo go >"$W/go"
wait "$LOCK" || fail "sqlite3 failed"
wait "$CLIENT" || fail "the client failed"
[[ $(head -c 12 "$W/a_answer") == "HTTP/1.1 200" ]] || fail "the completion failed: $(head -c 300 "$W/a_answer")"
[[ $(cat "$W/a_answer") == *'"serial"'* ]] || fail "the completion's answer holds no certificate"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
