#!/usr/bin/env bash
# list, info, check and change-pin through their real arguments, text and
# --json, with the documented exit codes: on the kyso virtual token and on
# SoftHSM2 (another vendor's module, driven with --module).
. "$(dirname "$0")/helpers.bash"

note "kyso: nothing plugged in"
assert_exit 0 "$KT" list
assert_contains "$OUT" "Slot 0: kyso virtual USB reader 0: no token"
assert_exit 0 "$KT" list --json
jq_ok 'length == 4 and all(.[]; .present == false)'
for c in info check certs export change-pin; do
  assert_exit 3 "$KT" $c --pin-fd 3 --new-pin-fd 4 3</dev/null 4</dev/null
  assert_contains "$OUT" "No token is plugged in"
done

note "kyso: a factory-fresh token"
make_token CT0001 --label "Nguyen Van A" --user-retries 3
assert_exit 0 "$KT" list
assert_contains "$OUT" 'token "Nguyen Van A", serial CT0001, model kyso vToken (factory PIN not changed yet)'
assert_exit 0 "$KT" list --json
json_only
jq_ok '.[0] | .slot == 0 and .present and .serial == "CT0001" and .label == "Nguyen Van A" and .pin_state == "default-pin" and .initialized'
jq_ok '[.[] | select(.present)] | length == 1'
assert_exit 0 "$KT" info
assert_contains "$OUT" "Serial number:     CT0001"
assert_contains "$OUT" "Manufacturer:      kyso"
assert_contains "$OUT" "Total memory:      65536 bytes"
assert_contains "$OUT" "PIN length:        6 to 16 characters"
assert_contains "$OUT" "PIN state:         factory PIN, must be changed before signing"
assert_exit 0 "$KT" info --json
json_only
jq_ok '.serial == "CT0001" and .label == "Nguyen Van A" and .manufacturer == "kyso" and .model == "kyso vToken"'
jq_ok '.pin_state == "default-pin" and .pin_to_be_changed and .initialized and .user_pin_initialized and (.so_pin_locked | not)'
jq_ok '.min_pin_length == 6 and .max_pin_length == 16 and .total_memory == 65536 and .free_memory <= .total_memory'
jq_ok '(.hardware_version | test("^[0-9]+\\.[0-9]+$")) and (.firmware_version | test("^[0-9]+\\.[0-9]+$"))'
assert_exit 10 "$KT" check --batch
assert_contains "$OUT" "Token CT0001 still has the factory PIN"
assert_contains "$OUT" "kyso-token change-pin"
assert_exit 10 "$KT" check --json
json_only
jq_ok '.serial == "CT0001" and .findings == ["default-pin"] and .exit == 10'

note "kyso: change-pin refusals change nothing"
cp_() { "$KT" change-pin --token CT0001 --pin-fd 3 --new-pin-fd 4 3<<<"$1" 4<<<"$2"; }
assert_exit 6 cp_ 12345678 $'13572468\n13572469'
assert_contains "$OUT" "differ; nothing was changed"
assert_exit 7 cp_ 12345678 $'1357\n1357'
assert_contains "$OUT" "must be 6 to 16 characters"
assert_exit 7 cp_ 12345678 $'12345678901234567\n12345678901234567'
assert_exit 7 cp_ 12345678 $'12345678\n12345678'
assert_contains "$OUT" "other than the old one and the factory PIN"
assert_exit 2 "$KT" change-pin --token CT0001 --pin-fd 3 --new-pin-fd 4 3</dev/null 4</dev/null
assert_contains "$OUT" "No PIN was given"
assert_exit 4 cp_ 11111111 $'13572468\n13572468'
assert_contains "$OUT" "the PIN is incorrect"
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "default-pin"'
assert_exit 10 "$KT" check --batch

note "kyso: change-pin"
assert_exit 0 cp_ 12345678 $'13572468\n13572468'
assert_contains "$OUT" "The token PIN was changed."
assert_exit 0 "$KT" check --batch
assert_contains "$OUT" "Token CT0001: OK."
assert_exit 0 "$KT" check --json
jq_ok '.findings == [] and .exit == 0'
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "ok" and (.pin_to_be_changed | not)'
assert_exit 0 "$KT" change-pin --json --pin-fd 3 --new-pin-fd 4 3<<<13572468 4<<<$'24681357\n24681357'
json_only
jq_ok '.changed == true'
# The old PIN no longer works; the new one does.
assert_exit 4 cp_ 13572468 $'99887766\n99887766'

note "kyso: a locked PIN (3 tries)"
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "count-low"'
assert_exit 4 cp_ 00000000 $'99887766\n99887766'
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "final-try"'
assert_exit 0 "$KT" info
assert_contains "$OUT" "one try left before the PIN locks"
# The third wrong PIN is refused as incorrect, and locks the PIN.
assert_exit 4 cp_ 00000000 $'99887766\n99887766'
assert_exit 5 cp_ "$USER_PIN" $'99887766\n99887766'
assert_contains "$OUT" "the PIN is locked"
assert_contains "$OUT" "kyso-token forgot-pin"
assert_exit 13 "$KT" check --batch
assert_contains "$OUT" "Token CT0001: the PIN is locked"
assert_exit 13 "$KT" check --json
jq_ok '.findings == ["pin-locked"] and .exit == 13'
assert_exit 0 "$KT" info --json
jq_ok '.pin_state == "locked"'
assert_exit 0 "$KT" list
assert_contains "$OUT" "serial CT0001, model kyso vToken (PIN locked)"

note "kyso: choosing among several tokens"
make_token CT0002 --label "Tran Thi B"
assert_exit 2 "$KT" info
assert_contains "$OUT" "Several tokens are plugged in"
assert_exit 2 "$KT" check --batch
assert_exit 0 "$KT" info --token CT0002 --json
jq_ok '.serial == "CT0002"'
assert_exit 0 "$KT" info --token "Tran Thi B" --json
jq_ok '.serial == "CT0002"'
assert_exit 3 "$KT" info --token CT9999
assert_contains "$OUT" "No token with serial or label 'CT9999' is plugged in"
assert_exit 0 "$KT" list --json
jq_ok '[.[] | select(.present) | .serial] == ["CT0001", "CT0002"]'
jq_ok '[.[] | select(.present) | .pin_state] == ["locked", "default-pin"]'

note "softhsm2: list, info, check, change-pin"
softhsm_init "hsm token"
S=(--module "$SOFTHSM")
assert_exit 0 "$KT" list "${S[@]}"
assert_contains "$OUT" 'token "hsm token"'
assert_contains "$OUT" "model SoftHSM v2"
assert_contains "$OUT" "an empty token, not initialized"
assert_exit 0 "$KT" list "${S[@]}" --json
jq_ok '[.[] | select(.present)] | length == 2'
jq_ok '[.[] | select(.label == "hsm token")][0] | .initialized and .pin_state == "ok" and .model == "SoftHSM v2"'
jq_ok '[.[] | select(.present and (.initialized | not))] | length == 1'
hsm_serial=$(jq_get '.[] | select(.label == "hsm token") | .serial')
# SoftHSM's spare, uninitialized token is not a second choice.
assert_exit 0 "$KT" info "${S[@]}"
assert_contains "$OUT" "Label:             hsm token"
assert_contains "$OUT" "Model:             SoftHSM v2"
assert_contains "$OUT" "Module:            $SOFTHSM"
assert_exit 0 "$KT" info "${S[@]}" --token "$hsm_serial" --json
json_only
jq_ok ".serial == \"$hsm_serial\" and .label == \"hsm token\" and .pin_state == \"ok\" and .initialized"
assert_exit 0 "$KT" check "${S[@]}" --token "hsm token" --batch
assert_contains "$OUT" "Token $hsm_serial: OK."
assert_exit 0 "$KT" check "${S[@]}" --json
jq_ok '.findings == [] and .exit == 0'
hcp() { "$KT" change-pin "${S[@]}" --token "hsm token" --pin-fd 3 --new-pin-fd 4 3<<<"$1" 4<<<"$2"; }
assert_exit 6 hcp "$USER_PIN" $'11223344\n11223355'
assert_exit 7 hcp "$USER_PIN" $'12\n12'
assert_exit 4 hcp 00000000 $'11223344\n11223344'
assert_contains "$OUT" "the PIN is incorrect"
assert_exit 0 hcp "$USER_PIN" $'11223344\n11223344'
assert_contains "$OUT" "The token PIN was changed."
assert_exit 4 hcp "$USER_PIN" $'55667788\n55667788'
assert_exit 0 "$KT" change-pin "${S[@]}" --json --pin-fd 3 --new-pin-fd 4 3<<<11223344 4<<<$'55667788\n55667788'
jq_ok '.changed == true'
# The new PIN is the one SoftHSM2 takes now.
ext pkcs11-tool --module "$SOFTHSM" --token-label "hsm token" --login --pin 55667788 \
  --list-objects >/dev/null 2>&1 || fail "SoftHSM2 refused the PIN kyso-token set"
assert_exit 3 "$KT" info "${S[@]}" --token "no such token"
pass
