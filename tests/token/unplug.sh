#!/usr/bin/env bash
# Pulling the token out ends what a running process was doing with it:
# after kyso-token vtoken unplug (another process), the session, its
# login and a signature half done are gone (CKR_DEVICE_REMOVED, then
# CKR_SESSION_HANDLE_INVALID), the token is not present; plugged back in
# (into another slot), the old session stays dead and a new one starts
# logged out. Before the fix a session went on signing with the
# unplugged token until some other call happened to rescan the slots.
# Pulled out and put back into the same slot between two calls, the
# session is gone all the same (a USB token loses its sessions then too).
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
tmp=$KYSO_HOME/work; mkdir -p "$tmp"


make_token UP0001 --label unplug
change_default_pin UP0001
ext pkcs11-tool --module "$MOD" --token-label unplug --login --pin "$USER_PIN" \
  --keypairgen --key-type EC:prime256v1 --id 01 >/dev/null 2>&1 || fail "key generation"

"$PROBE" unplug "$MOD" unplug "$USER_PIN" "$tmp/go" > "$tmp/out" 2>&1 & pp=$!
wait_line "$tmp/out" ready
"$KT" vtoken unplug UP0001 >/dev/null
touch "$tmp/go"
wait_line "$tmp/out" again
"$KT" vtoken plug UP0001 --slot 2 >/dev/null
touch "$tmp/go.2"
wait $pp || fail "p11_probe unplug: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "unplug: ok"

note "unplugged and plugged back into the same slot between two calls"
"$KT" vtoken unplug UP0001 >/dev/null
"$KT" vtoken plug UP0001 --slot 1 >/dev/null
rm -f "$tmp/go" "$tmp/go.2"
# A new output file: the probe's shell opens (and empties) it only once
# it runs, and until then the first probe's "ready" in $tmp/out would let
# the unplug below race ahead of the probe's start (on a loaded machine
# it then found no token at all).
"$PROBE" replug "$MOD" unplug "$USER_PIN" "$tmp/go" > "$tmp/out.replug" 2>&1 & pp=$!
wait_line "$tmp/out.replug" ready
"$KT" vtoken unplug UP0001 >/dev/null
"$KT" vtoken plug UP0001 --slot 1 >/dev/null
touch "$tmp/go"
wait $pp || fail "p11_probe replug: $(cat "$tmp/out.replug")"
assert_contains "$(cat "$tmp/out.replug")" "unplug: ok"
pass
