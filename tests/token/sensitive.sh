#!/usr/bin/env bash
# Private key values never leave the token: CKA_PRIVATE_EXPONENT,
# CKA_PRIME_1, ... and an EC key's CKA_VALUE read as
# CKR_ATTRIBUTE_SENSITIVE; no template, copy, wrap or import gets around
# it; and the token file holds no private key material in clear (the
# public modulus of a token public key is there, the private halves are
# only sealed). The attribute-level checks are in p11_probe.c.
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
[ -x "$PROBE" ] || fail "no $PROBE"
p11() { ext pkcs11-tool --module "$MOD" --token-label sensitive "$@"; }
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

make_token SE0001 --label sensitive
change_default_pin SE0001
TOKFILE=$KYSO_HOME/tokens/SE0001.tok
[ -f "$TOKFILE" ] || fail "no token file at $TOKFILE"

note "pkcs11-tool: key pairs on the token, the private halves unreadable"
p11 --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 --id 01 --label rsa \
  >/dev/null 2>&1 || fail "RSA key generation"
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 02 --label ec \
  >/dev/null 2>&1 || fail "EC key generation"
out=$(p11 --login --pin "$USER_PIN" --list-objects --type privkey 2>&1)
assert_contains "$out" "Private Key Object"
assert_contains "$out" "sensitive"
assert_contains "$out" "never extractable"
for id in 01 02; do
  rm -f "$tmp/priv"
  # (pkcs11-tool 0.23 says it cannot and exits 0: what counts is no file.)
  p11 --login --pin "$USER_PIN" --read-object --type privkey --id $id -o "$tmp/priv" \
    >/dev/null 2>&1 || true
  [ ! -s "$tmp/priv" ] || fail "private key $id was written out"
done

note "the file: the public modulus in clear, the private key only sealed"
p11 --read-object --type pubkey --id 01 -o "$tmp/pub.der" >/dev/null 2>&1 \
  || fail "reading the public key"
MOD_HEX=$(openssl rsa -pubin -inform DER -in "$tmp/pub.der" -noout -modulus | sed 's/^Modulus=//')
MOD_HEX=$(echo "$MOD_HEX" | tr 'A-F' 'a-f')
[ ${#MOD_HEX} = 512 ] || fail "modulus: '$MOD_HEX'"
FILE_HEX=$(hexof "$TOKFILE")
assert_contains "$FILE_HEX" "$MOD_HEX" "the public modulus is not in the token file"
# A private key DER (PKCS#1, also inside PKCS#8) is version 0, n, e, d...:
# INTEGER 0 right before the modulus, which the public encodings
# (RSAPublicKey, SubjectPublicKeyInfo) never have.
case "$FILE_HEX" in
  *"0201000282010100${MOD_HEX}"*) fail "a private key structure is in the token file in clear" ;;
esac
for word in "PRIVATE KEY" "BEGIN" "$USER_PIN" "$SO_PIN" 12345678; do
  grep -qaF -- "$word" "$TOKFILE" && fail "the token file contains '$word'"
done

note "attribute checks, templates, copies, imports (p11_probe)"
"$PROBE" sensitive "$MOD" "$TOKFILE" sensitive "$USER_PIN" > "$tmp/probe.out" 2>&1 \
  || fail "p11_probe sensitive: $(cat "$tmp/probe.out")"
assert_contains "$(cat "$tmp/probe.out")" "sensitive: ok"

note "the token still works"
head -c 100 /dev/urandom > "$tmp/data"
p11 --login --pin "$USER_PIN" --sign --id 02 -m ECDSA-SHA256 -i "$tmp/data" -o "$tmp/sig" \
  >/dev/null 2>&1 || fail "signing after the probe"
"$KT" info --token SE0001 >/dev/null || fail "kyso-token info after the probe"
pass
