#!/usr/bin/env bash
# The bad-input checks (tests/ra/bad_input.sh) on a private PostgreSQL
# server: the same clear errors, nothing else changed.
RA_TEST_SETUP=$(dirname "$0")/setup_pg.bash exec bash "$(dirname "$0")/bad_input.sh"
