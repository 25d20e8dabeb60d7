#!/usr/bin/env bash
# Issue 15 (WAL frames per issuance): a database an older kyso-ra made is
# migrated at start and works on. The old shape: SQLite's audit id was
# AUTOINCREMENT (its sqlite_sequence row written by every insert), audit.ts
# and every registration's token_serial were indexed. After: the audit rows
# under the same ids, still append-only; new ids after the highest ever
# given, also when the rows that held it were pruned, and the prune keeps
# the newest row so that max(id) + 1 never gives one again; neither index.
# An issuance, an edit and a renewal name in the registration's UPDATE
# only the columns that change (a trigger on UPDATE OF id_number counts:
# naming a column rewrites its index entry, a WAL frame).
. "$(dirname "$0")/helpers.bash"

pg=; [ -n "${RA_DB_URL:-}" ] && pg=1
ra_init --ca-key-type p256
echo "audit_days = off" >>"$RA_HOME/ra.conf"  # the prune runs when asked
old=$(( $(date +%s) - 3650 * 86400 ))
# has_index NAME: 1 when the database holds that index, else 0
has_index() {
  if [ -n "$pg" ]; then
    sql_q "SELECT count(*) FROM pg_indexes WHERE indexname = '$1'"
  else
    sql_q "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '$1'"
  fi
}
stop() { kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"; URL=; }
complete() {  # complete CODE TOKEN: issues, 200
  sub POST /api/v1/activation/complete "{\"code\":\"$1\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"$2\"}"
  expect 200
}

note "the database as an older kyso-ra left it"
if [ -n "$pg" ]; then
  sql_q "CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts)"
  sql_q "CREATE INDEX IF NOT EXISTS registrations_token ON registrations(token_serial)"
else
  sql_q "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
    ALTER TABLE audit RENAME TO audit_now;
    CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, ts BIGINT NOT NULL,
      actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT, remote TEXT, status INTEGER);
    INSERT INTO audit SELECT * FROM audit_now; DROP TABLE audit_now;
    CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
    CREATE INDEX IF NOT EXISTS registrations_token ON registrations(token_serial);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
      BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
      WHEN NOT EXISTS (SELECT 1 FROM meta WHERE k = 'audit_prune')
      BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
fi
sql_q "INSERT INTO audit (ts, actor, action, target, remote, status) VALUES
  ($old, 'anonymous', 'GET /api/v1/x', NULL, '192.0.2.1', 401),
  ($old, 'op-old', 'POST /api/v1/certificates/00/revoke', NULL, '192.0.2.2', 200)"
if [ -z "$pg" ]; then
  # rows up to 1000 were given and pruned
  sql_q "UPDATE sqlite_sequence SET seq = 1000 WHERE name = 'audit'"
  assert_contains "$(sql_q "SELECT sql FROM sqlite_master WHERE name = 'audit'")" AUTOINCREMENT
fi
assert_eq "$(has_index audit_ts)" 1
before=$(sql_q "SELECT id || ' ' || ts || ' ' || actor || ' ' || action FROM audit ORDER BY id")
maxold=$(sql_q "SELECT max(id) FROM audit")

note "serve migrates it: same rows and ids, no AUTOINCREMENT, neither index"
ra_serve main
assert_eq "$(has_index audit_ts)" 0
assert_eq "$(has_index registrations_token)" 0
assert_eq "$(has_index registrations_token_active)" 1
assert_eq "$(sql_q "SELECT id || ' ' || ts || ' ' || actor || ' ' || action FROM audit
  WHERE id <= $maxold ORDER BY id")" "$before"
if [ -z "$pg" ]; then
  assert_not_contains "$(sql_q "SELECT sql FROM sqlite_master WHERE name = 'audit'")" AUTOINCREMENT
  assert_eq "$(sql_q "SELECT count(*) FROM sqlite_sequence WHERE name LIKE 'audit%'")" 0
  # 1000 was given to a row since pruned: the marker takes the next id
  assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE id = 1000")" 0
  assert_eq "$(sql_q "SELECT actor FROM audit WHERE id = 1001")" kyso-ra
  assert_eq "$(sql_q "SELECT count(*) FROM sqlite_master WHERE name LIKE 'audit_old%'")" 0
fi
sql_q "UPDATE audit SET actor = 'z'" >/dev/null 2>&1 && fail "an audit row could be changed"
sql_q "DELETE FROM audit" >/dev/null 2>&1 && fail "audit rows could be deleted"

note "a trigger counts the UPDATEs that name id_number"
if [ -n "$pg" ]; then
  sql_q "CREATE TABLE idn_named (n INTEGER);
    CREATE FUNCTION idn_named() RETURNS trigger LANGUAGE plpgsql AS
      \$\$ BEGIN INSERT INTO idn_named VALUES (1); RETURN NULL; END \$\$;
    CREATE TRIGGER idn_named AFTER UPDATE OF id_number ON registrations
      FOR EACH ROW EXECUTE FUNCTION idn_named()"
else
  sql_q "CREATE TABLE idn_named (n INTEGER);
    CREATE TRIGGER idn_named AFTER UPDATE OF id_number ON registrations
      BEGIN INSERT INTO idn_named VALUES (1); END"
fi

note "a registration issues: the registration changes, id_number is not named"
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
op POST /api/v1/registrations '{"type":"personal","name":"Người Thử","id_number":"001234567890","province":"Hà Nội","email":"thu@example.vn","phone":"0912345678","key_type":"p256"}'
expect 201
rid=$(jqo .id)
complete "$(mail_value "Activation code")" UPG0001
assert_eq "$(sql_q "SELECT status || ' ' || token_serial || ' ' || id_number FROM registrations WHERE id = $rid")" \
  "active UPG0001 001234567890"
[ "$(sql_q "SELECT min(id) FROM audit WHERE action LIKE 'POST /api/v1/activation/complete%'")" -gt "$maxold" ] ||
  fail "a new audit row took an id of the old ones"
[ -n "$pg" ] || [ "$(sql_q "SELECT min(id) FROM audit WHERE id > $maxold AND actor <> 'kyso-ra'")" -gt 1000 ] ||
  fail "an audit id AUTOINCREMENT had given was given again"

note "an edit and a renewal change what they change, not id_number"
op POST "/api/v1/registrations/$rid/edit" '{"email":"moi@example.vn"}'; expect 200
assert_eq "$(sql_q "SELECT email FROM registrations WHERE id = $rid")" moi@example.vn
op POST "/api/v1/registrations/$rid/renew" '{"validity_years":2}'; expect 200
complete "$(mail_value "Activation code")" UPG0001
assert_eq "$(sql_q "SELECT validity_years || ' ' || status || ' ' || token_serial FROM registrations WHERE id = $rid")" \
  "2 active UPG0001"
assert_eq "$(sql_q "SELECT count(*) FROM idn_named")" 0
note "(the trigger fires when it is named)"
sql_q "UPDATE registrations SET id_number = id_number WHERE id = $rid"
assert_eq "$(sql_q "SELECT count(*) FROM idn_named")" 1
stop

note "the prune keeps the newest row, so its id is not given again"
sql_q "INSERT INTO audit (ts, actor, action, remote, status) VALUES ($old, 'anonymous', 'GET /api/v1/y', '192.0.2.9', 401)"
newest=$(sql_q "SELECT max(id) FROM audit")
"$RA" audit prune --days 30 >"$W/prune.out" || fail "audit prune failed"
assert_contains "$(cat "$W/prune.out")" "1 audit rows"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE actor = 'anonymous'")" 1
assert_eq "$(sql_q "SELECT max(id) FROM audit")" "$newest"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE actor = 'op-old'")" 1
ra_serve main
op GET /api/v1/registrations; expect 200
[ "$(sql_q "SELECT max(id) FROM audit")" -gt "$newest" ] || fail "an audit id was given again"
stop
pass
