#!/usr/bin/env bash
# Insert and remove events across processes: kyso-token watch (and a
# second watcher at the same time) sees tokens plugged and unplugged by
# kyso-token vtoken in another process and checks each token plugged in;
# C_WaitForSlotEvent with CKF_DONT_BLOCK says CKR_NO_EVENT when nothing
# happened (tokens present at C_Initialize are not events), and blocking
# waits report each plug and unplug (p11_probe events); C_Finalize
# wakes a blocked waiter.
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
vt() { "$KT" vtoken "$@" >/dev/null; }

# wait_for FILE TEXT: bounded wait until FILE has a line with TEXT.
wait_for() {
  local i
  for ((i = 0; i < 200; i++)); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "'$2' never appeared in $(basename "$1"): $(cat "$1")"
}

# EV0001: factory PIN; EV0002: PIN changed then locked; EV0003: all good,
# and the one plugged in (slot 2) when the waiting starts.
make_token EV0001 --label first
make_token EV0002 --label second
change_default_pin EV0002
for i in 1 2 3 4 5; do
  ext pkcs11-tool --module "$MOD" --token-label second --login --pin 00000000 \
    --list-objects >/dev/null 2>&1 || true
done
make_token EV0003 --label third
change_default_pin EV0003
vt unplug EV0001; vt unplug EV0002
"$KT" vtoken list > "$tmp/list"
assert_contains "$(cat "$tmp/list")" "EV0003"

note "C_WaitForSlotEvent: DONT_BLOCK gives CKR_NO_EVENT, then plug and unplug events"
"$PROBE" events "$MOD" 2 > "$tmp/probe.out" 2>&1 & pp=$!
wait_for "$tmp/probe.out" ready
vt plug EV0001 --slot 1
wait_for "$tmp/probe.out" "event slot 1 present"
vt unplug EV0001
wait_for "$tmp/probe.out" "event slot 1 absent"
wait $pp || fail "p11_probe events: $(cat "$tmp/probe.out")"
assert_contains "$(cat "$tmp/probe.out")" "events: ok"

note "kyso-token watch, two at once, see another process plug and unplug"
"$KT" watch --count 6 --batch > "$tmp/w1.out" 2>&1 & w1=$!
"$KT" watch --count 6 --batch --json > "$tmp/w2.out" 2>&1 & w2=$!
wait_for "$tmp/w1.out" "Waiting for tokens"
# The JSON watcher prints nothing until an event: it is waiting once its
# inotify watch is there (made by its first C_WaitForSlotEvent).
for ((i = 0; i < 200; i++)); do
  ls -l "/proc/$w2/fd" 2>/dev/null | grep -q inotify && break
  sleep 0.05
done
ls -l "/proc/$w2/fd" 2>/dev/null | grep -q inotify || fail "watch --json never started waiting"
vt plug EV0001
wait_for "$tmp/w1.out" "A token was plugged into slot 0."
wait_for "$tmp/w1.out" "factory PIN"
vt plug EV0002
wait_for "$tmp/w1.out" "A token was plugged into slot 1."
wait_for "$tmp/w1.out" "locked"
vt unplug EV0001
wait_for "$tmp/w1.out" "The token was removed from slot 0."
vt unplug EV0003
wait_for "$tmp/w1.out" "The token was removed from slot 2."
# Re-plugging a token into another slot is a removal and an insertion.
vt unplug EV0002
wait_for "$tmp/w1.out" "The token was removed from slot 1."
vt plug EV0002 --slot 3
for ((i = 0; i < 200; i++)); do
  kill -0 $w1 2>/dev/null || kill -0 $w2 2>/dev/null || break
  sleep 0.05
done
kill -0 $w1 2>/dev/null && fail "watch --count 6 did not stop: $(cat "$tmp/w1.out")"
kill -0 $w2 2>/dev/null && fail "watch --json --count 6 did not stop: $(cat "$tmp/w2.out")"
wait $w1 || fail "watch exited $?: $(cat "$tmp/w1.out")"
wait $w2 || fail "watch --json exited $?: $(cat "$tmp/w2.out")"
out=$(cat "$tmp/w1.out")
assert_contains "$out" "A token was plugged into slot 3."
assert_eq "$(grep -c "A token was plugged" <<<"$out")" 3 "insertions seen"
assert_eq "$(grep -c "The token was removed" <<<"$out")" 3 "removals seen"
json=$(cat "$tmp/w2.out")
assert_eq "$(grep -c '"event": "inserted"' <<<"$json")" 3 "insertions seen in JSON"
assert_eq "$(grep -c '"event": "removed"' <<<"$json")" 3 "removals seen in JSON"
assert_contains "$json" '"slot": 3'
assert_contains "$json" 'default-pin'

note "C_Finalize wakes a thread blocked in C_WaitForSlotEvent"
timeout 60 "$PROBE" finalize "$MOD" > "$tmp/fin.out" 2>&1 \
  || fail "p11_probe finalize: $(cat "$tmp/fin.out")"
assert_contains "$(cat "$tmp/fin.out")" "finalize: ok"

note "the state the events left: EV0002 alone, in slot 3"
out=$(ext pkcs11-tool --module "$MOD" -L 2>&1)
assert_contains "$out" "serial num         : EV0002"
assert_not_contains "$out" "EV0001"
assert_not_contains "$out" "EV0003"
pass
