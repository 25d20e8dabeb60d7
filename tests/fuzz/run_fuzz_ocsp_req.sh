#!/usr/bin/env bash
# Runs the kyso-ra OCSP request reader fuzz target for a bounded time,
# seeded with requests openssl ocsp makes (SHA-1 and SHA-256 CertIDs,
# with and without a nonce, two CertIDs); fails on any crash, leak,
# sanitizer report or disagreement with OpenSSL's parser.
set -euo pipefail
bin=$1; secs=${2:-20}
. "$(dirname "$0")/lib.bash"
fuzz_setup ocsp
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout /dev/null -subj /CN=Fuzz -days 1 -out "$work/ca.pem" 2>/dev/null
n=0
for opts in "-no_nonce" "" "-sha256 -no_nonce" "-sha256" \
    "-serial 0x123456 -no_nonce" "-serial 0x00ff"; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  openssl ocsp -issuer "$work/ca.pem" $opts -serial 0x4abc0123 \
    -reqout "$c/req$n" >/dev/null 2>&1
done
fuzz_run fuzz_ocsp_req 2048
