#!/usr/bin/env bash
# GnuTLS p11tool (through p11-kit's URI handling) lists the kyso token and
# its objects, generates keys on it and signs with them (--test-sign signs,
# then verifies against the key's parameters and the token's public key).
. "$(dirname "$0")/../cli/helpers.bash"

ABS=$(realpath "$MOD")    # p11-kit and p11tool want an absolute path
make_token IP0001 --label "gnutls token"
p11t() { ext p11tool --provider "$ABS" "$@"; }
# p11t_refused WHAT ARGS...: p11tool must refuse, saying WHAT. (Under ASan,
# p11tool hangs in p11-kit's exit handler after an error, with or without
# our module: the time limit ends it, and the message decides.)
p11t_refused() {
  local what=$1; shift
  set +e
  OUT=$(ext timeout 20 p11tool --provider "$ABS" "$@" 2>&1)
  local rc=$?
  set -e
  [ "$rc" != 0 ] || fail "p11tool $* succeeded: $OUT"
  assert_contains "$OUT" "$what"
}
TOK="pkcs11:serial=IP0001"

note "the token as p11tool sees it"
OUT=$(p11t --list-tokens 2>&1) || fail "p11tool --list-tokens: $OUT"
assert_contains "$OUT" "Label: gnutls token"
assert_contains "$OUT" "Manufacturer: kyso"
assert_contains "$OUT" "Model: kyso vToken"
assert_contains "$OUT" "Serial: IP0001"
assert_contains "$OUT" "serial=IP0001;token=gnutls%20token"
OUT=$(p11t --list-token-urls 2>&1) || fail "p11tool --list-token-urls: $OUT"
assert_contains "$OUT" "pkcs11:model=kyso%20vToken;manufacturer=kyso;serial=IP0001;token=gnutls%20token"
OUT=$(p11t --list-mechanisms "$TOK" 2>&1) || fail "p11tool --list-mechanisms: $OUT"
assert_contains "$OUT" "CKM_SHA256_RSA_PKCS"
assert_contains "$OUT" "CKM_ECDSA"

note "the factory PIN refuses key generation"
GNUTLS_PIN=12345678 p11t_refused "PIN expired" --login --batch --generate-privkey=ecdsa \
  --curve=secp256r1 --label=early "$TOK"
change_default_pin IP0001
export GNUTLS_PIN=$USER_PIN

note "key generation on the token"
p11t --login --batch --generate-privkey=rsa --bits=2048 --label=rsa-key --id=01 "$TOK" \
  > "$WORK/rsa-gen.pem" 2>&1 || fail "p11tool RSA key generation: $(cat "$WORK/rsa-gen.pem")"
p11t --login --batch --generate-privkey=ecdsa --curve=secp256r1 --label=ec-key --id=02 "$TOK" \
  > "$WORK/ec-gen.pem" 2>&1 || fail "p11tool EC key generation: $(cat "$WORK/ec-gen.pem")"
grep -q "BEGIN PUBLIC KEY" "$WORK/rsa-gen.pem" || fail "no public key printed for the RSA key"

note "objects: public ones without login, private ones after it"
OUT=$(p11t --list-all "$TOK" 2>&1) || fail "p11tool --list-all: $OUT"
assert_contains "$OUT" "Public key (RSA-2048)"
assert_contains "$OUT" "Public key (EC/ECDSA-SECP256R1)"
assert_not_contains "$OUT" "Private key"
OUT=$(p11t --login --list-all "$TOK" 2>&1) || fail "p11tool --login --list-all: $OUT"
assert_contains "$OUT" "Private key (RSA-2048)"
assert_contains "$OUT" "Private key (EC/ECDSA-SECP256R1)"
assert_contains "$OUT" "CKA_SENSITIVE"
assert_contains "$OUT" "CKA_NEVER_EXTRACTABLE"
assert_contains "$OUT" "id=%01;object=rsa-key;type=private"
OUT=$(p11t --login --list-privkeys --only-urls "$TOK" 2>&1) || fail "p11tool --list-privkeys: $OUT"
[ "$(printf '%s\n' "$OUT" | grep -c 'type=private')" = 2 ] || fail "want 2 private keys, listed: $OUT"

note "a certificate written with p11tool is listed by it and by kyso-token"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/c.key" -subj "/CN=Hoang Van GnuTLS" \
  -days 200 -out "$WORK/c.pem" 2>/dev/null
p11t --login --batch --write --load-certificate "$WORK/c.pem" --label=my-cert --id=03 "$TOK" \
  >/dev/null 2>&1 || fail "p11tool could not write a certificate"
OUT=$(p11t --list-all-certs "$TOK" 2>&1) || fail "p11tool --list-all-certs: $OUT"
assert_contains "$OUT" "Label: my-cert"
assert_contains "$OUT" "Type: X.509 Certificate (RSA-2048)"
p11t --export "$TOK;object=my-cert;type=cert" --outfile "$WORK/c-back.pem" >/dev/null 2>&1 ||
  fail "p11tool --export of the certificate failed"
[ "$(fingerprint "$WORK/c-back.pem")" = "$(fingerprint "$WORK/c.pem")" ] ||
  fail "p11tool read back a different certificate"
assert_exit 0 "$KT" certs --json
jq_ok '.[0].label == "my-cert" and .[0].id == "03" and .[0].subject == "CN=Hoang Van GnuTLS"'

note "signing: RSA PKCS#1 v1.5, RSA-PSS, ECDSA; each verified by p11tool"
for key in rsa-key ec-key; do
  OUT=$(p11t --login --batch --test-sign "$TOK;object=$key;type=private" 2>&1) ||
    fail "p11tool --test-sign $key: $OUT"
  assert_contains "$OUT" "Verifying against public key in the token... ok"
done
OUT=$(p11t --login --batch --test-sign --hash=sha384 "$TOK;object=rsa-key;type=private" 2>&1) ||
  fail "p11tool --test-sign --hash=sha384: $OUT"
assert_contains "$OUT" "Signing using RSA-SHA384... ok"
OUT=$(p11t --login --batch --test-sign --sign-params=rsa-pss "$TOK;object=rsa-key;type=private" 2>&1) ||
  fail "p11tool --test-sign rsa-pss: $OUT"
assert_contains "$OUT" "Signing using RSA-PSS-SHA256... ok"
assert_contains "$OUT" "Verifying against public key in the token... ok"

note "a wrong PIN signs nothing"
GNUTLS_PIN=00000000 p11t_refused "Wrong PIN has been provided" --login --batch --test-sign "$TOK;object=ec-key;type=private"
assert_not_contains "$OUT" "Signing using"
pass
