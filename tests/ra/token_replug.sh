#!/usr/bin/env bash
# The CA key on kyso's own token, and the token is pulled out and plugged
# in again while the server runs: the next issuance opens a new session,
# logs in again and signs; while the token is out, issuance fails cleanly
# and the code stays usable.
RA_TEST_SETUP=$(dirname "$0")/setup_vtoken.bash
. "$(dirname "$0")/helpers.bash"

ra_init
ra_serve main
issue() {  # issue TOKEN_SERIAL -> STATUS, OUT
  op POST /api/v1/registrations "$(jq -c --arg t "$1" '.email = ($t + "@example.vn") | .key_type = "p256"' <<<"$PERSON")"
  expect 201
  code=$(mail_value "Activation code")
  csr "$W/k-$1.pem" "$W/r-$1.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
  sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r-$1.csr"),\"token_serial\":\"$1\"}"
}
issue T1; expect 200
"$KT" vtoken unplug RACA0001 >/dev/null || fail "unplug"
issue T2
[ "$STATUS" != 200 ] || fail "issued with the CA token unplugged"
expect 500 internal
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200   # not spent
"$KT" vtoken plug RACA0001 >/dev/null || fail "plug"
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r-T2.csr"),\"token_serial\":\"T2\"}"
expect 200
jqo .certificate > "$W/c2.pem"
openssl verify -CAfile "$RA_HOME/root.pem" -untrusted "$RA_HOME/ca.pem" "$W/c2.pem" >/dev/null ||
  fail "the certificate signed after the re-plug does not verify"
assert_contains "$(cat "$W/ra-main.log")" "opening a new session"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
