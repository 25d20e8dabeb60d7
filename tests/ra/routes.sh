#!/usr/bin/env bash
# The route table: a known path with a wrong method answers 405 with an
# Allow header (after the caller the route asks for is checked); an
# unknown path still answers 404; public paths answer as before.
. "$(dirname "$0")/helpers.bash"

ra_init
ra_serve main

# allow: the Allow header of the last call (curl -D "$W/hdr").
allow() { tr -d '\r' <"$W/hdr" | sed -n 's/^[Aa]llow: //p'; }
# opd METHOD PATH: an operator call without a body, keeping the headers.
opd() { api "$1" "$URL$2" '' -H "Authorization: Bearer $RA_OP" -D "$W/hdr"; }

note "wrong methods on known paths: 405 with Allow"
api GET "$URL/api/v1/activation/lookup" "" -D "$W/hdr"; expect 405 method_not_allowed
assert_eq "$(allow)" "POST" "Allow of activation/lookup"
# common/mhd.c's headers, on every answer of every kyso server.
hdrs=$(tr -d '\r' <"$W/hdr")
assert_contains "$hdrs" "Content-Type: application/json"
assert_contains "$hdrs" "Cache-Control: no-store"
assert_contains "$hdrs" "X-Content-Type-Options: nosniff"
opd DELETE /api/v1/registrations; expect 405 method_not_allowed
assert_eq "$(allow)" "GET, POST" "Allow of registrations"
opd GET /api/v1/registrations/1/renew; expect 405 method_not_allowed
assert_eq "$(allow)" "POST" "Allow of registrations/*/renew"
api POST "$URL/ca.pem" '' -D "$W/hdr"; expect 405 method_not_allowed
assert_eq "$(allow)" "GET" "Allow of /ca.pem"
api GET "$URL/ocsp" '' -D "$W/hdr"; expect 405 method_not_allowed
assert_eq "$(allow)" "POST" "Allow of /ocsp"
api POST "$URL/ocsp/MAA=" '' -D "$W/hdr"; expect 405 method_not_allowed
assert_eq "$(allow)" "GET" "Allow of /ocsp/..."

note "the caller is checked first: an anonymous operator call is 401"
api DELETE "$URL/api/v1/registrations" ''; expect 401 unauthorized
# the operators' two as rows, the subscriber's counted (issue 15)
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE status = 405")" 2 \
  "the operators' 405s on /api/v1/ are audited"
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE status = 405")" 1 \
  "the subscriber's 405 is counted"

note "unknown paths: 404, without Allow"
opd GET /api/v1/nothing; expect 404 not_found
assert_eq "$(allow)" "" "no Allow on a 404"
op GET /api/v1/registrations/1/frob; expect 404 not_found
api GET "$URL/api/v1/nothing" ''; expect 401 unauthorized
sub POST /api/v1/activation/frob '{}'; expect 404 not_found
api GET "$URL/nothing" ''; expect 404 not_found
api GET "$URL/ca.pem/x" ''; expect 404 not_found

note "public paths"
api GET "$URL/healthz" ''; expect 200
assert_eq "$(jqo .status)" ok "healthz"
api GET "$URL/ca.pem" ''; expect 200
assert_contains "$OUT" "BEGIN CERTIFICATE"
for p in ca.crt root.crt root.crl crl; do
  curl -sS -o "$W/$p" -w '%{http_code}' "$URL/$p" >"$W/st" || fail "GET /$p"
  assert_eq "$(cat "$W/st")" 200 "GET /$p"
done
openssl x509 -inform DER -in "$W/ca.crt" -noout || fail "/ca.crt is no DER certificate"
openssl crl -inform DER -in "$W/root.crl" -noout || fail "/root.crl is no DER CRL"
openssl ocsp -issuer "$RA_HOME/ca.pem" -serial 0x01 -reqout "$W/req.der" -no_nonce >/dev/null 2>&1 ||
  fail "openssl ocsp -reqout"
b64=$(base64 -w0 <"$W/req.der")
curl -sS -o "$W/resp.der" -w '%{http_code}' "$URL/ocsp/$(jq -rn --arg s "$b64" '$s|@uri')" >"$W/st" ||
  fail "GET /ocsp/"
assert_eq "$(cat "$W/st")" 200 "GET /ocsp/<base64>"
openssl ocsp -respin "$W/resp.der" -resp_text -noverify 2>/dev/null | grep -q "Cert Status: unknown" ||
  fail "the OCSP answer by GET does not say unknown"
pass
