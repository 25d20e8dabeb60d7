#!/usr/bin/env bash
# Issue 15 item 1 (rest): the audit's retention runs under serve, without
# `kyso-ra audit prune` from cron: at start and then daily, with
# --audit-days N or ra.conf's audit_days (365 by default; "off" leaves it
# to the command). It deletes what the command would, and keeps operator
# actions, issuance and PIN resets whatever their age. Row counts, not time.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
old=$(( $(date +%s) - 3650 * 86400 ))
seed() {  # rows as a server ten years ago wrote them
  sql_q "INSERT INTO audit (ts, actor, action, target, remote, status) VALUES
    ($old, 'anonymous', 'GET /api/v1/x', NULL, '192.0.2.1', 401),
    ($old, 'subscriber', 'POST /api/v1/activation/lookup', NULL, '192.0.2.1', 404),
    ($old, 'op-old', 'POST /api/v1/certificates/00/revoke', NULL, '192.0.2.2', 200),
    ($old, 'subscriber', 'POST /api/v1/activation/complete', 'registration:1', '192.0.2.3', 200);
    INSERT INTO audit_counts (remote, minute, status, n, first_action) VALUES ('192.0.2.1', 60, 401, 7, 'GET /x')"
}
stop() { kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"; URL=; }
# pruned N: waits (bounded) for the server's log to say it pruned N rows
pruned() {
  local i
  for i in $(seq 1 200); do
    [[ $(cat "$W/ra-main.log") == *"audit retention: $1 audit rows"* ]] && return 0
    sleep 0.05
  done
  fail "serve did not prune the audit: $(cat "$W/ra-main.log")"
}

note "audit_days off in ra.conf: serve leaves the audit alone"
seed
echo "audit_days = off" >>"$RA_HOME/ra.conf"
ra_serve main
op GET /api/v1/registrations; expect 200
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE ts = $old")" 4
assert_not_contains "$(cat "$W/ra-main.log")" "audit retention"
stop

note "--audit-days 30: the old refused calls and counters go at start, what matters stays"
ra_serve main --audit-days 30
pruned 2
assert_contains "$(cat "$W/ra-main.log")" "2 audit rows and 1 failure counters older than 30 days deleted"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE ts = $old")" 2
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE ts = $old AND actor = 'op-old'")" 1
assert_eq "$(sql_q "SELECT count(*) FROM audit_counts WHERE minute = 60")" 0
note "refused calls now are counted, and kept under 30 days"
for i in 1 2 3; do api GET "$URL/api/v1/registrations" ""; expect 401; done
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE status = 401")" 3
stop

note "audit_days = 0 in ra.conf: a fresh start prunes today's counters too"
sed -i 's/^audit_days = .*/audit_days = 0/' "$RA_HOME/ra.conf"
sleep 1  # the counters' minute lies before the cutoff
ra_serve main
pruned 0
assert_contains "$(cat "$W/ra-main.log")" "failure counters older than 0 days deleted"
assert_eq "$(sql_q "SELECT count(*) FROM audit_counts")" 0
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE ts = $old")" 2
assert_eq "$(sql_q "SELECT count(*) FROM meta WHERE k = 'audit_prune'")" 0
sql_q "DELETE FROM audit" >/dev/null 2>&1 && fail "audit rows could be deleted"
stop

note "bad values are usage errors"
assert_exit 2 "$RA" serve --listen 127.0.0.1:0 --insecure-http --audit-days -1
assert_exit 2 "$RA" serve --listen 127.0.0.1:0 --insecure-http --audit-days 36501
sed -i 's/^audit_days = .*/audit_days = soon/' "$RA_HOME/ra.conf"
assert_exit 2 "$RA" serve --listen 127.0.0.1:0 --insecure-http
pass
