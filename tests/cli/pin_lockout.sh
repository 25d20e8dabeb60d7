#!/usr/bin/env bash
# PIN tries, lockout and recovery as a subscriber meets them (issue 8):
# each wrong PIN says what is left (a few, the final try), the try that
# locks says so and names the way out, a locked token is never asked a
# PIN (tmux: no prompt shows), and 'kyso-token unblock' resets the PIN
# with the SO PIN; a locked SO PIN sends the subscriber to the CA.
. "$(dirname "$0")/helpers.bash"

. "$(dirname "$0")/../tmux_lib.sh"

make_token PL0001 --label "lockout token" --user-retries 3 --so-retries 2
change_default_pin PL0001
cp_() { "$KT" change-pin --pin-fd 3 --new-pin-fd 4 3<<<"$1" 4<<<$'99887766\n99887766'; }

note "the first wrong PIN: the token counts, a few more and it locks"
assert_exit 4 cp_ 00000000
assert_contains "$OUT" "the PIN is incorrect"
assert_contains "$OUT" "a few more and it locks"

note "the second: one try is left, and the way out instead of a guess"
assert_exit 4 cp_ 00000001
assert_contains "$OUT" "One try is left before the PIN locks"
assert_contains "$OUT" "kyso-token forgot-pin"
# check does not call that "OK".
assert_exit 0 "$KT" check --batch
assert_not_contains "$OUT" "OK."
assert_contains "$OUT" "Token PL0001: one try is left before the PIN locks."
assert_exit 0 "$KT" check --json
jq_ok '.pin_final_try == true and .findings == []'

note "the third locks it, and says so with what to do next"
assert_exit 4 cp_ 00000002
assert_contains "$OUT" "That was the last try: the PIN is now locked."
assert_contains "$OUT" "kyso-token forgot-pin"
assert_contains "$OUT" "kyso-token unblock"
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "locked"'

note "a locked token is not asked a PIN: change-pin at the terminal"
run_in_tmux "$KT" change-pin
wait_screen "EXIT="
s=$(screen)
assert_not_contains "$s" "Old PIN:" "a locked token was asked its PIN"
assert_contains "$s" "Token PL0001: the PIN is locked after too many wrong tries; it was not asked."
assert_contains "$s" "kyso-token unblock"
assert_contains "$s" "EXIT=5"

note "... nor by register (before the CA's server is even needed)"
run_in_tmux "$KT" register --ra http://127.0.0.1:9
wait_screen "EXIT="
s=$(screen)
assert_not_contains "$s" "Token PIN:" "register asked a locked token's PIN"
assert_contains "$s" "it was not asked"
assert_contains "$s" "EXIT=5"

note "in Vietnamese too"
assert_exit 5 env LANG=vi_VN.UTF-8 "$KT" change-pin --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "kyso-token unblock"
assert_not_contains "$OUT" "it was not asked"

note "unblock at the terminal: the SO PIN is not echoed; a wrong one costs a try"
run_in_tmux "$KT" unblock
wait_screen "SO PIN: "
type_line 11112222
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "the PIN is incorrect"
assert_contains "$s" "EXIT=4"
assert_not_contains "$s" "11112222" "the SO PIN showed on the screen"
run_in_tmux "$KT" unblock
wait_screen "SO PIN: "
type_line "$SO_PIN"
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "The PIN of token PL0001 was reset to the factory PIN 12345678."
assert_contains "$s" "kyso-token change-pin"
assert_contains "$s" "EXIT=0"
assert_not_contains "$s" "$SO_PIN" "the SO PIN showed on the screen"
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "default-pin"'
change_default_pin PL0001
# An independent client logs in with the new PIN.
ext pkcs11-tool --module "$MOD" --token-label "lockout token" --login \
  --pin "$USER_PIN" --list-objects >/dev/null 2>&1 ||
  fail "pkcs11-tool cannot log in after the unblock"

note "unblock by script, --json"
assert_exit 0 "$KT" unblock --json --so-pin-fd 3 3<<<"$SO_PIN"
jq_ok '.unblocked == true and .serial == "PL0001"'
change_default_pin PL0001

note "the SO PIN locks too: then only the CA can help, and it is not asked again"
assert_exit 4 "$KT" unblock --so-pin-fd 3 3<<<11112222
assert_contains "$OUT" "One try is left"
assert_exit 4 "$KT" unblock --so-pin-fd 3 3<<<11112223
assert_contains "$OUT" "That was the last try: the SO PIN is now locked."
assert_contains "$OUT" "Take the token to your CA"
run_in_tmux "$KT" unblock
wait_screen "EXIT="
s=$(screen)
assert_not_contains "$s" "SO PIN: " "a locked SO PIN was asked"
assert_contains "$s" "the SO PIN is locked after too many wrong tries; it was not asked."
assert_contains "$s" "EXIT=5"

note "help"
assert_exit 0 "$KT" unblock --help
assert_contains "$OUT" "SO PIN"
assert_exit 0 "$KT" --help
assert_contains "$OUT" "unblock"
pass
