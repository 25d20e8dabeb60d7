#!/usr/bin/env bash
# A secret key's kept OpenSSL contexts (p11_reuse): HMAC with key A then
# key B, other digests and MAC lengths, AES-GCM with other IVs, AAD and
# tags, CBC / CBC_PAD / ECB / CTR, AES-CMAC, back to back in one session and across
# sessions, after a failed verification, an abandoned operation and a
# key destroyed mid-operation, and from four threads: every result equals
# OpenSSL's (libcrypto in the test program).
. "$(dirname "$0")/../lib.sh"

REUSE=$KYSO_BUILD/tests/p11_reuse
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token RU0001 --label reuse --capacity 1048576
change_default_pin RU0001
"$REUSE" "$MOD" reuse "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_reuse: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "reuse: ok"
pass
