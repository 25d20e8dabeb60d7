#!/usr/bin/env bash
# Many clients at once on the threaded server (SQLite, one connection per
# thread): every registration and every completion succeeds once, each code
# is distinct, and the database stays consistent.
. "$(dirname "$0")/helpers.bash"

ra_init
ra_serve main --threads 4
N=16
pids=()
for i in $(seq 1 "$N"); do
  body=$(jq -c --arg n "$(printf '%012d' "$i")" '.id_number = $n | .email = ("u" + $n + "@example.vn") | .key_type = "p256"' <<<"$PERSON")
  curl -s -o "$W/reg.$i" -w '%{http_code}' -H "Authorization: Bearer $RA_OP" \
    --data-binary "$body" "$URL/api/v1/registrations" > "$W/st.$i" &
  pids+=($!)
done
wait "${pids[@]}"
for i in $(seq 1 "$N"); do assert_eq "$(cat "$W/st.$i")" 201 "registration $i"; done
assert_eq "$(mails)" "$N"
sed -n 's/^Activation code: //p' "$RA_HOME"/outbox/*.eml | tr -d '\r' > "$W/codes"
assert_eq "$(sort -u "$W/codes" | wc -l)" "$N" "distinct codes"
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
pids=()
i=0
while read -r code; do
  i=$((i + 1))
  curl -s -o "$W/c.$i" -w '%{http_code}' \
    --data-binary "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"T$i\"}" \
    "$URL/api/v1/activation/complete" > "$W/cs.$i" &
  pids+=($!)
done < "$W/codes"
wait "${pids[@]}"
for i in $(seq 1 "$N"); do assert_eq "$(cat "$W/cs.$i")" 200 "completion $i: $(cat "$W/c.$i")"; done
assert_eq "$(sql_q "SELECT count(DISTINCT serial) FROM certificates WHERE registration_id IS NOT NULL")" "$N"
assert_eq "$(sql_q "SELECT count(*) FROM registrations WHERE status = 'active'")" "$N"
assert_eq "$(sql_q "SELECT count(*) FROM activations WHERE spent_at IS NULL")" 0
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE status = 200")" "$N"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
