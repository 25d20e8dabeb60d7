#!/usr/bin/env bash
# pkcs11-tool (OpenSC) drives the module: its self test, its EC test
# (--test-ec), key generation, signing, certificate write; and the
# factory PIN blocks signing until it is changed.
. "$(dirname "$0")/../lib.sh"

make_token PT0001 --label "pkcs11-tool"
p11() { ext pkcs11-tool --module "$MOD" "$@"; }

note "factory PIN: login works, key generation is refused"
assert_exit 1 p11 --login --pin 12345678 --keypairgen --key-type EC:prime256v1 --id 01
assert_contains "$OUT" "CKR_PIN_EXPIRED"

change_default_pin PT0001

note "key pairs generated on the token"
p11 --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 --id 01 --label rsa >/dev/null
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 02 --label ec >/dev/null

note "pkcs11-tool --test"
out=$(p11 --login --pin "$USER_PIN" --test 2>&1)
assert_contains "$out" "No errors"

note "pkcs11-tool --test-ec on a R/W session (a C_SignFinal after a C_Sign kept by"
note "a short buffer ends the operation: it signs again after it)"
out=$(p11 --login --pin "$USER_PIN" --session-rw --test-ec --id 0e --key-type EC:prime256v1 2>&1) \
  || fail "pkcs11-tool --test-ec: $out"
assert_contains "$out" "==> OK"

note "sign with the RSA key, verify with openssl and the exported public key"
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
head -c 10000 /dev/urandom > "$tmp/data"
p11 --login --pin "$USER_PIN" --sign --id 01 -m SHA256-RSA-PKCS -i "$tmp/data" -o "$tmp/sig" >/dev/null 2>&1
p11 --read-object --type pubkey --id 01 -o "$tmp/pub.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$tmp/pub.der" -out "$tmp/pub.pem"
openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig" "$tmp/data" | grep -q "Verified OK" \
  || fail "openssl did not verify the token's RSA signature"
printf 'x' >> "$tmp/data"
if openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig" "$tmp/data" >/dev/null 2>&1; then
  fail "a changed file still verified"
fi

note "ECDSA P-256, signature in DER for openssl"
head -c 5000 /dev/urandom > "$tmp/data2"
p11 --login --pin "$USER_PIN" --sign --id 02 -m ECDSA-SHA256 --signature-format openssl \
  -i "$tmp/data2" -o "$tmp/sig2" >/dev/null 2>&1
# (pkcs11-tool 0.23 frees too early when it writes an EC public key out:
# GnuTLS's p11tool exports it instead.)
GNUTLS_PIN=$USER_PIN ext p11tool --provider "$(realpath "$MOD")" --login \
  --export-pubkey "pkcs11:serial=PT0001;id=%02;type=public" --outfile "$tmp/pub2.pem" >/dev/null 2>&1
openssl dgst -sha256 -verify "$tmp/pub2.pem" -signature "$tmp/sig2" "$tmp/data2" | grep -q "Verified OK" \
  || fail "openssl did not verify the token's ECDSA signature"

note "certificate write and read back"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -subj "/CN=Nguyen Van A" \
  -days 365 -outform DER -out "$tmp/cert.der" 2>/dev/null
p11 --login --pin "$USER_PIN" --write-object "$tmp/cert.der" --type cert --id 01 --label "my cert" >/dev/null 2>&1
p11 --read-object --type cert --id 01 -o "$tmp/back.der" >/dev/null 2>&1
cmp -s "$tmp/cert.der" "$tmp/back.der" || fail "certificate read back differs"
out=$(p11 --list-objects --type cert 2>&1)
assert_contains "$out" "Nguyen Van A"

note "private key values stay on the token"
out=$(p11 --login --pin "$USER_PIN" --read-object --type privkey --id 01 -o "$tmp/priv" 2>&1 || true)
[ ! -s "$tmp/priv" ] || fail "a private key was read off the token"
pass
