#!/usr/bin/env bash
# Every signing and decryption mechanism of the token checked against
# OpenSSL (p11_probe crypto): RSA 2048/3072/4096 with PKCS#1 v1.5
# (hashing and over a DigestInfo) and PSS (hashing and over a digest),
# OAEP decryption with SHA-1 and SHA-256, with and without a label, PKCS#1
# decryption, damaged ciphertexts; ECDSA on P-256 and P-384 (hashing and
# raw); SHA-1/256/384/512 digests; random bytes.
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token CR0001 --label crypto
change_default_pin CR0001
"$PROBE" crypto "$MOD" crypto "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_probe crypto: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "crypto: ok"
pass
