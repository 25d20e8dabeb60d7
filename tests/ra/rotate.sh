#!/usr/bin/env bash
# Issue 15 item 11: the OCSP responder's and the TSA's certificates can be
# renewed (`kyso-ra rotate ocsp|tsa`: a new key and certificate under the
# issuing CA; the old certificate kept), they are in the certificates
# table, so `revoke` reaches them and the CRL lists them, and the TSA's
# names the CRL and OCSP as a subscriber's does. A database made before
# (certificates.registration_id NOT NULL, no service rows) is upgraded.
# With the CA key on a token (rotate_softhsm.sh) the new keys are made on
# that token, not in files. openssl ts / ocsp / crl check everything.
. "$(dirname "$0")/helpers.bash"
pin=()
[ -n "${RA_CA_PIN_FILE:-}" ] && pin=(--ca-pin-file "$RA_CA_PIN_FILE")

PUB=http://ra.example.test
ra_init --ca-key-type p256 --public-url "$PUB"

note "the TSA certificate names the CRL and OCSP (CRL DP, AIA)"
txt=$(openssl x509 -in "$RA_HOME/tsa.pem" -noout -text)
assert_contains "$txt" "URI:$PUB/crl"
assert_contains "$txt" "OCSP - URI:$PUB/ocsp"
assert_contains "$txt" "CA Issuers - URI:$PUB/ca.crt"
assert_contains "$txt" "Time Stamping"

note "a database from before: certificates.registration_id NOT NULL, no service rows"
sql_q "DROP TABLE certificates"
sql_q "CREATE TABLE certificates (serial TEXT PRIMARY KEY,
  registration_id BIGINT NOT NULL REFERENCES registrations(id),
  not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, status TEXT NOT NULL,
  revoked_at BIGINT, reason INTEGER, token_serial TEXT, pem TEXT NOT NULL,
  created_at BIGINT NOT NULL)"
sql_q "CREATE INDEX certificates_reg ON certificates(registration_id)"
ra_serve main
assert_eq "$(sql_q "SELECT purpose FROM certificates WHERE registration_id IS NULL ORDER BY purpose" | tr '\n' ' ')" "ocsp tsa "
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//'; }
tsa0=$(serial "$RA_HOME/tsa.pem")
ocsp0=$(serial "$RA_HOME/ocsp.pem")
assert_eq "$(sql_q "SELECT status FROM certificates WHERE serial = '$tsa0'")" good

curl -fsS "$URL/ca.pem" -o "$W/ca.pem"
openssl x509 -in "$RA_HOME/root.pem" -out "$W/root.pem"
echo "hợp đồng số 15" > "$W/doc.txt"
# stamp OUT: a time-stamp (the reply names no certificate: the verifier
# must be given the TSA's)
stamp() {
  openssl ts -query -data "$W/doc.txt" -sha256 -out "$W/q.tsq" 2>/dev/null
  curl -fsS -H "Content-Type: application/timestamp-query" --data-binary @"$W/q.tsq" \
    "$URL/tsa" -o "$1" || fail "POST /tsa"
}
# ts_ok TSR TSACERT: openssl ts -verify with that TSA certificate
ts_ok() {
  cat "$W/ca.pem" "$2" > "$W/untrusted.pem"
  TS_OUT=$(ext openssl ts -verify -in "$1" -data "$W/doc.txt" -CAfile "$W/root.pem" \
    -untrusted "$W/untrusted.pem" 2>&1) || true
  [[ $TS_OUT == *"Verification: OK"* ]]
}
stamp "$W/old.tsr"
ts_ok "$W/old.tsr" "$RA_HOME/tsa.pem" || fail "the first time-stamp does not verify"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"; URL=

note "rotate tsa: a new key and certificate, the old certificate kept"
key0=$(sha256sum < "$RA_HOME/tsa-key.pem")
if [ -n "${RA_TEST_HSM:-}" ]; then
  assert_exit 2 "$RA" rotate tsa   # the CA key is on the token: its PIN
fi
assert_exit 0 "$RA" rotate tsa "${pin[@]}"
assert_contains "$OUT" "the old one ($tsa0) is kept as tsa-$tsa0.pem"
tsa1=$(serial "$RA_HOME/tsa.pem")
[ "$tsa1" != "$tsa0" ] || fail "rotate tsa kept the serial"
if [ -n "${RA_TEST_HSM:-}" ]; then
  note "the new TSA key is on the CA's token: no key file, its id in ra.conf"
  [ ! -e "$RA_HOME/tsa-key.pem" ] || fail "a TSA key file beside a key on the token"
  id=$(sed -n 's/^tsa_key_id = //p' "$RA_HOME/ra.conf")
  [[ $id =~ ^[0-9a-f]{32}$ ]] || fail "ra.conf's tsa_key_id: '$id'"
  objs=$(pkcs11-tool --module "$SOFTHSM" --token-label kyso-ca --login --pin "$USER_PIN" \
    --list-objects --type privkey 2>/dev/null)
  assert_contains "$objs" "kyso-ra TSA"
  assert_contains "$objs" "ID:         $id"
else
  [ "$(sha256sum < "$RA_HOME/tsa-key.pem")" != "$key0" ] || fail "rotate tsa kept the key"
fi
assert_eq "$(serial "$RA_HOME/tsa-$tsa0.pem")" "$tsa0"
[[ $(openssl verify -CAfile "$W/root.pem" -untrusted "$W/ca.pem" "$RA_HOME/tsa.pem") == *OK* ]] ||
  fail "the new TSA certificate does not chain to the root"
assert_contains "$(openssl x509 -in "$RA_HOME/tsa.pem" -noout -text)" "URI:$PUB/crl"
assert_eq "$(sql_q "SELECT status || ' ' || purpose FROM certificates WHERE serial = '$tsa1'")" "good tsa"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE actor = 'cli' AND action = 'rotate tsa'")" 1

note "rotate ocsp too"
assert_exit 0 "$RA" rotate ocsp "${pin[@]}"
ocsp1=$(serial "$RA_HOME/ocsp.pem")
[ "$ocsp1" != "$ocsp0" ] || fail "rotate ocsp kept the serial"
assert_contains "$(openssl x509 -in "$RA_HOME/ocsp.pem" -noout -text)" "OCSP No Check"

ra_serve main
note "new time-stamps verify with the new certificate, not the old; the old one still verifies"
stamp "$W/new.tsr"
ts_ok "$W/new.tsr" "$RA_HOME/tsa.pem" || fail "a new time-stamp does not verify with the new TSA certificate: $TS_OUT"
ts_ok "$W/new.tsr" "$RA_HOME/tsa-$tsa0.pem" && fail "a new time-stamp verifies with the old certificate"
ts_ok "$W/old.tsr" "$RA_HOME/tsa-$tsa0.pem" || fail "the old time-stamp does not verify after the rotation"

note "revoke the old TSA certificate: the CRL lists it, OCSP (the new responder) says revoked"
op POST "/api/v1/certificates/$tsa0/revoke" '{"reason":"keyCompromise"}'; expect 200
curl -fsS "$URL/crl" -o "$W/crl.der"
crl=$(openssl crl -inform DER -in "$W/crl.der" -noout -text)
assert_contains "$crl" "$(tr a-f A-F <<<"$tsa0")"
assert_not_contains "$crl" "$(tr a-f A-F <<<"$tsa1")"
cat "$W/ca.pem" "$W/root.pem" > "$W/chain.pem"
o=$(openssl ocsp -issuer "$W/ca.pem" -cert "$RA_HOME/tsa-$tsa0.pem" -url "$URL/ocsp" \
  -CAfile "$W/chain.pem" 2>&1) || fail "openssl ocsp: $o"
assert_contains "$o" "Response verify OK"
assert_contains "$o" ": revoked"
o=$(openssl ocsp -issuer "$W/ca.pem" -cert "$RA_HOME/tsa.pem" -url "$URL/ocsp" \
  -CAfile "$W/chain.pem" 2>&1) || fail "openssl ocsp: $o"
assert_contains "$o" ": good"
op POST "/api/v1/certificates/$tsa0/revoke" '{}'; expect 409 already_revoked
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"; URL=

note "serve says when the current TSA certificate is revoked"
sql_q "UPDATE certificates SET status = 'revoked', revoked_at = 1, reason = 1 WHERE serial = '$tsa1'"
ra_serve main
assert_contains "$(cat "$W/ra-main.log")" "the tsa certificate (serial $tsa1) is revoked: run kyso-ra rotate tsa"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"; URL=

if [ -z "${RA_TEST_HSM:-}" ]; then
  note "serve warns when a service certificate ends within 180 days"
  # the responder's key certified again by the issuing CA, for 30 days
  openssl x509 -x509toreq -in "$RA_HOME/ocsp.pem" -signkey "$RA_HOME/ocsp-key.pem" \
    -out "$W/ocsp.csr" 2>/dev/null
  openssl x509 -req -in "$W/ocsp.csr" -CA "$RA_HOME/ca.pem" -CAkey "$RA_HOME/ca-key.pem" \
    -days 30 -copy_extensions copy -set_serial 0x5a5a -out "$RA_HOME/ocsp.pem" 2>/dev/null ||
    fail "openssl x509 -req"
  ra_serve main
  [[ $(cat "$W/ra-main.log") =~ "warning: the ocsp certificate (serial 5a5a) expires in "(29|30)" days: run kyso-ra rotate ocsp" ]] ||
    fail "no warning for the ending OCSP certificate: $(cat "$W/ra-main.log")"
  assert_eq "$(sql_q "SELECT purpose FROM certificates WHERE serial = '5a5a'")" ocsp
  api GET "$URL/healthz" ''; expect 200
  [[ $(jqo .ocsp_days_left) =~ ^(29|30)$ ]] || fail "healthz ocsp_days_left: $OUT"
  [ "$(jqo .tsa_days_left)" -gt 1000 ] || fail "healthz tsa_days_left: $OUT"
  kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
fi

assert_exit 2 "$RA" rotate
assert_exit 2 "$RA" rotate root
assert_exit 2 "$RA" rotate tsa --public-url 'ftp://x'
pass
