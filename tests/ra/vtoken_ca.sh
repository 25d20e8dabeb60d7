#!/usr/bin/env bash
# The RA flow (tests/ra/flow.sh) with the issuing CA key on kyso's own
# virtual token.
RA_TEST_SETUP=$(dirname "$0")/setup_vtoken.bash exec bash "$(dirname "$0")/flow.sh"
