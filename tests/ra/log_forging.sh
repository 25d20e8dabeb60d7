#!/usr/bin/env bash
# Issue 15 item 4: an unauthenticated request whose decoded path carries
# CR, LF and ESC must not plant a line in the access log (here one that
# looks like a real revocation) nor in the audit; a long path is recorded
# bounded.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main
fake='kyso-ra: 127.0.0.1 POST /api/v1/certificates/00ab/revoke 200'
enc=$(jq -rn --arg s "$fake" '$s | @uri')
for p in "/api/v1/x%0D%0A$enc" "/api/v1/activation/x%0A$enc%1B%5B2J" "/nothing%0A$enc%C2%85%E2%80%AE"; do
  api GET "$URL$p" '' --path-as-is
done
api GET "$URL/api/v1/$(head -c 3000 /dev/zero | tr '\0' A)%0A" '' --path-as-is
api GET "$URL/healthz" ''; expect 200
log=$W/ra-main.log
grep -q "^$fake" "$log" && fail "a forged line reached the access log: $(cat "$log")"
grep -q $'\e' "$log" && fail "an ESC reached the access log"
grep -q $'\r' "$log" && fail "a CR reached the access log"
grep -qP '\xc2\x85|\xe2\x80\xae' "$log" && fail "a C1 control or bidi override reached the access log"
assert_contains "$(cat "$log")" 'kyso-ra: 127.0.0.1 GET /api/v1/x\x0d\x0akyso-ra:\x20127.0.0.1\x20POST'
# every line is one request: "kyso-ra: ADDR METHOD PATH STATUS"
bad=$(grep -v -E '^kyso-ra: 127\.0\.0\.1 [A-Z]+ [!-~]+ [0-9]{3}$' "$log" | grep -v -e 'listening' -e '^kyso-ra: serving' || true)
[ -z "$bad" ] || fail "log lines that are not one request each: $bad"
note "the audit rows are escaped and bounded too"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE '%' || char(10) || '%' OR action LIKE '%' || char(13) || '%' OR action LIKE '%' || char(27) || '%'")" 0 "audit rows with controls"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE '%revoke 200%'")" 0
max=$(sql_q "SELECT max(length(action)) FROM audit")
[ "$max" -le 200 ] || fail "an audit row records $max bytes of path"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
