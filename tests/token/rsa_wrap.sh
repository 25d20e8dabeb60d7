#!/usr/bin/env bash
# RSA wrapping of secret keys (p11_sym rsawrap): C_WrapKey with an RSA
# public key, C_UnwrapKey with its private key, PKCS#1 v1.5 and OAEP
# (SHA-1; SHA-256 with a label); a key OpenSSL encrypted to the token's
# public key unwraps to its value, the token's wrappings round-trip.
. "$(dirname "$0")/../lib.sh"

SYM=$KYSO_BUILD/tests/p11_sym
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token RW0001 --label rsawrap
change_default_pin RW0001
"$SYM" rsawrap "$MOD" rsawrap "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_sym rsawrap: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "rsawrap: ok"
pass
