#!/usr/bin/env bash
# kyso-ra killed with -9 in the middle of issuing certificates: the
# database stays whole, every spent activation code has exactly one
# certificate and every certificate a spent code; after a restart the
# unspent codes still work and the spent ones are refused.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
M=30 ROUNDS=6
P='{"type":"personal","name":"Nguyễn Văn An","id_number":"0010990%05d","province":"Hà Nội","email":"an%d@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}'
csr "$W/k.pem" "$W/req.pem" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req_json=$(json_str "$W/req.pem")

consistent() {
  assert_eq "$(sql_q 'PRAGMA integrity_check')" ok
  assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE registration_id IS NOT NULL")" \
    "$(sql_q "SELECT count(*) FROM activations WHERE spent_at IS NOT NULL")" \
    "spent codes and issued certificates differ"
  assert_eq "$(sql_q "SELECT count(*) FROM activations a WHERE (a.spent_at IS NOT NULL) !=
    ((SELECT count(*) FROM certificates c WHERE c.registration_id = a.registration_id) = 1)")" 0 \
    "a registration whose code and certificate disagree"
}

mid=0 n=0
for round in $(seq 1 $ROUNDS); do
  URL=; ra_serve "r$round"
  : > "$W/codes"
  for i in $(seq 1 $M); do
    n=$((n + 1))
    # shellcheck disable=SC2059
    op POST /api/v1/registrations "$(printf "$P" "$n" "$n")"; expect 201
    mail_value "Activation code" >> "$W/codes"
  done
  before=$(sql_q "SELECT count(*) FROM certificates")
  # One token per subscriber: K<round>-<line>.
  k=0
  while read -r code; do
    k=$((k + 1))
    curl -s -o /dev/null -X POST -H "Content-Type: application/json" \
      --data-binary "{\"code\":\"$code\",\"csr\":$req_json,\"token_serial\":\"K$round-$k\"}" \
      "$URL/api/v1/activation/complete" &
  done < "$W/codes"
  sleep "0.0$((RANDOM % 4))"
  kill -9 "$PID"
  wait 2>/dev/null || true
  consistent
  done_now=$(( $(sql_q "SELECT count(*) FROM certificates") - before ))
  note "round $round: $done_now of $M issued before the kill"
  [ "$done_now" -gt 0 ] && [ "$done_now" -lt "$M" ] && mid=$((mid + 1))
  # Restarted: every code of the round either works now or was spent.
  URL=; ra_serve "r${round}b"
  k=0
  while read -r code; do
    k=$((k + 1))
    sub POST /api/v1/activation/complete \
      "{\"code\":\"$code\",\"csr\":$req_json,\"token_serial\":\"K$round-$k\"}"
    case $STATUS in 200|404) ;; *) fail "HTTP $STATUS after the restart: $OUT" ;; esac
  done < "$W/codes"
  kill "$PID"; wait "$PID" 2>/dev/null || true
  consistent
  assert_eq "$(sql_q "SELECT count(*) FROM activations WHERE spent_at IS NULL")" 0 "codes left unspent"
done
assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE registration_id IS NOT NULL")" "$n" "one certificate per registration"
[ "$mid" -gt 0 ] || fail "no kill landed in the middle of the work in $ROUNDS rounds"
pass
