#!/usr/bin/env bash
# tests/ra/commit_lost.sh on a private PostgreSQL server.
RA_TEST_SETUP=$(dirname "$0")/setup_pg.bash exec bash "$(dirname "$0")/commit_lost.sh"
