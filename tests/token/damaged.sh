#!/usr/bin/env bash
# A damaged token file is never half used, and a mended one needs no
# re-plugging: pkcs11-tool and kyso-token refuse a token whose file fails
# its checksum (and count no PIN attempt); a running process (p11_probe
# damaged) sees CKR_TOKEN_NOT_RECOGNIZED, then the token once the file is
# put right, then CKR_DEVICE_ERROR for every call while it is damaged
# under an open session, then its session again.
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
p11() { ext pkcs11-tool --module "$MOD" "$@"; }
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
TOKFILE=$KYSO_HOME/tokens/DM0001.tok

# damage: a copy of the good file with one byte flipped, moved into place
# (atomically, as the store itself writes).
damage() {
  local size off
  size=$(stat -c %s "$tmp/good")
  off=$((size / 2))
  cp "$tmp/good" "$tmp/bad"
  printf "\\x$(printf %02x $(( $(od -An -tu1 -j "$off" -N1 "$tmp/good") ^ 1 )))" \
    | dd of="$tmp/bad" bs=1 seek="$off" conv=notrunc status=none
  cmp -s "$tmp/good" "$tmp/bad" && fail "the damaged copy is not damaged"
  cp "$tmp/bad" "$TOKFILE.new" && mv -f "$TOKFILE.new" "$TOKFILE"
}
# The objects written last may be in the journal beside the file (the
# file's copy is good only with it; see token-store.md).
mend() {
  cp "$tmp/good" "$TOKFILE.new" && mv -f "$TOKFILE.new" "$TOKFILE"
  if [ -e "$tmp/good.jnl" ]; then
    cp "$tmp/good.jnl" "$TOKFILE.jnl.new" && mv -f "$TOKFILE.jnl.new" "$TOKFILE.jnl"
  fi
}

make_token DM0001 --label damaged
change_default_pin DM0001
for i in 1 2; do
  printf 'data %d' "$i" > "$tmp/d$i"
  p11 --token-label damaged --login --pin "$USER_PIN" --write-object "$tmp/d$i" \
    --type data --label "d$i" >/dev/null 2>&1 || fail "writing d$i"
done
cp "$TOKFILE" "$tmp/good"
[ ! -e "$TOKFILE.jnl" ] || cp "$TOKFILE.jnl" "$tmp/good.jnl"

note "damaged: refused by every program, no PIN attempt counted"
damage
out=$(p11 -L 2>&1)
assert_contains "$out" "token not recognized"
assert_exit 1 p11 --slot-index 0 --login --pin "$USER_PIN" --list-objects
assert_exit 3 "$KT" info --token DM0001
mend
json=$("$KT" info --token DM0001 --json)
assert_contains "$json" '"pin_state": "ok"'

note "a running process: damaged, mended, damaged under a session, mended"
damage
"$PROBE" damaged "$MOD" 0 "$USER_PIN" "$tmp/go" > "$tmp/out" 2>&1 & pp=$!
wait_line "$tmp/out" ready1
mend; touch "$tmp/go.1"
wait_line "$tmp/out" ready2
damage; touch "$tmp/go.2"
wait_line "$tmp/out" ready3
mend; touch "$tmp/go.3"
wait $pp || fail "p11_probe damaged: $(cat "$tmp/out")"
assert_contains "$(cat "$tmp/out")" "damaged: ok"
pass
