# Sourced by helpers.bash for the PostgreSQL runs: a private server in a
# temporary folder (unix socket only, trust auth), stopped at exit. Runs
# as the postgres user when the test runs as root.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || fail "PostgreSQL is not installed (scripts/deps.sh)"
PGD=$(mktemp -d "${TMPDIR:-/tmp}/kyso-pg.XXXXXX")
chmod 755 "$PGD"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$PGD"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
pg_stop() {
  as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGD"
}
trap 'pg_stop; _cleanup' EXIT
as_pg "$PGBIN/initdb" -D "$PGD/data" -U kyso --auth=trust -E UTF8 >"$PGD/initdb.log" 2>&1 ||
  { cat "$PGD/initdb.log" >&2; fail "initdb"; }
as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w \
  -o "-k $PGD -c listen_addresses=''" start >/dev/null || { cat "$PGD/log" >&2; fail "pg_ctl start"; }
as_pg "$PGBIN/createdb" -h "$PGD" -U kyso kyso_ra || fail "createdb"
pg_restart() {
  as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -m fast \
    -o "-k $PGD -c listen_addresses=''" restart >/dev/null || fail "pg_ctl restart"
}
RA_DB_URL="postgresql://kyso@/kyso_ra?host=$PGD"
RA_INIT_ARGS=(--db "$RA_DB_URL")
sql_q() { psql -X -q -At -d "$RA_DB_URL" -c "$1"; }
RA_TEST_TWO=1
