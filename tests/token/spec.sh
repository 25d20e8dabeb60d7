#!/usr/bin/env bash
# The return values the PKCS#11 specification requires (p11_spec spec):
# mutex callbacks all or none, C_Login with no PIN or a PIN of a wrong
# length spends no try, an RSA exponent with leading zero bytes, and
# single-part and multi-part calls that do not mix (CKR_OPERATION_ACTIVE),
# and C_SeedRandom refused as documented (CKR_RANDOM_SEED_NOT_SUPPORTED).
. "$(dirname "$0")/../lib.sh"

SPEC=$KYSO_BUILD/tests/p11_spec
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token SC0001 --label spec
change_default_pin SC0001
"$SPEC" spec "$MOD" spec "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_spec spec: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "spec: ok"
pass
