#!/usr/bin/env bash
# tests/ra/schema_upgrade.sh on a private PostgreSQL server.
RA_TEST_SETUP=$(dirname "$0")/setup_pg.bash exec bash "$(dirname "$0")/schema_upgrade.sh"
