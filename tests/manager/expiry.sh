#!/usr/bin/env bash
# The monitor's notifications: a certificate expiring in 10 days → 
# "Certificate expiring soon" naming the holder, with a "Renew" action
# that opens the renewal screen; an expired one → "Certificate expired";
# a locked PIN → "Token PIN locked" with "Forgot PIN".
. "$(dirname "$0")/lib.bash"
need_manager
ca_init

# cert_token SERIAL LABEL CN DAYS: a token with the PIN changed and a
# certificate for CN ending in DAYS days, unplugged.
cert_token() {
  make_token "$1" --label "$2"
  change_default_pin "$1"
  issue_cert "$1" "/CN=$3" "$(utc_in -300)" "$(utc_in "$4")"
  put_cert "$MOD" "$2" "$WORK/$1.der" 01 "$3"
  "$KT" vtoken unplug "$1" >/dev/null
}
cert_token MGR0010 "Token Soon" "Tran Thi Soon" 10
cert_token MGR0011 "Token Gone" "Le Van Expired" -3
make_token MGR0012 --label "Token Locked"
change_default_pin MGR0012
for _ in 1 2 3 4 5; do
  "$KT" change-pin --token MGR0012 --pin-fd 3 --new-pin-fd 4 3<<<"99999999" \
    4<<<$'11223344\n11223344' >/dev/null 2>&1 || true
done
"$KT" vtoken unplug MGR0012 >/dev/null

manager_start --monitor
sleep 1
note "expiring in 10 days"
"$KT" vtoken plug MGR0010 >/dev/null
n=$(notification "Certificate expiring soon")
assert_contains "$(jq -r .body <<<"$n")" "Tran Thi Soon"
days=$(jq -r .body <<<"$n" | grep -oE '\b(9|10)\b' | head -n 1 || true)
[ -n "$days" ] || fail "the body does not say 10 days left: $n"
key=$(jq -r '.actions | to_entries[] | select(.value == "Renew") | .key' <<<"$n")
case "$key" in app.renew::*) ;; *) fail "no Renew action (app.renew::SERIAL): $n" ;; esac

note "expired"
"$KT" vtoken plug MGR0011 >/dev/null
n2=$(notification "Certificate expired")
assert_contains "$(jq -r .body <<<"$n2")" "Le Van Expired"
assert_eq "$(jq -r '[.actions[]] | index("Renew") != null' <<<"$n2")" true "no Renew on the expired notice: $n2"

note "PIN locked"
"$KT" vtoken plug MGR0012 >/dev/null
n3=$(notification "Token PIN locked")
assert_eq "$(jq -r '[.actions[]] | index("Forgot PIN") != null' <<<"$n3")" true "no Forgot PIN action: $n3"

note "each token is warned once per plug-in"
sleep 2
assert_eq "$(jq -c 'select(.summary == "Certificate expiring soon")' "$NOTES" | wc -l)" 1 \
  "warned more than once: $(cat "$NOTES")"

note "Renew clicked: the renewal screen opens"
invoke_action "$(jq -r .id <<<"$n")" "$key"
drive wait "kyso Token Manager" frame
drive wait "Activation code"
shot en-renew
pass
