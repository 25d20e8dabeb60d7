#!/usr/bin/env bash
# bench/contract: documents signed per minute through kyso-contract's
# whole path, beside the token alone, on the same token in the same run.
# A batch of $BENCH_CONTRACT_N (50) one-page contracts waits for one
# signer, who ticks them all on the list and presses "Ký nhiều" once in
# Debian's chromium (headless): the page fetches each held version, the
# real kyso-agent signs the batch (PAdES B-T, visible stamp, one
# confirmation and one PIN, answered at once by the scripted pinentry),
# the page uploads each result and the server checks it (same bytes + one
# revision, the signature, chain, time-stamp, identity) and stores it.
# The token alone: kyso-sign pdf signs the same 50 files B-T with the same
# TSA in one process. Prints both as documents per minute and the ratio.
# Never passes or fails on time.
# Usage: KYSO_BUILD=build bash bench/contract/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$here/../.." && pwd)
export KYSO_BUILD=${KYSO_BUILD:-$SRC/build}
KYSO_BUILD=$(cd "$KYSO_BUILD" && pwd)
export KYSO_PDF_GEN=${KYSO_PDF_GEN:-$KYSO_BUILD/pdf-gen}
. "$SRC/tests/lib.sh"
. "$SRC/tests/sign/helpers.bash"
. "$SRC/tests/agent/browser_helpers.bash"
. "$SRC/tests/contract/helpers.bash"
N=${BENCH_CONTRACT_N:-50}
browser_prereqs
now() { date +%s%N; }
per_min() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.1f", n * 60000 / ms }'; }

make_pki
kc_token BC0001 01 "Bench Signer/UID=CCCD:001099000001"
kc_tsa
PORT=$(free_port)
kc_init
kc_serve --trust "$W/root.pem" --agent-port "$PORT"
# The site is already allowed (the first-use dialog is not what is timed).
mkdir -p "$KYSO_HOME/agent" && chmod 700 "$KYSO_HOME/agent"
printf 'allow %s\n' "$URL" >"$KYSO_HOME/agent/origins"
chmod 600 "$KYSO_HOME/agent/origins"
kc_agent "$PORT"
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
identity a 001099000001

echo "== inputs: $N one-page contracts for a@kyso.vn"
mkdir -p "$W/in"
for i in $(seq -w 1 "$N"); do
  make_pdf "$W/in/c$i.pdf" "Hop dong so $i"
  create owner "Hợp đồng $i" "$W/in/c$i.pdf" "a@kyso.vn 1 300 60 200 60"
done

echo "== the token alone: kyso-sign pdf, $N files, B-T, one process"
mkdir -p "$W/od"
t0=$(now)
ks pdf "$W"/in/*.pdf --outdir "$W/od" --token BC0001 --chain "$W/int.pem" --tsa "$TSA" \
  --pin-fd 3 3<<<"$USER_PIN" >/dev/null
t1=$(now)
tok_ms=$(( (t1 - t0) / 1000000 ))

echo "== the whole path: list page -> Ký nhiều -> kyso-agent -> upload -> server checks"
read -r web_ms ok < <(KC_URL=$URL KC_N=$N KC_SIGNER=a@kyso.vn KC_SIGNER_PW=$PW_a \
  KC_PIN=$USER_PIN node "$here/drive.mjs")
[ "$ok" = "$N" ] || fail "the server accepted $ok of $N (agent: $(tail -3 "$W/agent.log"))"
assert_eq "$(sql "SELECT count(*) FROM documents WHERE state='completed'")" "$N"

printf '\n%-44s %8s %10s\n' "$N documents" "ms" "docs/min"
printf '%-44s %8s %10s\n' "token alone (kyso-sign pdf, B-T)" "$tok_ms" "$(per_min "$N" "$tok_ms")"
printf '%-44s %8s %10s\n' "whole path (page, agent, upload, server)" "$web_ms" "$(per_min "$N" "$web_ms")"
awk -v w="$web_ms" -v t="$tok_ms" -v n="$N" 'BEGIN {
  printf "whole path / token alone: %.2fx; %.0f ms a document over the token\n", w / t, (w - t) / n }'
stop_agent
pass
