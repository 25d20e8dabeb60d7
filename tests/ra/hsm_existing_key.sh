#!/usr/bin/env bash
# The issuing CA key made beforehand on the HSM (pkcs11-tool on SoftHSM2)
# and named by its CKA_ID: kyso-ra init uses it instead of generating one,
# and the issuing certificate carries that token key.
RA_TEST_SETUP=$(dirname "$0")/setup_softhsm.bash
. "$(dirname "$0")/helpers.bash"

pkcs11-tool --module "$SOFTHSM" --token-label kyso-ca --login --pin "$USER_PIN" \
  --keypairgen --key-type rsa:2048 --id 0a0b0c --label "existing CA key" >/dev/null 2>&1 ||
  fail "pkcs11-tool --keypairgen"
pkcs11-tool --module "$SOFTHSM" --token-label kyso-ca --read-object --type pubkey --id 0a0b0c \
  -o "$W/pub.der" >/dev/null 2>&1 || fail "pkcs11-tool --read-object"
assert_exit 2 "$RA" init --ca-key-id 0a0b0c
assert_exit 2 "$RA" init "${RA_INIT_ARGS[@]}" --ca-key-id 0a0b0
assert_exit 1 "$RA" init "${RA_INIT_ARGS[@]}" --ca-key-id 0d0e0f
rm -rf "$RA_HOME"
ra_init --ca-key-id 0A0B0C
assert_contains "$(cat "$RA_HOME/ra.conf")" "ca_key_id = 0a0b0c"
cmp -s <(openssl x509 -in "$RA_HOME/ca.pem" -noout -pubkey) \
  <(openssl pkey -pubin -inform DER -in "$W/pub.der") || fail "the issuing CA is not the token's key"
ra_serve main
op POST /api/v1/registrations "$PERSON"; expect 201
code=$(mail_value "Activation code")
csr "$W/k.pem" "$W/r.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"T1\"}"
expect 200
jqo .certificate > "$W/c.pem"
openssl verify -CAfile "$RA_HOME/root.pem" -untrusted "$RA_HOME/ca.pem" "$W/c.pem" >/dev/null ||
  fail "a certificate signed by the HSM key does not verify"
curl -fsS "$URL/crl" -o "$W/crl.der"
openssl crl -inform DER -in "$W/crl.der" -CAfile <(cat "$RA_HOME/ca.pem" "$RA_HOME/root.pem") -noout 2>&1 |
  grep -q "verify OK" || fail "the CRL signed by the HSM key does not verify"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
