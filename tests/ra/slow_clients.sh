#!/usr/bin/env bash
# Issue 15 item 2: 600 slow connections from one loopback address
# (127.0.0.2), each trickling a header line a second, must not take the
# CA offline: from another address (127.0.0.1) the API, OCSP, the CRL and
# the TSA still answer; that one address holds at most --max-per-address
# connections, and none of them outlives the request deadline although it
# keeps sending bytes. Then with --pki-listen: the API's listener full
# (connections from several addresses), OCSP, the CRL and the TSA answer
# on their own listener, which answers nothing else.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main --request-deadline 4 --max-per-address 32
port=${URL##*:}
# a certificate to ask OCSP about, a request for the TSA
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"SL0001\"}"
expect 200
jqo .certificate > "$W/c.pem"
curl -fsS "$URL/ca.pem" -o "$W/chain.pem" || fail "GET /ca.pem"
openssl x509 -in "$W/chain.pem" -out "$W/issuing.pem"
echo "biên bản" > "$W/doc.txt"
openssl ts -query -data "$W/doc.txt" -sha256 -cert -out "$W/q.tsq" 2>/dev/null

note "600 slow connections from 127.0.0.2"
python3 "$(dirname "$0")/slow_clients.py" 127.0.0.1 "$port" 127.0.0.2 600 12 "$W/ready" "$W/slow" &
slow=$!
for _ in $(seq 1 600); do [ -e "$W/ready" ] && break; sleep 0.05; done
[ -e "$W/ready" ] || fail "the slow clients did not start"

note "from 127.0.0.1 everything still answers"
probe() { curl -sS --max-time 10 -o "$W/probe" -w '%{http_code}' "$@"; }
assert_eq "$(probe "$URL/healthz")" 200 "healthz under the flood"
assert_eq "$(probe "$URL/crl")" 200 "CRL under the flood"
assert_eq "$(probe -H "Content-Type: application/timestamp-query" --data-binary @"$W/q.tsq" "$URL/tsa")" 200 "TSA under the flood"
o=$(timeout 20 openssl ocsp -issuer "$W/issuing.pem" -cert "$W/c.pem" -url "$URL/ocsp" -CAfile "$W/chain.pem" 2>&1) ||
  fail "OCSP under the flood: $o"
assert_contains "$o" "$W/c.pem: good"
op GET /api/v1/registrations; expect 200

wait "$slow" || fail "slow_clients.py failed"
cat "$W/slow"
assert_eq "$(sed -n 's/^opened //p' "$W/slow")" 600 "connections opened"
held=$(sed -n 's/^held_after_2s //p' "$W/slow")
[ "$held" -le 32 ] || fail "one address held $held connections"
assert_eq "$(sed -n 's/^open_at_end //p' "$W/slow")" 0 "slow connections that outlived the deadline"
note "the server serves on"
api GET "$URL/healthz" ''; expect 200
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"

note "the API's listener full (many addresses): OCSP, CRL and TSA on their own listener answer"
URL=
ra_serve pki --max-connections 64 --request-deadline 30 --pki-listen 127.0.0.1:0 \
  --pki-port-file "$W/pki-port"
PKI=http://127.0.0.1:$(cat "$W/pki-port")
port=${URL##*:}
pids=()
for a in 3 4 5 6; do
  python3 "$(dirname "$0")/slow_clients.py" 127.0.0.1 "$port" "127.0.0.$a" 40 30 "$W/ready$a" "$W/slow$a" &
  pids+=($!)
done
for a in 3 4 5 6; do
  for _ in $(seq 1 600); do [ -e "$W/ready$a" ] && break; sleep 0.05; done
done
# the API's listener is full: at its limit libmicrohttpd stops accepting,
# so a probe from an address of its own gets no answer (its log's "reached
# connection limit" shows nothing: the per-address limit logs the same)
full=0
for _ in $(seq 1 50); do
  [ "$(curl -s --max-time 1 --interface 127.0.0.8 -o /dev/null -w '%{http_code}' "$URL/healthz" || true)" != 200 ] &&
    { full=1; break; }
  sleep 0.1
done
[ "$full" = 1 ] || fail "the API's listener was not full: the test shows nothing"
assert_eq "$(probe "$PKI/crl")" 200 "CRL on the PKI listener"
assert_eq "$(probe -H "Content-Type: application/timestamp-query" --data-binary @"$W/q.tsq" "$PKI/tsa")" 200 "TSA on the PKI listener"
o=$(timeout 20 openssl ocsp -issuer "$W/issuing.pem" -cert "$W/c.pem" -url "$PKI/ocsp" -CAfile "$W/chain.pem" 2>&1) ||
  fail "OCSP on the PKI listener: $o"
assert_contains "$o" "$W/c.pem: good"
note "the PKI listener answers nothing else"
assert_eq "$(probe -H "Authorization: Bearer $RA_OP" "$PKI/api/v1/registrations")" 404
assert_eq "$(probe -X POST --data-binary '{"code":"x"}' "$PKI/api/v1/activation/lookup")" 404
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
for _ in $(seq 1 200); do
  [ "$(probe "$URL/healthz" 2>/dev/null)" = 200 ] && break
  sleep 0.1
done
api GET "$URL/healthz" ''; expect 200
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
