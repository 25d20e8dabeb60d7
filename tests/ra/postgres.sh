#!/usr/bin/env bash
# The RA flow (tests/ra/flow.sh) on a private PostgreSQL server, with a
# second kyso-ra instance on the same database.
RA_TEST_SETUP=$(dirname "$0")/setup_pg.bash exec bash "$(dirname "$0")/flow.sh"
