#!/usr/bin/env bash
# fork() (p11_spec fork): the child of a process using the module
# initializes it afresh, inherits no session, login or session key, and
# signs itself while the parent signs on; an unplug seen by the child
# still reaches the parent (each process watches its own slot events).
# Then pkcs11-tool --test-fork.
. "$(dirname "$0")/../lib.sh"

SPEC=$KYSO_BUILD/tests/p11_spec
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token FK0001 --label fork
change_default_pin FK0001

"$SPEC" fork "$MOD" fork "$USER_PIN" "$tmp/go" > "$tmp/out" 2>&1 & pp=$!
wait_line "$tmp/out" "child ready"
wait_line "$tmp/out" "parent ready"
"$KT" vtoken unplug FK0001 >/dev/null
touch "$tmp/go"
wait $pp || fail "p11_spec fork: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "fork: ok"

note "pkcs11-tool --test-fork"
"$KT" vtoken plug FK0001 >/dev/null
ext pkcs11-tool --module "$MOD" --token-label fork --login --pin "$USER_PIN" \
  --keypairgen --key-type EC:prime256v1 --id 01 >/dev/null 2>&1 || fail "key generation"
out=$(ext pkcs11-tool --module "$MOD" --token-label fork --login --pin "$USER_PIN" \
  --test-fork 2>&1) || fail "pkcs11-tool --test-fork: $out"
pass
