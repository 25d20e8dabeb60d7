#!/usr/bin/env bash
# Secret keys and their mechanisms against OpenSSL (p11_spec symmetric):
# C_GenerateKey for AES and generic secrets; AES ECB, CBC, CBC_PAD, CTR
# and GCM, single- and multi-part, equal to OpenSSL's and decrypting
# back; SHA-1/2 HMAC (and _GENERAL) and AES-CMAC equal to OpenSSL's;
# the mechanism list and its key sizes; C_WrapKey and C_UnwrapKey with AES
# key wrap (RFC 3394, 5649) and CBC_PAD, equal to OpenSSL's.
. "$(dirname "$0")/../lib.sh"

SPEC=$KYSO_BUILD/tests/p11_spec
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token SY0001 --label symmetric
change_default_pin SY0001
"$SPEC" symmetric "$MOD" symmetric "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_spec symmetric: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "symmetric: ok"
pass
