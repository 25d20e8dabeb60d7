#!/usr/bin/env bash
# tests/ra/rotate.sh with the issuing CA key on a SoftHSM2 token: the new
# OCSP and TSA keys are made there and sign through it.
RA_TEST_SETUP=$(dirname "$0")/setup_softhsm.bash exec bash "$(dirname "$0")/rotate.sh"
