#!/usr/bin/env bash
# Issue 15 item 9: the outbox is a delivery queue. Under serve, an OTP
# mail is removed once its OTP has expired and any mail once the longer of
# the code and OTP lifetimes has passed, so codes and OTPs do not stay
# readable in .eml files. (Bounded polling: the sweep runs every 5 s.)
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main --otp-ttl 1
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
act=$(newest_mail)
code=$(mail_value "Activation code")
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"OB0001\"}"
expect 200
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001099012345","email":"an@example.vn","token_serial":"OB0001"}'
expect 202
otpmail=$(newest_mail)
grep -q "^OTP:" "$otpmail" || fail "no OTP mail"
gone() {  # gone FILE: waits (bounded) for the sweep to remove FILE
  local i
  for i in $(seq 1 250); do [ -e "$1" ] || return 0; sleep 0.1; done
  return 1
}
note "the expired OTP's mail goes; the activation mail (code lifetime 72 h) stays"
gone "$otpmail" || fail "the OTP mail stayed after its OTP expired"
[ -e "$act" ] || fail "the activation mail went before its code expired"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
note "with 1-second code and OTP lifetimes, the activation mail goes too"
URL=
ra_serve short --code-ttl 1 --otp-ttl 1
gone "$act" || fail "the activation mail stayed after the code lifetime"
assert_eq "$(mails)" 0
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
