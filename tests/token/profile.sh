#!/usr/bin/env bash
# Token profiles (p11_spec profile): a CA's token (the default) imports
# no key, makes none extractable, no RSA-1024 and none without login; a
# token made with `vtoken create --profile general` imports private keys
# (signing as OpenSSL verifies, never showing or storing them in clear),
# copies them, generates them extractable when asked, RSA-1024, public
# session keys without login. kyso-token info and CK_TOKEN_INFO's model
# say the profile; pkcs11-tool --test passes on both.
. "$(dirname "$0")/../lib.sh"

SPEC=$KYSO_BUILD/tests/p11_spec
tmp=$KYSO_HOME/work; mkdir -p "$tmp"

assert_exit 2 "$KT" vtoken create --serial PF0009 --profile silly --so-pin-fd 3 3<<<"$SO_PIN"
assert_contains "$OUT" "--profile is 'ca' or 'general'"

for profile in ca general; do
  note "profile $profile"
  serial=PF00${profile:0:2}
  if [ "$profile" = ca ]; then
    make_token "$serial" --label "p-$profile"
  else
    make_token "$serial" --label "p-$profile" --profile general
  fi
  change_default_pin "$serial"
  "$SPEC" profile "$MOD" "p-$profile" "$USER_PIN" "$profile" \
    "$KYSO_HOME/tokens/$serial.tok" > "$tmp/out" 2>&1 \
    || fail "p11_spec profile $profile: $(cat "$tmp/out")"
  assert_contains "$(cat "$tmp/out")" "profile: ok"
  assert_exit 0 "$KT" info --token "$serial"
  assert_contains "$OUT" "Profile:           $profile"
  out=$(ext pkcs11-tool --module "$MOD" --token-label "p-$profile" --login \
    --pin "$USER_PIN" --test 2>&1) || fail "pkcs11-tool --test ($profile): $out"
done
pass
