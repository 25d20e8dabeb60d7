#!/usr/bin/env bash
# Issue 15 item 1: refused unauthenticated calls must not cost unbounded
# storage. One client floods 401s with 3,000-byte paths, 404s and 429s:
# the audit gets no row for them, the counters at most one row per
# address, minute and status (with the first call, bounded), and the
# counts add up. Then `kyso-ra audit prune`: it deletes old counters and
# old rows of nobody's refused calls, and keeps operator actions,
# issuance and PIN resets whatever their age. Row counts, not time.
. "$(dirname "$0")/helpers.bash"
FLOOD=$(dirname "$0")/flood.py

ra_init --ca-key-type p256
ra_serve main --rate-limit 30
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
rid=$(jqo .id)
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"AG0001\"}"
expect 200
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001099012345","email":"an@example.vn","token_serial":"AG0001"}'
expect 202
rows0=$(sql_q "SELECT count(*) FROM audit")

note "the flood: 1500 operator calls without a token, 1500 wrong codes (404, then 429)"
long=$(head -c 3000 /dev/zero | tr '\0' A)
t0=$(date +%s)
python3 "$FLOOD" "$URL" "/api/v1/registrations/$long{i}" 1500 > "$W/f1"
python3 "$FLOOD" "$URL" "/api/v1/activation/lookup" 1500 POST '{"code":"AAAAA-AAAAA-AAAAA-AAAAA"}' > "$W/f2"
t1=$(date +%s)
assert_eq "$(cat "$W/f1")" "401 1500"
n404=$(awk '$1 == 404 {print $2}' "$W/f2"); n429=$(awk '$1 == 429 {print $2}' "$W/f2")
assert_eq "$((n404 + n429))" 1500 "answers to the wrong codes: $(cat "$W/f2")"
[ "$n429" -gt 0 ] || fail "the rate limit did not answer 429"

note "no audit row for the flood; counters bounded per address, minute and status"
assert_eq "$(sql_q "SELECT count(*) FROM audit")" "$rows0" "audit rows the flood added"
minutes=$(( t1 / 60 - t0 / 60 + 1 ))
c=$(sql_q "SELECT count(*) FROM audit_counts")
[ "$c" -le $((3 * minutes)) ] || fail "$c counter rows for 3 statuses over $minutes minutes"
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE status = 401")" 1500
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE status = 404")" "$n404"
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE status = 429")" "$n429"
assert_eq "$(sql_q "SELECT DISTINCT remote FROM audit_counts")" 127.0.0.1
l=$(sql_q "SELECT max(length(first_action)) FROM audit_counts")
[ "$l" -le 200 ] || fail "a counter row records $l bytes of path"

note "audit prune: old counters and old refused calls go; what matters stays"
# rows as an older kyso-ra wrote them, ten years ago
old=$(( $(date +%s) - 3650 * 86400 ))
sql_q "INSERT INTO audit (ts, actor, action, target, remote, status) VALUES
  ($old, 'anonymous', 'GET /api/v1/x', NULL, '192.0.2.1', 401),
  ($old, 'subscriber', 'POST /api/v1/activation/lookup', NULL, '192.0.2.1', 404),
  ($old, 'subscriber', 'POST /api/v1/activation/lookup', 'registration:1', '192.0.2.1', 200),
  ($old, 'op-old', 'POST /api/v1/certificates/00/revoke', NULL, '192.0.2.2', 200),
  ($old, 'cli', 'operator add', 'op-old', 'local', 0),
  ($old, 'subscriber', 'POST /api/v1/activation/complete', 'registration:1', '192.0.2.3', 200),
  ($old, 'subscriber', 'POST /api/v1/pin-reset/confirm', 'token:X', '192.0.2.3', 200);
  INSERT INTO audit_counts (remote, minute, status, n, first_action) VALUES ('192.0.2.1', 60, 401, 7, 'GET /x')"
total=$(sql_q "SELECT count(*) FROM audit")
assert_exit 0 "$RA" audit prune --days 30
assert_contains "$OUT" "3 audit rows and 1 failure counters"
assert_eq "$(sql_q "SELECT count(*) FROM audit")" $((total - 3))
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE ts = $old")" 4
assert_eq "$(sql_q "SELECT count(*) FROM audit_counts WHERE minute = 60")" 0
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE status = 401")" 1500 "recent counters kept"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE '%complete%' AND ts > $old")" 1 "recent issuance kept"
assert_exit 0 "$RA" audit prune --days 0
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE ts = $old")" 4
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE '%registrations'")" 1 "the operator's registration"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE '%pin-reset/request'")" 1 "the PIN-reset request"
note "outside prune the audit stays append-only"
sql_q "DELETE FROM audit" >/dev/null 2>&1 && fail "audit rows could be deleted"
assert_eq "$(sql_q "SELECT count(*) FROM meta WHERE k = 'audit_prune'")" 0
assert_exit 2 "$RA" audit prune --days -1
assert_exit 2 "$RA" audit
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
