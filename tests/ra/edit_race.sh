#!/usr/bin/env bash
# Activation completion reads the pending code's details (the certificate's
# subject), signs, and only then opens its transaction. An operator's edit
# (POST registrations/ID/edit) rewrites a pending code's details in place:
# one that commits in between must not be lost, neither in the certificate
# (the old name) nor in the registration (completion stores the details it
# read). Here the edit is the same two UPDATEs made by sqlite3 from outside,
# holding the write lock while the completion waits at its BEGIN (a thread
# of kyso-ra sleeping in SQLite's busy handler, seen in /proc). The
# completion must refuse (503, its certificate logged as discarded); its
# retry issues the new name.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main --threads 2
pending_p256 ER1
NEW="Trần Văn Bình"

mkfifo "$W/go"
python3 - "$RA_HOME/ra.db" "$rid" "$NEW" "$W/locked" "$W/go" <<'PY' &
import sqlite3, sys
db, rid, new, locked, go = sys.argv[1:]
c = sqlite3.connect(db, isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open(locked, "w").close()
open(go).read()
c.execute("UPDATE activations SET details = json_set(details, '$.name', ?)"
          " WHERE registration_id = ? AND spent_at IS NULL", (new, rid))
c.execute("UPDATE registrations SET name = ? WHERE id = ?", (new, rid))
c.execute("COMMIT")
PY
EDIT=$!
for _ in $(seq 1 600); do [ -e "$W/locked" ] && break; sleep 0.05; done
[ -e "$W/locked" ] || fail "sqlite3 did not take the write lock"

note "a completion reads the old name and waits at BEGIN; the edit commits"
curl -s -o "$W/c1" -w '%{http_code}' --data-binary "$req" "$URL/api/v1/activation/complete" >"$W/s1" &
CURL=$!
ra_wait_busy "$PID" || fail "the completion never waited for the write lock"
echo go >"$W/go"
wait "$EDIT" || fail "the edit failed"
wait "$CURL"
st=$(cat "$W/s1")
if [ "$st" = 200 ]; then
  jq -r .certificate "$W/c1" >"$W/c1.pem"
  fail "the completion issued across the edit: $(openssl x509 -in "$W/c1.pem" -noout -subject -nameopt utf8), registration name now $(sql_q "SELECT name FROM registrations WHERE id = $rid")"
fi
assert_eq "$st" 503 "the completion that read the old name"
assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE registration_id = $rid")" 0 "certificates recorded"
[[ $(cat "$W/ra-main.log") == *"signed and discarded"* ]] || fail "the discarded certificate is not logged"
assert_eq "$(sql_q "SELECT action FROM audit WHERE actor = 'kyso-ra'")" "certificate discarded: the registration was edited meanwhile" "the discarded certificate's audit row"

note "the retry issues the edited name"
sub POST /api/v1/activation/complete "$req"; expect 200
jqo .certificate >"$W/c2.pem"
[[ $(openssl x509 -in "$W/c2.pem" -noout -subject -nameopt utf8) == *"CN=$NEW"* ]] || fail "certificate subject: $(openssl x509 -in "$W/c2.pem" -noout -subject -nameopt utf8)"
assert_eq "$(sql_q "SELECT name FROM registrations WHERE id = $rid")" "$NEW" "registration name"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
