#!/usr/bin/env bash
# PKCS#11 conventions on our module (p11_probe conventions): the two-call
# length convention for C_Sign, C_Decrypt, C_Digest, C_SignFinal and
# C_GetAttributeValue; verification of good and bad signatures; and the
# return codes for bad handles, wrong session state, mismatched keys and
# mechanisms, and bad templates.
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token CV0001 --label conventions
change_default_pin CV0001
"$PROBE" conventions "$MOD" conventions "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_probe conventions: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "conventions: ok"
pass
