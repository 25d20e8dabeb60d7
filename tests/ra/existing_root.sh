#!/usr/bin/env bash
# An issuing CA under an existing root: init signs the issuing CA with the
# root's key once and keeps only the root certificate; the issuing CA
# names the root owner's CRL (--root-crl) and our copy of the root
# (caIssuers); what the server issues verifies against that root.
. "$(dirname "$0")/helpers.bash"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$W/root.key" 2>/dev/null
openssl req -x509 -new -key "$W/root.key" -subj "/C=VN/O=Bộ Thử/CN=Thử Root CA" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$W/root.pem"
openssl req -x509 -new -key "$W/root.key" -subj "/CN=not a CA" -days 30 \
  -addext "basicConstraints=critical,CA:FALSE" -out "$W/leaf.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/other.key" 2>/dev/null

assert_exit 2 "$RA" init --root-cert "$W/root.pem"
assert_exit 1 "$RA" init --root-cert "$W/root.pem" --root-key "$W/other.key"
assert_exit 1 "$RA" init --root-cert "$W/leaf.pem" --root-key "$W/root.key"
assert_exit 2 "$RA" init --root-crl http://crl.bo-thu.vn/root.crl
assert_exit 2 "$RA" init --root-cert "$W/root.pem" --root-key "$W/root.key" --root-crl "ftp://x"
rm -rf "$RA_HOME"
ra_init --root-cert "$W/root.pem" --root-key "$W/root.key" \
  --root-crl http://crl.bo-thu.vn/root.crl --public-url http://ra.bo-thu.vn
ext=$(openssl x509 -in "$RA_HOME/ca.pem" -noout -ext crlDistributionPoints,authorityInfoAccess)
assert_contains "$ext" "URI:http://crl.bo-thu.vn/root.crl"
assert_contains "$ext" "CA Issuers - URI:http://ra.bo-thu.vn/root.crt"
cmp -s "$RA_HOME/root.pem" <(openssl x509 -in "$W/root.pem") || fail "root.pem is not the given root"
[ ! -e "$RA_HOME/root-key.pem" ] || fail "the existing root's key was copied"
openssl verify -CAfile "$W/root.pem" "$RA_HOME/ca.pem" >/dev/null || fail "issuing CA not under the root"
# the issuing CA ends no later than its root
[ "$(date -d "$(openssl x509 -in "$RA_HOME/ca.pem" -noout -enddate | cut -d= -f2)" +%s)" -le \
  "$(date -d "$(openssl x509 -in "$W/root.pem" -noout -enddate | cut -d= -f2)" +%s)" ] ||
  fail "issuing CA outlives its root"
ra_serve main
op POST /api/v1/registrations "$PERSON"; expect 201
code=$(mail_value "Activation code")
csr "$W/k.pem" "$W/r.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"T1\"}"
expect 200
jqo .certificate > "$W/c.pem"
jqo '.chain[0]' > "$W/issuing.pem"
openssl verify -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" "$W/c.pem" >/dev/null ||
  fail "the certificate does not verify against the existing root"
jqo '.chain[1]' | openssl x509 | cmp -s - <(openssl x509 -in "$W/root.pem") || fail "chain[1] is not the root"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
