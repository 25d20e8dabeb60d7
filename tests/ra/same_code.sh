#!/usr/bin/env bash
# Issue 15, "tests that would not have noticed": N completions with the
# SAME activation code at once (tests/ra/concurrency.sh races different
# codes, so dropping "spent_at IS NULL" from the spending UPDATE went
# unnoticed): exactly one 200, one certificate, the others 404
# code_invalid. On PostgreSQL (same_code_postgres.sh) the racers are
# shared between two servers on one database.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main --threads 4
urls=("$URL")
if [ -n "${RA_TEST_TWO:-}" ]; then
  ra_serve second --threads 4
  urls+=("$URL_second")
fi
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
N=12
for round in 1 2 3 4 5; do
  body=$(jq -c --arg n "$(printf '%012d' "$round")" '.id_number = $n | .key_type = "p256"' <<<"$PERSON")
  op POST /api/v1/registrations "$body"; expect 201
  rid=$(jqo .id)
  code=$(mail_value "Activation code")
  req="{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"SC$round\"}"
  pids=()
  for i in $(seq 1 "$N"); do
    u=${urls[$((i % ${#urls[@]}))]}
    curl -s -o "$W/c.$i" -w '%{http_code}\n' --data-binary "$req" \
      "$u/api/v1/activation/complete" > "$W/cs.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  cat "$W"/cs.* > "$W/st"
  assert_eq "$(grep -c '^200$' "$W/st")" 1 "round $round: completions that issued ($(sort "$W/st" | uniq -c | tr '\n' ' '))"
  assert_eq "$(grep -c '^404$' "$W/st")" $((N - 1)) "round $round: completions refused"
  for i in $(seq 1 "$N"); do
    [ "$(cat "$W/cs.$i")" = 404 ] && assert_eq "$(jq -r .error "$W/c.$i")" code_invalid
  done
  assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE registration_id = $rid")" 1 "round $round: certificates"
  # Certificates are signed before the transaction that spends the code:
  # a racer that lost there names its certificate in the log as thrown
  # away; none of those is recorded, and the one recorded was sent.
  sent=$(for i in $(seq 1 "$N"); do if [ "$(cat "$W/cs.$i")" = 200 ]; then jq -r .serial "$W/c.$i"; fi; done)
  assert_eq "$(sql_q "SELECT serial FROM certificates WHERE registration_id = $rid")" "$sent" "round $round: the certificate sent is the one recorded"
  for s in $(sed -n 's/^kyso-ra: certificate \([0-9a-f]*\) signed and discarded.*/\1/p' "$W"/ra-*.log); do
    assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE serial = '$s'")" 0 "a discarded certificate ($s) was recorded"
    assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE target = '$s' AND action LIKE 'certificate discarded: %'")" 1 "the audit row of discarded certificate $s"
    discards=$((${discards:-0} + 1))
  done
  rm -f "$W"/cs.* "$W"/c.*
done
echo "certificates signed and thrown away by racers that lost: ${discards:-0}"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
