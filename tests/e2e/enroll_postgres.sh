#!/usr/bin/env bash
# tests/e2e/enroll.sh with the RA on a private PostgreSQL server.
RA_TEST_SETUP=$(cd "$(dirname "$0")/../ra" && pwd)/setup_pg.bash exec bash "$(dirname "$0")/enroll.sh"
