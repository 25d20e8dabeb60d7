#!/usr/bin/env bash
# The RA flow (tests/ra/flow.sh) with the issuing CA key on a SoftHSM2
# token: certificates and CRLs signed by the token, verified by openssl.
RA_TEST_SETUP=$(dirname "$0")/setup_softhsm.bash exec bash "$(dirname "$0")/flow.sh"
