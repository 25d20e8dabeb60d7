#!/usr/bin/env bash
# More signature mechanisms against OpenSSL (p11_spec signatures): SHA-1
# and SHA-224 RSA PKCS#1 v1.5, SHA-1/224/384/512 RSA-PSS (a hash that
# differs from the mechanism's is CKR_MECHANISM_PARAM_INVALID), raw RSA
# signatures, ECDSA with SHA-1, SHA-224 and SHA-512; SHA-224 and SHA-3
# digests; Ed25519 and Ed448 (PKCS#11 3.0) verified by OpenSSL.
. "$(dirname "$0")/../lib.sh"

SPEC=$KYSO_BUILD/tests/p11_spec
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token SG0001 --label signatures
change_default_pin SG0001
"$SPEC" signatures "$MOD" signatures "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_spec signatures: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "signatures: ok"
pass
