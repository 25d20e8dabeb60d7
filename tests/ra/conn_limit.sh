#!/usr/bin/env bash
# At --max-connections, a further client waits in the listen backlog and
# is served once a slot frees (here the request deadline cuts the idle
# connections that hold every slot): libmicrohttpd stops accepting at its
# limit. A server that accepted the client only to drop it (an empty
# reply) fails here. With --pki-listen the limit is over both listeners.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main --max-connections 4 --request-deadline 3
port=${URL##*:}
socks() { find /proc/"$PID"/fd -lname 'socket:*' 2>/dev/null | wc -l; }
# hold N &: N idle connections to $port for 30 s, $W/held once all are
# open (exec: $! is the python process, which kill then ends)
hold() {
  exec python3 - 127.0.0.1 "$port" "$W/held" "$1" <<'PY'
import socket, sys, time
host, port, flag, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
held = [socket.create_connection((host, port)) for _ in range(n)]
open(flag, "w").close()
time.sleep(30)
PY
}
before=$(socks)

note "four idle connections take every slot"
hold 4 &
IDLE=$!
for _ in $(seq 1 600); do [ -e "$W/held" ] && [ "$(socks)" -ge $((before + 4)) ] && break; sleep 0.05; done
[ "$(socks)" -ge $((before + 4)) ] || fail "kyso-ra did not take the four connections"
sleep 0.5

note "a fifth client waits, then is answered when the deadline frees a slot"
st=$(curl -sS --max-time 30 -o "$W/probe" -w '%{http_code}' "$URL/healthz" 2>"$W/probe.err") || true
kill "$IDLE" 2>/dev/null; wait "$IDLE" 2>/dev/null || true
assert_eq "$st" 200 "the client over the limit ($(cat "$W/probe.err"))"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"

note "with --pki-listen a quarter of the connections are that listener's"
URL=
ra_serve pki --max-connections 8 --request-deadline 30 --pki-listen 127.0.0.1:0 \
  --pki-port-file "$W/pki-port"
PKI=http://127.0.0.1:$(cat "$W/pki-port")
port=${URL##*:}
before=$(socks)
rm -f "$W/held"
hold 8 &
IDLE=$!
for _ in $(seq 1 600); do [ -e "$W/held" ] && [ "$(socks)" -ge $((before + 6)) ] && break; sleep 0.05; done
sleep 1
assert_eq "$(socks)" $((before + 6)) "connections the API's listener took of 8"
assert_eq "$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$PKI/crl")" 200 "CRL on the PKI listener"
kill "$IDLE" 2>/dev/null; wait "$IDLE" 2>/dev/null || true
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
