#!/usr/bin/env bash
# tests/ra/ocsp_cache.sh with the OCSP responder's key on the CA's
# SoftHSM2 token (kyso-ra rotate ocsp): simple requests take the short
# way and the pre-signed cache too, signed through src/p11's signer.
RA_TEST_SETUP=$(dirname "$0")/setup_softhsm.bash exec bash "$(dirname "$0")/ocsp_cache.sh"
