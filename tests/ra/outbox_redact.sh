#!/usr/bin/env bash
# Issue 15 item 9 (rest): a code or OTP leaves the outbox's .eml as soon as
# it is used, not only when it expires: after a successful completion the
# activation mail no longer holds the code, after a PIN reset the OTP mail
# no longer holds the OTP (the rest of each mail, its name and its time
# stay: the sweep still removes it at expiry). A refused completion leaves
# the code where it was, and another subscriber's mail is untouched.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main
op POST /api/v1/registrations "$(jq -c '.key_type = "p256" | .id_number = "001099000888" | .email = "binh@example.vn"' <<<"$PERSON")"
expect 201
other=$(newest_mail)
ocode=$(mail_value "Activation code")
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
act=$(newest_mail)
code=$(mail_value "Activation code")
[[ "$code" =~ ^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$ ]] || fail "code shape: $code"
mtime=$(stat -c %Y "$act")
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256

note "a refused completion (a CSR that is not one) keeps the code in the mail"
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":\"junk\",\"token_serial\":\"RD0001\"}"
expect 400
[[ $(cat "$act") == *"$code"* ]] || fail "a refused completion took the code out of the mail"

note "a successful completion (the code typed in lower case, no dashes) redacts it"
typed=$(tr -d - <<<"$code" | tr A-Z a-z)
sub POST /api/v1/activation/complete "{\"code\":\"$typed\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"RD0001\"}"
expect 200
[ -e "$act" ] || fail "the activation mail went"
m=$(cat "$act")
assert_not_contains "$m" "$code" "the used code is still in the outbox"
assert_contains "$m" "Activation code: (đã dùng / used)"
assert_contains "$m" "Mã kích hoạt: (đã dùng / used)"
assert_contains "$m" "To: <an@example.vn>"
assert_eq "$(stat -c %Y "$act")" "$mtime" "the mail's time (its retention) changed"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 404 code_invalid
[[ $(cat "$other") == *"Activation code: $ocode"* ]] || fail "another subscriber's unused code left its mail"

note "a PIN reset redacts its OTP"
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001099012345","email":"an@example.vn","token_serial":"RD0001"}'
expect 202
otpmail=$(newest_mail)
otp=$(mail_value OTP)
[[ "$otp" =~ ^[0-9]{6}$ ]] || fail "OTP shape: $otp"
sub POST /api/v1/pin-reset/confirm "{\"token_serial\":\"RD0001\",\"otp\":\"$otp\",\"challenge\":\"$(openssl rand -hex 32)\"}"
expect 200
m=$(cat "$otpmail")
assert_not_contains "$m" "OTP: $otp" "the used OTP is still in the outbox"
assert_contains "$m" "Mã OTP: (đã dùng / used)"
[[ $(cat "$act") == *"(đã dùng / used)"* ]] || fail "the activation mail changed again"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
