#!/usr/bin/env bash
# Sets up a kyso virtual token and a SoftHSM2 token, each with its PIN
# changed, in a temporary folder, and runs bench_token on both (and on
# raw OpenSSL). Arguments go to bench_token (default: --seconds 2). With
# --seconds the peers take turns in ten slices each, in the signature
# table as in the other rates, so that a load change weighs on all alike.
#   KYSO_BUILD=build bash bench/token/run.sh [--count N | --seconds S] [--pairs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${KYSO_BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
KT=$build/bin/kyso-token
BENCH=$build/bench/bench_token
MOD=$build/lib/libkyso-pkcs11.so
SOFTHSM=${SOFTHSM:-/usr/lib/softhsm/libsofthsm2.so}
for f in "$KT" "$BENCH" "$MOD" "$SOFTHSM"; do
  [ -e "$f" ] || { echo "run.sh: $f is missing (build first: make build)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kyso-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export KYSO_HOME=$tmp/kyso
export SOFTHSM2_CONF=$tmp/softhsm2.conf
unset KYSO_MODULE KYSO_SLOTS || true
PIN=24681357
SO_PIN=87654321

# Room for the many-objects table's key pairs (--pairs, 1000 by default).
"$KT" vtoken create --serial BENCH0001 --label "bench kyso" --plug \
  --capacity 16000000 --so-pin-fd 3 3<<<"$SO_PIN" >/dev/null
"$KT" change-pin --token BENCH0001 --pin-fd 3 --new-pin-fd 4 \
  3<<<"12345678" 4<<<"$PIN"$'\n'"$PIN" >/dev/null

mkdir -p "$tmp/softhsm"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$tmp/softhsm" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label "bench softhsm" --so-pin "$SO_PIN" \
  --pin "$PIN" >/dev/null

[ $# -gt 0 ] || set -- --seconds 2
"$BENCH" "$@" --kyso "$MOD" --kyso-token "bench kyso" \
  --softhsm "$SOFTHSM" --softhsm-token "bench softhsm" --pin-fd 3 3<<<"$PIN"
