#!/usr/bin/env bash
# Issue 15 item 3: a token serial belongs to the registration whose
# certificates it has held until every one of them is revoked or expired.
# The victim renews from token A to B to C; A and B still carry her good
# certificates. Another subscriber, with an activation code of her own,
# claims A and B: refused (409 token_in_use, her code unspent, no PIN-reset
# OTP for A). Once A's certificate is revoked and B's has expired, she may
# claim them.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
complete() {  # complete CODE TOKEN
  sub POST /api/v1/activation/complete "{\"code\":\"$1\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"$2\"}"
}

note "the victim: token A, renewed onto B, then onto C"
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
victim=$(jqo .id)
complete "$(mail_value "Activation code")" TOK-A; expect 200
sa=$(jqo .serial)
op POST "/api/v1/registrations/$victim/renew" ''; expect 200
complete "$(mail_value "Activation code")" TOK-B; expect 200
sb=$(jqo .serial)
op POST "/api/v1/registrations/$victim/renew" ''; expect 200
complete "$(mail_value "Activation code")" TOK-C; expect 200
op GET "/api/v1/registrations/$victim"; expect 200
assert_eq "$(jqo .token_serial)" TOK-C

note "another subscriber claims the tokens left behind: refused"
MALLORY=$(jq -c '.name = "Trần Thị Mai" | .id_number = "001199054321" | .email = "mai@example.vn" | .key_type = "p256"' <<<"$PERSON")
op POST /api/v1/registrations "$MALLORY"; expect 201
mallory=$(jqo .id)
code=$(mail_value "Activation code")
for t in TOK-A TOK-B TOK-C; do
  complete "$code" "$t"; expect 409 token_in_use
done
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE registration_id = $mallory")" 0
# Refused before anything is signed (the token's holders come with the
# code's lookup): no certificate signed and thrown away.
[[ $(cat "$W/ra-main.log") != *"signed and discarded"* ]] || fail "a refused claim had a certificate signed"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE 'certificate discarded%'")" 0
n=$(mails)
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001199054321","email":"mai@example.vn","token_serial":"TOK-A"}'
expect 202
assert_eq "$(mails)" "$n" "an OTP was sent for a token she does not own"

note "A's certificate revoked: A is free"
op POST "/api/v1/certificates/$sa/revoke" '{"reason":"superseded"}'; expect 200
complete "$code" TOK-B; expect 409 token_in_use
complete "$code" TOK-A; expect 200
op GET "/api/v1/registrations/$mallory"; expect 200
assert_eq "$(jqo .token_serial)" TOK-A

note "B's certificate expired: B is free"
op POST "/api/v1/registrations/$mallory/renew" ''; expect 200
code=$(mail_value "Activation code")
complete "$code" TOK-B; expect 409 token_in_use
sql_q "UPDATE certificates SET not_after = $(($(date +%s) - 60)) WHERE serial = '$sb'" >/dev/null
complete "$code" TOK-B; expect 200
op GET "/api/v1/registrations/$mallory"; expect 200
assert_eq "$(jqo .token_serial)" TOK-B
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
