#!/usr/bin/env bash
# Issue 15, "Scale beyond one machine": kyso-ra behind a reverse proxy
# (HAProxy from Debian, on loopback). The client's address comes from the
# proxy's header only when the peer is a configured trusted proxy
# (--trusted-proxy, ra.conf trusted_proxy): a header sent straight to
# kyso-ra is ignored; through the proxy, two client addresses get their
# own rate-limit buckets and the audit shows each of them, not the proxy.
. "$(dirname "$0")/helpers.bash"
command -v haproxy >/dev/null || fail "haproxy is not installed (scripts/deps.sh)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# look ADDR URL [curl options]: an activation lookup with a wrong code
# from the source address ADDR; prints the status.
look() {
  local src=$1 u=$2; shift 2
  curl -sS -o /dev/null -w '%{http_code}' --interface "$src" \
    -H "Content-Type: application/json" --data-binary '{"code":"AAAAA-AAAAA-AAAAA-AAAAA"}' \
    "$@" "$u/api/v1/activation/lookup"
}
# haproxy_start NAME BACKEND_PORT [http-request lines]: HAProxy on a free
# loopback port, connecting to kyso-ra from 127.0.0.3; sets HP_NAME.
haproxy_start() {
  local name=$1 be=$2 port i; shift 2
  port=$(free_port)
  {
    printf 'global\n  maxconn 256\ndefaults\n  mode http\n  timeout connect 5s\n'
    printf '  timeout client 30s\n  timeout server 30s\n  timeout http-request 15s\n'
    printf 'frontend fe\n  bind 127.0.0.1:%s\n' "$port"
    for l in "$@"; do printf '  %s\n' "$l"; done
    printf '  default_backend ra\nbackend ra\n'
    printf '  server ra1 127.0.0.1:%s source 127.0.0.3\n' "$be"
  } >"$W/haproxy-$name.cfg"
  haproxy -db -f "$W/haproxy-$name.cfg" >"$W/haproxy-$name.log" 2>&1 &
  for i in $(seq 1 200); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true) == 200 ]] && break
    sleep 0.05
  done
  printf -v "HP_$name" 'http://127.0.0.1:%s' "$port"
}

ra_init --ca-key-type p256
ra_serve main --rate-limit 3 --trusted-proxy 127.0.0.3
assert_exit 2 "$RA" serve --trusted-proxy proxy.example --listen 127.0.0.1:0 --insecure-http
assert_exit 2 "$RA" serve --trusted-proxy 127.0.0.3 --proxy-header 'X: y' --listen 127.0.0.1:0 --insecure-http

note "a spoofed header from an untrusted peer is ignored"
s=""
for i in 1 2 3 4; do s="$s $(look 127.0.0.2 "$URL" -H "X-Forwarded-For: 10.9.9.$i")"; done
assert_eq "$s" " 404 404 404 429" "four lookups from 127.0.0.2, each claiming another address"
assert_eq "$(sql_q "SELECT group_concat(DISTINCT remote) FROM audit_counts")" 127.0.0.2

note "through HAProxy (trusted): two clients, two buckets, the audit names them"
port=${URL##*:}
haproxy_start xff "$port" "option forwardfor"
[ -n "${HP_xff:-}" ] || fail "haproxy did not start: $(cat "$W/haproxy-xff.log")"
s=""
# the client's own X-Forwarded-For is kept by HAProxy, which appends the
# real one: the right-most untrusted address counts
for i in 1 2 3 4; do s="$s $(look 127.0.0.4 "$HP_xff" -H "X-Forwarded-For: 10.8.8.$i")"; done
assert_eq "$s" " 404 404 404 429" "127.0.0.4 through the proxy"
assert_eq "$(look 127.0.0.5 "$HP_xff")" 404 "127.0.0.5 has a bucket of its own"
api POST "$HP_xff/api/v1/registrations" "$(jq -c '.key_type = "p256"' <<<"$PERSON")" \
  --interface 127.0.0.5 -H "Authorization: Bearer $RA_OP"
expect 201
assert_eq "$(sql_q "SELECT remote FROM audit WHERE action = 'POST /api/v1/registrations'")" 127.0.0.5
assert_eq "$(sql_q "SELECT group_concat(remote, ' ') FROM (SELECT DISTINCT remote FROM audit_counts ORDER BY remote)")" \
  "127.0.0.2 127.0.0.4 127.0.0.5" "the counters' addresses"
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE remote = '127.0.0.4' AND status = 429")" 1
[[ $(cat "$W/ra-main.log") == *"127.0.0.4 POST /api/v1/activation/lookup 429"* ]] ||
  fail "the access log does not name the client: $(tail -n 3 "$W/ra-main.log")"

note "a trusted peer's header on 40 lines: the right-most lines count"
xff=()
for i in $(seq 1 40); do xff+=(-H "X-Forwarded-For: 10.5.5.$i"); done
assert_eq "$(look 127.0.0.3 "$URL" "${xff[@]}")" 404 "40 header lines from the trusted proxy"
assert_eq "$(sql_q "SELECT group_concat(remote) FROM audit_counts WHERE remote LIKE '10.5.5.%'")" \
  10.5.5.40 "the client is the last line's address"

note "ra.conf trusted_proxy and proxy_header = X-Real-IP"
printf 'trusted_proxy = 127.0.0.3\nproxy_header = X-Real-IP\n' >>"$RA_HOME/ra.conf"
ra_serve rip --rate-limit 3
haproxy_start rip "${URL_rip##*:}" "http-request set-header X-Real-IP %[src]"
s=""
for i in 1 2 3 4; do s="$s $(look 127.0.0.6 "$HP_rip" -H "X-Forwarded-For: 10.7.7.$i")"; done
assert_eq "$s" " 404 404 404 429" "127.0.0.6 through the proxy (X-Real-IP)"
assert_eq "$(look 127.0.0.7 "$HP_rip")" 404 "127.0.0.7 has a bucket of its own"
assert_eq "$(look 127.0.0.7 "$URL_rip" -H "X-Real-IP: 127.0.0.6")" 404 "X-Real-IP from an untrusted peer"
assert_eq "$(sql_q "SELECT count(*) FROM audit_counts WHERE remote IN ('127.0.0.3', '10.7.7.1', '10.8.8.1', '10.9.9.1')")" 0
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
