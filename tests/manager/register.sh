#!/usr/bin/env bash
# Register a certificate in the window with an activation code from a real
# kyso-ra (mailed to the outbox): the PIN asked in a dialog, the details
# shown for checking, the key made on the token, the certificate installed
# (pkcs11-tool -O lists it). Then forgot PIN by OTP (the OTP from the
# outbox mail; the OTP dialog says the lifetime the server gave, --otp-ttl
# 180: 3 minutes): the PIN reset to the factory PIN and its change forced.
. "$(dirname "$0")/lib.bash"
. "$MGR_TESTS/../ra_lib.sh"
need_manager

ra_start --otp-ttl 180
conf ra_url "$RA_URL"
make_token MGR0020 --label "Nguyen Van A" --admin-master "$RA_HOME/admin-master.key"
change_default_pin MGR0020
op_post /api/v1/registrations '{"type":"personal","name":"Nguyễn Văn A","id_number":"001099012345","province":"Hà Nội","email":"a@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}' >/dev/null
code=$(last_mail_value "Activation code")
[ -n "$code" ] || fail "no activation code in the outbox"

note "register"
manager_start
drive wait "kyso Token Manager" frame
drive select "Nguyen Van A (MGR0020)"
drive click "Register certificate"
drive type "Activation code" "$code"
shot en-register
drive click Continue
drive wait "Token PIN"
pin_dialog "$USER_PIN"
drive --timeout 60 wait "Check the certificate details"
drive wait-text "001099012345" >/dev/null
shot en-register-details
drive click Accept
drive --timeout 60 wait-text "The certificate was installed" >/dev/null
drive click OK
objs=$(ext pkcs11-tool --module "$MOD" --token-label "Nguyen Van A" --login --pin "$USER_PIN" -O 2>&1)
assert_contains "$objs" "Certificate Object"
assert_contains "$("$KT" certs --token MGR0020 --json | jq -r '.[].subject')" "CCCD:001099012345"
drive click Certificates
drive wait-text "Nguyễn Văn A" >/dev/null
shot en-certificates

note "forgot PIN by OTP"
for _ in 1 2 3 4 5; do
  "$KT" change-pin --token MGR0020 --pin-fd 3 --new-pin-fd 4 3<<<"99999999" \
    4<<<$'11223344\n11223344' >/dev/null 2>&1 || true
done
drive select "Nguyen Van A (MGR0020)"
drive click "Forgot PIN"
drive click Personal
drive type "ID card number" 001099012345
drive type "Contact e-mail" a@example.vn
shot en-forgot-pin
mails=$(ls "$RA_HOME"/outbox/*.eml | wc -l)
drive click "Send request"
for _ in $(seq 200); do
  [ "$(ls "$RA_HOME"/outbox/*.eml | wc -l)" -gt "$mails" ] && grep -qs "^OTP:" "$(newest_mail)" && break
  sleep 0.1
done
otp=$(last_mail_value OTP)
[ -n "$otp" ] || fail "no OTP in the outbox$(manager_log)"
drive wait-text "It is valid for 3 minutes." >/dev/null
shot en-forgot-pin-otp
drive type OTP "$otp"
drive click Confirm
drive --timeout 60 wait-text "The PIN was reset to the factory PIN" >/dev/null
drive click OK
drive wait "Change the factory PIN"
change_pin_form 12345678 "$USER_PIN"
p11_login "Nguyen Van A" "$USER_PIN" || fail "pkcs11-tool cannot log in after the reset$(manager_log)"
pass
