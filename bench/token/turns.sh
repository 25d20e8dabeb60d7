#!/usr/bin/env bash
# bench/token_turns: with --seconds, bench_token's first table (signatures)
# runs its peers in turns, each algorithm in ten slices per peer, not one
# block per peer. OpenSC's pkcs11-spy logs every PKCS#11 call; both
# token peers are kyso tokens ("turn A" and "turn B") behind the same spy,
# so its log shows the order in which the two sessions start signatures.
# The log goes through a FIFO to awk, which stops reading when the second
# table's keys are made (C_GenerateKey), so bench_token ends there on
# SIGPIPE and nothing large is written. Times are never judged: only the
# order of the calls.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KYSO_BUILD:-$ROOT/build}
KT=$BUILD/bin/kyso-token
BENCH=$BUILD/bench/bench_token
MOD=$BUILD/lib/libkyso-pkcs11.so
SPY=$(ls /usr/lib/*/pkcs11-spy.so /usr/lib/pkcs11-spy.so 2>/dev/null | head -n 1 || true)
[ -n "$SPY" ] || { echo "FAIL: pkcs11-spy.so (opensc) is not installed"; exit 1; }
# killed by SIGPIPE on purpose: nothing to report at exit
export ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-}
T=$(mktemp -d "${TMPDIR:-/tmp}/kyso-bench-turns.XXXXXX")
apid=
cleanup() { [ -n "$apid" ] && kill "$apid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export KYSO_HOME=$T/kyso
unset KYSO_MODULE KYSO_SLOTS || true
PIN=24681357
for s in A B; do
  "$KT" vtoken create --serial "TURN000$s" --label "turn $s" --plug \
    --so-pin-fd 3 3<<<"87654321" >/dev/null
  "$KT" change-pin --token "TURN000$s" --pin-fd 3 --new-pin-fd 4 \
    3<<<"12345678" 4<<<"$PIN"$'\n'"$PIN" >/dev/null
done

# For each signing mechanism: how often the session that starts a
# signature differs from the one before (A B A B ... in turns; A ... A
# B ... B in blocks, with the two signatures of the start beside them).
mkfifo "$T/spy"
awk '
  $2 == "C_SignInit" { si = 1; next }
  $2 == "C_GenerateKey" || $2 == "C_EncryptInit" { end = 1; exit }
  si && $2 == "hSession" { s = $4 }
  si && $2 == "pMechanism->type" {
    m = $4
    if (!(m in last)) order[++n] = m
    else if (last[m] != s) sw[m]++
    last[m] = s; si = 0
  }
  END {
    if (!end) print "end-of-table-not-seen"
    for (i = 1; i <= n; i++) print order[i], sw[order[i]] + 0
  }' <"$T/spy" >"$T/switches" &
apid=$!
PKCS11SPY=$MOD PKCS11SPY_OUTPUT=$T/spy "$BENCH" --seconds 1 --pairs 0 \
  --kyso "$SPY" --kyso-token "turn A" --softhsm "$SPY" --softhsm-token "turn B" \
  --pin-fd 3 3<<<"$PIN" >"$T/out" 2>&1 || true
wait "$apid"
apid=
sw=$(cat "$T/switches")
echo "session changes per mechanism:"; echo "$sw"
[[ $sw != *end-of-table-not-seen* ]] ||
  { cat "$T/out"; echo "FAIL: bench_token stopped before its second table"; exit 1; }
[ "$(wc -l <<<"$sw")" = 2 ] || { echo "FAIL: not two signing mechanisms"; exit 1; }
while read -r m n; do
  [ "$n" -ge 10 ] || { echo "FAIL: $m: the peers signed in blocks ($n changes), not in turns"; exit 1; }
done <<<"$sw"
echo "ok [bench/token_turns]"
