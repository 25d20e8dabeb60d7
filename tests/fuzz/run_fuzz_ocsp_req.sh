#!/usr/bin/env bash
# Runs the kyso-ra OCSP request reader fuzz target for a bounded time,
# seeded with requests openssl ocsp makes (SHA-1 and SHA-256 CertIDs,
# with and without a nonce, two CertIDs); fails on any crash, leak,
# sanitizer report or disagreement with OpenSSL's parser.
set -euo pipefail
bin=$1; secs=${2:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-fuzz-ocsp.XXXXXX")
trap 'rm -rf "$work"' EXIT
c=$work/corpus
mkdir -p "$c"
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
cd "$work"
"$bin" -max_total_time="$secs" -max_len=2048 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 "$c" 2>&1 | tail -n 15
echo "fuzz_ocsp_req: no crash in ${secs}s"
