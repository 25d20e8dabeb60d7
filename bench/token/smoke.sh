#!/usr/bin/env bash
# Smoke test of the benchmark: it runs end to end with a tiny count and
# prints every rate and ratio. Times are never judged.
set -euo pipefail
# SoftHSM2 leaks an ASN1 string per ECDH derivation (it tries the peer's
# point as DER first); both modules share the bench's process and are
# unloaded before LeakSanitizer looks, so it cannot tell whose a leak is.
# Our module's leaks are caught by tests/token under ASan.
export ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-}
out=$(bash "$(dirname "$0")/run.sh" --count 5 --pairs 10 2>&1) || { echo "$out"; echo "FAIL: run.sh failed"; exit 1; }
echo "$out"
for want in "5 signatures each" "kyso token (PKCS#11)" "SoftHSM2 (PKCS#11)" \
    "OpenSSL EVP (in-process)" "ratio kyso / SoftHSM2" "ratio kyso / OpenSSL"; do
  case $out in *"$want"*) ;; *) echo "FAIL: bench output lacks '$want'"; exit 1 ;; esac
done
# Every peer signed 5 times with both algorithms, and every ratio is a number.
[ "$(grep -cE '^(kyso token|SoftHSM2|OpenSSL EVP).*\(      5\).*\(      5\)$' <<<"$out")" = 3 ] ||
  { echo "FAIL: not every peer made 5 signatures of each kind"; exit 1; }
[ "$(grep -cE '^ratio kyso / [A-Za-z0-9]+ +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$' <<<"$out")" = 2 ] ||
  { echo "FAIL: a ratio is missing"; exit 1; }
# The second table: AES-GCM, HMAC, ECDH and Ed25519 on kyso and OpenSSL
# (SoftHSM2 may lack a mechanism: "-"), a kyso/OpenSSL ratio for each.
for want in "AES-256-GCM MB/s" "HMAC-SHA256 /s" "ECDH P-256 /s" "Ed25519 sign /s"; do
  case $out in *"$want"*) ;; *) echo "FAIL: bench output lacks '$want'"; exit 1 ;; esac
done
[ "$(grep -cE '^ratio kyso / OpenSSL( +[0-9]+\.[0-9]{3}){4}$' <<<"$out")" = 1 ] ||
  { echo "FAIL: a ratio of the second table is missing"; exit 1; }
# The third table: the 1st and the 10th key pair and a search among 20
# objects, on both tokens, with the time ratio.
for want in "1st key pair ms" "key pair 10 ms" "find among 20 ms"; do
  case $out in *"$want"*) ;; *) echo "FAIL: bench output lacks '$want'"; exit 1 ;; esac
done
[ "$(grep -cE '^(kyso token|SoftHSM2) \(PKCS#11\)( +[0-9]+\.[0-9]{3}){3}$' <<<"$out")" = 2 ] ||
  { echo "FAIL: a token lacks a time of the third table"; exit 1; }
[ "$(grep -cE '^time kyso / SoftHSM2( +[0-9]+\.[0-9]{3}){3}$' <<<"$out")" = 1 ] ||
  { echo "FAIL: a time ratio of the third table is missing"; exit 1; }
echo "ok [bench/token_smoke]"
