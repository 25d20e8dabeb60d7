#!/usr/bin/env bash
# AES-GCM parameters (p11_sym gcm): CK_GCM_PARAMS in the PKCS#11 3.0
# layout (ulIvBits set or 0) and in the 2.40 layout without ulIvBits,
# tags of 96 to 128 bits, each equal to OpenSSL's and decrypting back.
. "$(dirname "$0")/../lib.sh"

SYM=$KYSO_BUILD/tests/p11_sym
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token GC0001 --label gcm
change_default_pin GC0001
"$SYM" gcm "$MOD" gcm "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_sym gcm: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "gcm: ok"
pass
