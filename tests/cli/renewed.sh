#!/usr/bin/env bash
# After a renewal the old certificate stays on the token beside the new
# one (same holder, issued later). check and watch say once that it was
# replaced (no "renew now", no "EXPIRED", no exit 12 for it); certs marks
# it; `certs delete SERIAL` removes it and its key pair after a
# confirmation and the PIN (tmux), with the usual PIN rules. A
# certificate of another holder that expired is still a warning.
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../tmux_lib.sh"

vt() { "$KT" vtoken "$@"; }
make_token RN0001 --label "renewed"
change_default_pin RN0001
ca_init
# The key pairs the certificates belong to (ID 01 old, 02 new).
for id in 01 02; do
  ext pkcs11-tool --module "$MOD" --token-label renewed --login --pin "$USER_PIN" \
    --keypairgen --key-type EC:prime256v1 --id "$id" --label "key$id" >/dev/null 2>&1 ||
    fail "keypairgen $id"
done
issue_cert old "/O=Cong ty An Phat/CN=Cong ty An Phat" "$(utc_in -700)" "$(utc_in -3)"
issue_cert new "/O=Cong ty An Phat/CN=Cong ty An Phat" "$(utc_in -5)" "$(utc_in 725)"
put_cert "$MOD" renewed "$WORK/old.der" 01 "old cert"
put_cert "$MOD" renewed "$WORK/new.der" 02 "new cert"
ser() { openssl x509 -in "$WORK/$1.pem" -noout -serial | cut -d= -f2; }
OLD=$(ser old)

note "check: the replaced, expired certificate is a note, exit 0"
assert_exit 0 "$KT" check --batch
assert_contains "$OUT" "The certificate of Cong ty An Phat (serial $OLD) has expired; a newer certificate on this"
assert_contains "$OUT" "kyso-token certs delete $OLD"
assert_not_contains "$OUT" "EXPIRED"
assert_not_contains "$OUT" "Renew it now"
assert_exit 0 "$KT" check --json
jq_ok ".exit == 0 and .findings == [{\"finding\": \"certificate-replaced\", \"subject\": \"Cong ty An Phat\", \"serial\": \"$OLD\", \"days_left\": .findings[0].days_left}]"
jq_ok '.findings[0].days_left < 0'
assert_exit 0 env LANG=vi_VN.UTF-8 "$KT" check --batch
assert_contains "$OUT" "Chứng thư số của Cong ty An Phat (số sê-ri $OLD) đã hết hạn; chứng thư số mới hơn trên token"
assert_contains "$OUT" "không cần làm gì"

note "an old certificate still valid but inside the warning window: a note too"
issue_cert soon "/O=Cong ty An Phat/CN=Cong ty An Phat" "$(utc_in -360)" "$(utc_in 5)"
ext pkcs11-tool --module "$MOD" --token-label renewed --login --pin "$USER_PIN" \
  --delete-object --type cert --id 01 >/dev/null 2>&1
put_cert "$MOD" renewed "$WORK/soon.der" 01 "old cert"
SOON=$(ser soon)
assert_exit 0 "$KT" check --batch
assert_contains "$OUT" "(serial $SOON) expires soon; a newer certificate on this"
assert_not_contains "$OUT" "Renew it now"

note "certs marks it, in local time"
assert_exit 0 "$KT" certs
assert_contains "$OUT" "Replaced:   a newer certificate for the same holder is on the token"
[ "$(printf '%s\n' "$OUT" | grep -c "Replaced:")" = 1 ] || fail "only the old one is replaced: $OUT"
assert_exit 0 "$KT" certs --json
jq_ok "[.[] | select(.superseded)] | map(.serial) == [\"$SOON\"]"

note "watch: the note once, not at every plug-in"
"$KT" watch --count 4 --batch > "$WORK/watch.out" 2>&1 &
wpid=$!
for _ in $(seq 100); do grep -q "Waiting for tokens" "$WORK/watch.out" && break; sleep 0.1; done
vt unplug RN0001 >/dev/null
for _ in $(seq 150); do grep -q "removed" "$WORK/watch.out" && break; sleep 0.1; done
vt plug RN0001 >/dev/null
for _ in $(seq 150); do grep -q "has replaced it" "$WORK/watch.out" && break; sleep 0.1; done
vt unplug RN0001 >/dev/null
vt plug RN0001 >/dev/null
for _ in $(seq 150); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
wait "$wpid" || fail "watch exited $?"
out=$(cat "$WORK/watch.out")
assert_eq "$(printf '%s\n' "$out" | grep -c "A token was plugged")" 2 "plug-ins seen: $out"
assert_eq "$(printf '%s\n' "$out" | grep -c "has replaced it")" 1 "the note, once: $out"
assert_not_contains "$out" "Renew it now"

note "another holder's expired certificate is still a warning (exit 12)"
issue_cert other "/CN=Tran Van Khac" "$(utc_in -400)" "$(utc_in -1)"
put_cert "$MOD" renewed "$WORK/other.der" 03 "other"
assert_exit 12 "$KT" check --batch
assert_contains "$OUT" "The certificate of Tran Van Khac has EXPIRED: no new signature can be made with it."
assert_contains "$OUT" "Signatures made while it was valid stay valid"
assert_not_contains "$OUT" "no longer valid"
assert_exit 12 "$KT" check --json
jq_ok "[.findings[] | select(.finding == \"certificate-expired\")] == [{\"finding\": \"certificate-expired\", \"subject\": \"Tran Van Khac\", \"serial\": \"$(ser other)\", \"days_left\": -1}]"
ext pkcs11-tool --module "$MOD" --token-label renewed --login --pin "$USER_PIN" \
  --delete-object --type cert --id 03 >/dev/null 2>&1

note "certs delete: refused without a confirmation, unknown serials said"
assert_exit 8 "$KT" certs delete "$SOON" --pin-fd 3 3<<<"$USER_PIN" </dev/null
assert_contains "$OUT" "needs a confirmation"
assert_exit 1 "$KT" certs delete ABCDEF --yes --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "There is no certificate with serial ABCDEF on the token"
assert_exit 2 "$KT" certs delete not-hex
note "a wrong PIN: exit 4, nothing deleted"
assert_exit 4 "$KT" certs delete "$SOON" --yes --pin-fd 3 3<<<"00000000"
assert_exit 0 "$KT" certs
assert_contains "$OUT" "Serial:     $SOON"

note "certs delete at the terminal: the certificate shown, confirmed, the PIN"
run_in_tmux "$KT" certs delete "$(echo "$SOON" | tr 'A-F' 'a-f')"
wait_screen "Delete this certificate and its key pair from the token? [Y/n]"
assert_contains "$(screen)" "Serial:     $SOON"
type_line y
wait_screen "Token PIN: "
type_line "$USER_PIN"
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "The certificate $SOON and its key pair were deleted."
assert_contains "$s" "EXIT=0"
assert_not_contains "$s" "$USER_PIN"
objs=$(ext pkcs11-tool --module "$MOD" --token-label renewed --login --pin "$USER_PIN" --list-objects 2>/dev/null)
assert_not_contains "$objs" "ID:         01" "the old certificate or its keys are still there"
assert_contains "$objs" "ID:         02"
assert_exit 0 "$KT" check --batch
assert_contains "$OUT" ": OK."

pass
