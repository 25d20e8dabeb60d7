#!/usr/bin/env bash
# Issue 15, "tests that would not have noticed": an expired OTP is refused.
# A server started with a zero OTP lifetime mails an OTP that is expired
# when it is sent; confirmed with the right OTP a second later: 403
# otp_invalid, no unblock answer. The same request through a server with
# the default lifetime, on the same database, is answered (so the refusal
# is the expiry, not a wrong OTP).
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve zero --otp-ttl 0
ra_serve normal
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"OX0001\"}"
expect 200
req='{"type":"personal","id_number":"001099012345","email":"an@example.vn","token_serial":"OX0001"}'
chal=$(openssl rand -hex 32)

note "zero OTP lifetime: the right OTP, a second later, is refused"
n=$(mails)
api POST "$URL_zero/api/v1/pin-reset/request" "$req"; expect 202
assert_eq "$(mails)" $((n + 1)) "no OTP mailed"
otp=$(mail_value OTP)
sleep 1.2
api POST "$URL_zero/api/v1/pin-reset/confirm" "{\"token_serial\":\"OX0001\",\"otp\":\"$otp\",\"challenge\":\"$chal\"}"
expect 403 otp_invalid
assert_eq "$(jqo '.response // "none"')" none
api POST "$URL_normal/api/v1/pin-reset/confirm" "{\"token_serial\":\"OX0001\",\"otp\":\"$otp\",\"challenge\":\"$chal\"}"
expect 403 otp_invalid

note "the default lifetime: the right OTP is answered"
api POST "$URL_normal/api/v1/pin-reset/request" "$req"; expect 202
otp=$(mail_value OTP)
sleep 1.2
api POST "$URL_normal/api/v1/pin-reset/confirm" "{\"token_serial\":\"OX0001\",\"otp\":\"$otp\",\"challenge\":\"$chal\"}"
expect 200
[[ "$(jqo .response)" =~ ^[0-9a-f]{64}$ ]] || fail "no unblock response: $OUT"
kill "$PID_zero" "$PID_normal"
wait "$PID_zero" || fail "kyso-ra did not stop cleanly"
wait "$PID_normal" || fail "kyso-ra did not stop cleanly"
pass
