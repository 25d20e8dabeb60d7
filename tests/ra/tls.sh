#!/usr/bin/env bash
# HTTPS by default: the first start makes a self-signed development
# certificate ($KYSO_HOME/ra/tls.pem), which clients then trust; plain
# HTTP is refused by the HTTPS port.
. "$(dirname "$0")/helpers.bash"

ra_init
pf=$W/port
"$RA" serve --listen 127.0.0.1:0 --port-file "$pf" >"$W/ra.log" 2>&1 &
pid=$!
for i in $(seq 1 600); do [ -s "$pf" ] && break; sleep 0.05; done
[ -s "$pf" ] || { cat "$W/ra.log" >&2; fail "kyso-ra did not start"; }
port=$(cat "$pf")
[ -s "$RA_HOME/tls.pem" ] || fail "no development certificate"
[ "$(stat -c %a "$RA_HOME/tls-key.pem")" = 600 ] || fail "TLS key mode"
curl -fsS --cacert "$RA_HOME/tls.pem" "https://127.0.0.1:$port/ca.pem" -o "$W/chain.pem" ||
  fail "HTTPS with the development certificate"
curl -fsS --cacert "$RA_HOME/tls.pem" "https://localhost:$port/ca.pem" -o /dev/null ||
  fail "HTTPS by the name localhost"
curl -fsS "https://127.0.0.1:$port/ca.pem" -o /dev/null 2>/dev/null &&
  fail "curl trusted the development certificate without --cacert"
curl -fsS "http://127.0.0.1:$port/ca.pem" -o /dev/null 2>/dev/null &&
  fail "plain HTTP answered on the HTTPS port"
api POST "https://127.0.0.1:$port/api/v1/registrations" "$PERSON" --cacert "$RA_HOME/tls.pem" \
  -H "Authorization: Bearer $RA_OP"
expect 201
grep -q "https://127.0.0.1:$port" "$W/ra.log" || fail "the log does not show the URL"
# certificates point at the public URL
kill "$pid"; wait "$pid" || fail "kyso-ra did not stop cleanly"
# the certificate is kept across restarts
sum=$(sha256sum < "$RA_HOME/tls.pem")
"$RA" serve --listen 127.0.0.1:0 --port-file "$pf" --public-url https://ra.example.vn >"$W/ra2.log" 2>&1 &
pid=$!
for i in $(seq 1 600); do grep -qs listening "$W/ra2.log" && break; sleep 0.05; done
assert_eq "$(sha256sum < "$RA_HOME/tls.pem")" "$sum" "the development certificate changed"
assert_contains "$(cat "$W/ra2.log")" "https://ra.example.vn"
kill "$pid"; wait "$pid" || fail "kyso-ra did not stop cleanly"

# IPv6 loopback, where the machine has it
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  rm -f "$pf"
  "$RA" serve --listen "[::1]:0" --insecure-http --port-file "$pf" >"$W/ra6.log" 2>&1 &
  pid=$!
  for i in $(seq 1 600); do [ -s "$pf" ] && break; sleep 0.05; done
  api GET "http://[::1]:$(cat "$pf")/healthz" ''; expect 200
  assert_contains "$(cat "$W/ra6.log")" "http://[::1]:$(cat "$pf")"
  assert_contains "$(cat "$W/ra6.log")" "::1 GET /healthz 200"
  kill "$pid"; wait "$pid" || fail "kyso-ra (IPv6) did not stop cleanly"
  assert_exit 2 "$RA" serve --listen "[::]:0" --insecure-http
fi
pass
