#!/usr/bin/env bash
# Issue 15 (kyso-ra issued at 0.14-0.48x cfssl's rate on PostgreSQL):
# each statement was parsed and planned by the server at every call. A
# statement with parameters is now prepared once per connection and run
# by name; PostgreSQL's own statement log (log_statement = all) is the
# witness: the second issuance on a connection runs no unnamed statement
# with parameters, and costs at most 8 statements (round trips).
RA_TEST_SETUP=$(dirname "$0")/setup_pg.bash
. "$(dirname "$0")/helpers.bash"

sql_q "ALTER DATABASE kyso_ra SET log_statement = 'all'" >/dev/null
ra_init --ca-key-type p256
ra_serve main --threads 1
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
issue() {  # issue N: registers and completes one subscriber
  local body
  body=$(jq -c --arg n "$(printf '%012d' "$1")" '.id_number = $n | .key_type = "p256"' <<<"$PERSON")
  op POST /api/v1/registrations "$body"; expect 201
  code=$(mail_value "Activation code")
  REQ="{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"PS$1\"}"
}
issue 1
sub POST /api/v1/activation/complete "$REQ"; expect 200
issue 2
before=$(wc -l <"$PGD/log")
sub POST /api/v1/activation/complete "$REQ"; expect 200
openssl x509 -noout <<<"$(jqo .certificate)" || fail "no certificate"
tail -n +$((before + 1)) "$PGD/log" | grep -E 'LOG: +(statement|execute)' >"$W/stmts" || true
cat "$W/stmts" >&2
n=$(wc -l <"$W/stmts")
[ "$n" -ge 5 ] || fail "PostgreSQL logged $n statements for an issuance (log_statement not applied?)"
[ "$n" -le 8 ] || fail "an issuance cost $n statements, want at most 8"
# unnamed with parameters: "execute <unnamed>: ... $1"
grep '<unnamed>.*\$1' "$W/stmts" >&2 && fail "a statement with parameters was not prepared"
[[ $(cat "$W/stmts") == *'execute k'* ]] || fail "no prepared statement ran"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
