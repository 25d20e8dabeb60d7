#!/usr/bin/env bash
# The mechanism flags audit (p11_sym mechflags): every mechanism
# C_GetMechanismList gives does exactly what C_GetMechanismInfo's flags
# say with the token's own keys (AES, DES3, generic secret, RSA, P-256,
# Ed25519), decrypting and verifying what it encrypted and signed, and
# refuses every operation whose flag it does not set.
. "$(dirname "$0")/../lib.sh"

SYM=$KYSO_BUILD/tests/p11_sym
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token MF0001 --label mechflags
change_default_pin MF0001
"$SYM" mechflags "$MOD" mechflags "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_sym mechflags: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "mechflags: ok"
pass
