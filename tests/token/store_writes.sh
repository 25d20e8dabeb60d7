#!/usr/bin/env bash
# A key pair made on the token is one write of the token file (one
# rename of a new version over it), not one per half: half the cost of a
# C_GenerateKeyPair on a token holding many objects, and never a private
# key without its public key on disk. pkcs11-tool makes the pair; strace
# counts the renames; pkcs11-tool and OpenSSL check the pair.
. "$(dirname "$0")/../lib.sh"

tmp=$KYSO_HOME/work; mkdir -p "$tmp"
command -v strace >/dev/null || fail "strace is missing (scripts/deps.sh)"
make_token SW0001 --label writes
change_default_pin SW0001
TOKFILE=$KYSO_HOME/tokens/SW0001.tok

# renames ARGS...: how many times pkcs11-tool ARGS (logged in) renamed a
# new version over the token file. A login itself writes (the attempt is
# counted, then reset), so a run that only logs in is the baseline.
renames() {
  strace -f -e trace=rename,renameat,renameat2 -o "$tmp/strace" \
    env ${KYSO_SANITIZE:+LD_PRELOAD=${KYSO_ASAN_LIB:-}} \
    ${KYSO_SANITIZE:+ASAN_OPTIONS=detect_leaks=0} \
    pkcs11-tool --module "$MOD" --token-label writes --login --pin "$USER_PIN" \
    "$@" > "$tmp/p11" 2>&1 || fail "pkcs11-tool $*: $(cat "$tmp/p11")"
  grep -c -- "$TOKFILE\" *) = 0" "$tmp/strace" || true
}

note "P-256 key pair: one rename of the token file more than a login"
base=$(renames --list-objects)
n=$(renames --keypairgen --key-type EC:prime256v1 --id 5157 --label pair)
assert_eq "$((n - base))" 1 "renames of the token file for one key pair"

note "both halves are there, and they are one pair"
out=$(ext pkcs11-tool --module "$MOD" --token-label writes --login \
  --pin "$USER_PIN" --list-objects 2>&1)
assert_contains "$out" "Private Key Object; EC"
assert_contains "$out" "Public Key Object; EC"
ext pkcs11-tool --module "$MOD" --token-label writes --read-object \
  --type pubkey --id 5157 -o "$tmp/pub.der" >/dev/null 2>&1 ||
  fail "reading the public key"
openssl dgst -sha256 -binary "$tmp/pub.der" > "$tmp/msg.dig"
ext pkcs11-tool --module "$MOD" --token-label writes --login \
  --pin "$USER_PIN" --sign --mechanism ECDSA --id 5157 \
  --signature-format openssl -i "$tmp/msg.dig" -o "$tmp/sig" >/dev/null 2>&1 ||
  fail "signing"
v=$(openssl pkeyutl -verify -pubin -keyform DER -inkey "$tmp/pub.der" \
  -in "$tmp/msg.dig" -sigfile "$tmp/sig" 2>&1) || fail "openssl: $v"
assert_contains "$v" "Signature Verified Successfully"
pass
