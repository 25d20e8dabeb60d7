#!/usr/bin/env bash
# Activation completion signs the certificate before its transaction; when
# that transaction then fails to commit, the certificate is neither
# recorded nor sent, and the log must name it as discarded like a lost
# race does (tests/ra/same_code.sh). The COMMIT is made to fail from
# outside: a trigger on certificates adds a row that breaks a deferred
# foreign key, which only COMMIT checks. The code stays unspent, and once
# the trap is gone the same code issues (the writer connection was left
# with no transaction open). On PostgreSQL: commit_lost_postgres.sh.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main --threads 2
pending_p256 CL1

if [ -n "${RA_DB_URL:-}" ]; then
  sql_q "CREATE TABLE trap (reg BIGINT REFERENCES registrations(id) DEFERRABLE INITIALLY DEFERRED);
    CREATE FUNCTION trap_f() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN INSERT INTO trap VALUES (-1); RETURN NEW; END \$\$;
    CREATE TRIGGER trap_cert AFTER INSERT ON certificates FOR EACH ROW EXECUTE FUNCTION trap_f();" >/dev/null
  untrap="DROP TRIGGER trap_cert ON certificates"
else
  sql_q "CREATE TABLE trap (reg INTEGER REFERENCES registrations(id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER trap_cert AFTER INSERT ON certificates BEGIN INSERT INTO trap VALUES (-1); END;"
  untrap="DROP TRIGGER trap_cert"
fi

note "the COMMIT fails: 503, nothing recorded, the certificate logged as discarded"
sub POST /api/v1/activation/complete "$req"; expect 503 busy
assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE registration_id = $rid")" 0 "certificates recorded"
lost=$(sed -n 's/^kyso-ra: certificate \([0-9a-f]*\) signed and discarded.*/\1/p' "$W/ra-main.log")
[ -n "$lost" ] || { cat "$W/ra-main.log" >&2; fail "the certificate signed for the failed commit is not logged as discarded"; }
assert_eq "$(wc -l <<<"$lost")" 1 "discarded certificates logged"
# ... and audited, in a row of its own that the rollback does not take.
assert_eq "$(sql_q "SELECT actor || ' ' || action || ' ' || status FROM audit WHERE target = '$lost'")" \
  "kyso-ra certificate discarded: its transaction was not committed 503" "the discarded certificate's audit row"
# PostgreSQL ends the transaction whose COMMIT failed: no ROLLBACK after.
[[ $(cat "$W/ra-main.log") != *"no transaction in progress"* ]] || fail "a ROLLBACK was sent after the failed COMMIT"

note "the trap gone, the same code issues"
sql_q "$untrap" >/dev/null
sub POST /api/v1/activation/complete "$req"; expect 200
serial=$(jqo .serial)
[ "$serial" != "$lost" ] || fail "the discarded serial was sent"
assert_eq "$(sql_q "SELECT serial FROM certificates WHERE registration_id = $rid")" "$serial" "the certificate recorded"
sub POST /api/v1/activation/complete "$req"; expect 404 code_invalid
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
