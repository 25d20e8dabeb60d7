#!/usr/bin/env bash
# A person at a terminal (tmux): change-pin asks old, new and confirmation
# at no-echo prompts and the PINs never show on the screen; check on a
# token with the factory PIN offers "Change the PIN now? [Y/n]" and does it.
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../tmux_lib.sh"

make_token TT0001 --label "tmux token"
NEW=58203917

note "change-pin at the terminal: old, new, confirmation"
run_in_tmux "$KT" change-pin
wait_screen "Old PIN: "
type_line 12345678
wait_screen "New PIN: "
type_line "$NEW"
wait_screen "Confirm the new PIN: "
type_line "$NEW"
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "The token PIN was changed."
assert_contains "$s" "EXIT=0"
assert_not_contains "$s" "12345678" "the old PIN showed on the screen"
assert_not_contains "$s" "$NEW" "the new PIN showed on the screen"
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "ok"'
# The terminal echoes again after the prompts.
tm send-keys -t "$S" -l "visible-again"
wait_screen "visible-again"

note "a mismatched confirmation changes nothing"
run_in_tmux "$KT" change-pin
wait_screen "Old PIN: "
type_line "$NEW"
wait_screen "New PIN: "
type_line 61616161
wait_screen "Confirm the new PIN: "
type_line 61616162
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "differ; nothing was changed"
assert_contains "$s" "EXIT=6"
assert_not_contains "$s" "6161616" "a new PIN showed on the screen"
assert_not_contains "$s" "$NEW" "the old PIN showed on the screen"
"$KT" change-pin --pin-fd 3 --new-pin-fd 4 3<<<"$NEW" 4<<<$'24681357\n24681357' >/dev/null ||
  fail "the PIN changed although the confirmation differed"

note "check on a factory-PIN token, answering no"
make_token TT0002 --label "second token"
run_in_tmux "$KT" check --token TT0002
wait_screen "Change the PIN now? [Y/n] "
s=$(screen)
assert_contains "$s" "Token TT0002 still has the factory PIN."
type_line n
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "Run 'kyso-token change-pin' to change it."
assert_contains "$s" "EXIT=10"

note "check on a factory-PIN token, Enter (yes) changes it"
run_in_tmux "$KT" check --token TT0002
wait_screen "Change the PIN now? [Y/n] "
tm send-keys -t "$S" Enter
wait_screen "Old PIN: "
type_line 12345678
wait_screen "New PIN: "
type_line 73519246
wait_screen "Confirm the new PIN: "
type_line 73519246
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "The token PIN was changed."
assert_contains "$s" "Token TT0002: OK."
assert_contains "$s" "EXIT=0"
assert_not_contains "$s" "12345678"
assert_not_contains "$s" "73519246"
assert_exit 0 "$KT" check --token TT0002 --batch
assert_exit 0 "$KT" info --token TT0002 --json
jq_ok '.pin_state == "ok"'
pass
