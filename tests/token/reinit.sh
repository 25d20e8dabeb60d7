#!/usr/bin/env bash
# C_InitToken in one process while another is logged in: the other loses
# its login (its token key is no longer the token's), even when no
# private object is left whose unsealing would fail. Before the store's
# key check it stayed "logged in" with the old key and could seal new
# private objects under it; later user logins then could not use private
# objects at all (the new key cannot unseal the stale one).
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
p11() { ext pkcs11-tool --module "$MOD" "$@"; }
tmp=$KYSO_HOME/work; mkdir -p "$tmp"

make_token RI0001 --label reinit
change_default_pin RI0001
printf 'private data' > "$tmp/priv.in"
p11 --token-label reinit --login --pin "$USER_PIN" --write-object "$tmp/priv.in" \
  --type data --label mine --private >/dev/null 2>&1 || fail "writing a private object"

"$PROBE" reinit "$MOD" reinit "$USER_PIN" "$tmp/go" > "$tmp/probe.out" 2>&1 & pp=$!
for ((i = 0; i < 200; i++)); do
  grep -q '^ready' "$tmp/probe.out" && break
  kill -0 $pp 2>/dev/null || break
  sleep 0.05
done
grep -q '^ready' "$tmp/probe.out" || fail "the probe did not log in: $(cat "$tmp/probe.out")"

note "another process re-initializes the token and sets a user PIN"
p11 --slot-index 0 --init-token --so-pin "$SO_PIN" --label reinit >/dev/null 2>&1 \
  || fail "C_InitToken"
p11 --token-label reinit --login --login-type so --so-pin "$SO_PIN" --init-pin \
  --new-pin 13572468 >/dev/null 2>&1 || fail "C_InitPIN"
touch "$tmp/go"
wait $pp || fail "the logged-in process kept its login: $(cat "$tmp/probe.out")"
assert_contains "$(cat "$tmp/probe.out")" "reinit: ok"

note "the new user PIN works, and the token holds no object made with the old key"
out=$(p11 --token-label reinit --login --pin 13572468 --list-objects 2>&1) \
  || fail "listing with the new PIN: $out"
assert_not_contains "$out" "stale"
assert_not_contains "$out" "mine"
printf 'new private data' > "$tmp/priv2.in"
p11 --token-label reinit --login --pin 13572468 --write-object "$tmp/priv2.in" \
  --type data --label new --private >/dev/null 2>&1 || fail "writing after re-initializing"
rm -f "$tmp/out"
p11 --token-label reinit --login --pin 13572468 --read-object --type data --label new \
  -o "$tmp/out" >/dev/null 2>&1 || fail "reading the new private object"
cmp -s "$tmp/priv2.in" "$tmp/out" || fail "the new private object reads back wrong"
pass
