#!/usr/bin/env bash
# A secret key is allowed only what the token can do with its type
# (p11_sym usage, issue 10 item 7): C_GenerateKey, C_CreateObject,
# C_DeriveKey, C_UnwrapKey, C_CopyObject and C_SetAttributeValue asking
# more are CKR_TEMPLATE_INCONSISTENT; each use is a permission every
# *Init, C_WrapKey and C_UnwrapKey checks.
. "$(dirname "$0")/../lib.sh"

SYM=$KYSO_BUILD/tests/p11_sym
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token SU0001 --label usage --profile general
change_default_pin SU0001
"$SYM" usage "$MOD" usage "$USER_PIN" > "$tmp/out" 2>&1 \
  || fail "p11_sym usage: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "usage: ok"
pass
