#!/usr/bin/env bash
# Revocation for the whole chain: with its public URL given at init, the
# issuing CA names the root's CRL and certificate; the server publishes
# both, so openssl verify -crl_check_all can check every link. The root
# CRL is signed again by `kyso-ra root-crl`.
. "$(dirname "$0")/helpers.bash"

PUB=http://ra.example.vn
assert_exit 2 "$RA" init --public-url "ftp://x"
assert_exit 2 "$RA" init --public-url "http://a.vn/x,URI:http://evil"
ra_init --public-url "$PUB"
ra_serve main
t=$(openssl x509 -in "$RA_HOME/ca.pem" -noout -text)
assert_contains "$t" "URI:$PUB/root.crl"
assert_contains "$t" "CA Issuers - URI:$PUB/root.crt"
curl -fsS "$URL/root.crl" -o "$W/root.crl" || fail "GET /root.crl"
curl -fsS "$URL/root.crt" -o "$W/root.der" || fail "GET /root.crt"
cmp -s <(openssl x509 -inform DER -in "$W/root.der") "$RA_HOME/root.pem" || fail "/root.crt"
openssl crl -inform DER -in "$W/root.crl" -CAfile "$RA_HOME/root.pem" -noout 2>&1 |
  grep -q "verify OK" || fail "root CRL signature"
n1=$(openssl crl -inform DER -in "$W/root.crl" -noout -crlnumber | cut -d= -f2)

op POST /api/v1/registrations "$PERSON"; expect 201
rid=$(jqo .id)
code=$(mail_value "Activation code")
csr "$W/k.pem" "$W/r.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"T1\"}"
expect 200
s=$(jqo .serial); jqo .certificate > "$W/c.pem"
assert_contains "$(openssl x509 -in "$W/c.pem" -noout -text)" "URI:$PUB/crl"   # from ra.conf
chain_ok() {
  curl -fsS "$URL/crl" -o "$W/ca.crl"
  openssl verify -crl_check_all -CAfile "$RA_HOME/root.pem" -untrusted "$RA_HOME/ca.pem" \
    -CRLfile <(openssl crl -inform DER -in "$W/root.crl") \
    -CRLfile <(openssl crl -inform DER -in "$W/ca.crl") "$W/c.pem" >/dev/null 2>&1
}
chain_ok || fail "the chain does not verify with both CRLs"
op POST "/api/v1/certificates/$s/revoke" '{"reason":"keyCompromise"}'; expect 200
chain_ok && fail "a revoked certificate passed -crl_check_all"

note "the root CRL is signed again with a higher number"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
assert_exit 0 "$RA" root-crl
n2=$(openssl crl -inform DER -in "$RA_HOME/root.crl" -noout -crlnumber | cut -d= -f2)
[[ "$n1" =~ ^0x[0-9A-Fa-f]+$ && "$n2" =~ ^0x[0-9A-Fa-f]+$ ]] || fail "CRL numbers: $n1 $n2"
[ $((n2)) -gt $((n1)) ] || fail "root CRL number $n2 after $n1"
assert_exit 0 "$RA" root-crl --help
pass
