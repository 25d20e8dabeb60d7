#!/usr/bin/env bash
# tests/ra/same_code.sh on a private PostgreSQL server, two kyso-ra
# instances sharing the racers.
RA_TEST_SETUP=$(dirname "$0")/setup_pg.bash exec bash "$(dirname "$0")/same_code.sh"
