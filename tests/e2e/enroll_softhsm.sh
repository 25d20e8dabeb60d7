#!/usr/bin/env bash
# tests/e2e/enroll.sh with the issuing CA key on a SoftHSM2 token.
RA_TEST_SETUP=$(cd "$(dirname "$0")/../ra" && pwd)/setup_softhsm.bash exec bash "$(dirname "$0")/enroll.sh"
