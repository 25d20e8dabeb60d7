#!/usr/bin/env bash
# vtoken create|plug|unplug|list (ours only: the virtual token's factory),
# and watch seeing the plug-in and removal events and checking each token.
. "$(dirname "$0")/helpers.bash"

vt() { "$KT" vtoken "$@"; }

note "create"
assert_exit 0 vt list
assert_eq "$OUT" ""
assert_exit 0 vt list --json
jq_ok '. == []'
assert_exit 0 vt create --serial VT0001 --label "Token mot" --kdf-cost 10 --so-pin-fd 3 3<<<"$SO_PIN"
assert_contains "$OUT" "Made token VT0001 (factory user PIN 12345678"
[ -f "$KYSO_HOME/tokens/VT0001.tok" ] || fail "no token file"
assert_exit 1 vt create --serial VT0001 --kdf-cost 10 --so-pin-fd 3 3<<<"$SO_PIN"
assert_contains "$OUT" "A token with serial VT0001 already exists."
assert_exit 7 vt create --serial VT0002 --kdf-cost 10 --so-pin-fd 3 3<<<"12345"
assert_contains "$OUT" "The SO PIN must be 6 to 16 characters."
[ ! -e "$KYSO_HOME/tokens/VT0002.tok" ] || fail "a refused create left a token file"
assert_exit 2 vt create --serial VT0002 --kdf-cost 10 --so-pin-fd 3 3</dev/null
assert_contains "$OUT" "No SO PIN was given."
OUT=$(vt create --json --kdf-cost 10 --so-pin-fd 3 3<<<"$SO_PIN") || fail "create --json failed"
json_only
jq_ok '. as $o | (.serial | test("^KY[0-9A-F]{12}$")) and .slot == -1 and (.file | endswith("/tokens/" + $o.serial + ".tok"))'
random_serial=$(jq_get .serial)
head -c 32 /dev/urandom > "$WORK/master.key"
assert_exit 0 vt create --serial VT0003 --kdf-cost 10 --user-retries 4 --so-retries 6 \
  --capacity 8192 --admin-master "$WORK/master.key" --so-pin-fd 3 3<<<"$SO_PIN"
head -c 8 /dev/urandom > "$WORK/short.key"
assert_exit 1 vt create --serial VT0004 --kdf-cost 10 --admin-master "$WORK/short.key" --so-pin-fd 3 3<<<"$SO_PIN"
assert_contains "$OUT" "Cannot read the admin master key"

note "list, plug, unplug"
assert_exit 0 vt list
assert_contains "$OUT" 'VT0001 "Token mot": not plugged in'
assert_exit 0 vt list --json
jq_ok 'length == 3 and all(.[]; .slot == -1)'
jq_ok "[.[] | .serial] | sort == [\"$random_serial\", \"VT0001\", \"VT0003\"]"
assert_exit 0 vt plug VT0001
assert_contains "$OUT" "Token VT0001 is plugged into slot 0."
assert_exit 1 vt plug VT0001
assert_contains "$OUT" "Token VT0001 is already plugged into slot 0."
assert_exit 1 vt plug VT0003 --slot 0
assert_contains "$OUT" "Slot 0 is taken or does not exist."
assert_exit 0 vt plug VT0003 --slot 2 --json
json_only
jq_ok '.serial == "VT0003" and .slot == 2'
assert_exit 3 vt plug NOSUCH
assert_contains "$OUT" "There is no virtual token NOSUCH"
assert_exit 0 vt list --json
jq_ok '[.[] | select(.serial == "VT0001")][0].slot == 0 and [.[] | select(.serial == "VT0003")][0].slot == 2'
assert_exit 0 "$KT" info --token VT0003 --json
jq_ok '.total_memory == 8192 and .label == "kyso token"'
assert_exit 0 "$KT" list --json
jq_ok '[.[] | select(.present) | .slot] == [0, 2]'
assert_exit 0 vt unplug VT0003
assert_contains "$OUT" "Token VT0003 was unplugged from slot 2."
assert_exit 1 vt unplug VT0003
assert_contains "$OUT" "Token VT0003 is not plugged in."
assert_exit 0 vt unplug VT0001 --json
jq_ok '.serial == "VT0001" and .slot == -1'
assert_exit 0 "$KT" list --json
jq_ok 'all(.[]; .present == false)'
# Every slot taken (KYSO_SLOTS=2), then --plug at create.
KYSO_SLOTS=2 "$KT" vtoken plug VT0001 >/dev/null
KYSO_SLOTS=2 "$KT" vtoken plug VT0003 >/dev/null
KYSO_SLOTS=2 assert_exit 1 vt plug "$random_serial"
assert_contains "$OUT" "Every slot is taken: unplug a token first."
vt unplug VT0001 >/dev/null
vt unplug VT0003 >/dev/null
OUT=$(vt create --serial VT0005 --kdf-cost 10 --plug --slot 1 --json --so-pin-fd 3 3<<<"$SO_PIN") ||
  fail "create --plug --json failed: $OUT"
json_only
jq_ok '.serial == "VT0005" and .slot == 1'
vt unplug VT0005 >/dev/null
# A damaged token file is reported, not fatal.
echo "garbage" > "$KYSO_HOME/tokens/BROKEN.tok"
assert_exit 0 vt list
assert_contains "$OUT" "BROKEN.tok: damaged token file"
rm "$KYSO_HOME/tokens/BROKEN.tok"

note "watch: plug-in and removal events, each new token checked"
# Certificate expiring in 3 days on VT0001 (PIN changed first).
vt plug VT0001 >/dev/null
change_default_pin VT0001
ca_init
issue_cert soon "/CN=Pham Van Watch" "$(utc_in -300)" "$(utc_in 3)"
put_cert "$MOD" "Token mot" "$WORK/soon.der" 01 soon
vt unplug VT0001 >/dev/null
"$KT" watch --count 4 --batch > "$WORK/watch.out" 2>&1 &
wpid=$!
# Wait (bounded) for the watcher to be ready.
for _ in $(seq 100); do grep -q "Waiting for tokens" "$WORK/watch.out" && break; sleep 0.1; done
grep -q "Waiting for tokens" "$WORK/watch.out" || fail "watch did not start: $(cat "$WORK/watch.out")"
wait_for() {
  local i
  for i in $(seq 150); do grep -q "$1" "$WORK/watch.out" && return 0; sleep 0.1; done
  fail "watch did not print '$1': $(cat "$WORK/watch.out")"
}
vt plug VT0001 >/dev/null
wait_for "expires in"
vt plug VT0003 >/dev/null
wait_for "Token VT0003 still has the factory PIN"
vt unplug VT0001 >/dev/null
wait_for "The token was removed from slot 0."
vt unplug VT0003 >/dev/null
for _ in $(seq 150); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$wpid" 2>/dev/null && fail "watch --count 4 did not stop after four events"
wait "$wpid" || fail "watch exited $?"
out=$(cat "$WORK/watch.out")
assert_contains "$out" "A token was plugged into slot 0."
assert_contains "$out" "The certificate of Pham Van Watch expires in"
assert_contains "$out" "A token was plugged into slot 1."
assert_contains "$out" "The token was removed from slot 1."

note "watch --json: one JSON object per line or block"
"$KT" watch --count 2 --json > "$WORK/watch.json" 2>&1 &
wpid=$!
sleep 0.5
vt plug VT0003 >/dev/null
for _ in $(seq 150); do grep -q '"findings"' "$WORK/watch.json" && break; sleep 0.1; done
vt unplug VT0003 >/dev/null
for _ in $(seq 150); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
wait "$wpid" || fail "watch --json exited $?"
jq -s -e '.[0] == {"event": "inserted", "slot": 0} and .[1].serial == "VT0003" and .[1].findings == ["default-pin"] and .[2] == {"event": "removed", "slot": 0}' \
  "$WORK/watch.json" >/dev/null || fail "watch --json printed: $(cat "$WORK/watch.json")"
pass
