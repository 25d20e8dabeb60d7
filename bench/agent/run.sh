#!/usr/bin/env bash
# bench/agent: what kyso-agent adds to each signature over the token
# operation alone, on the same token and key in the same run: one small
# PDF, and a batch of $BENCH_AGENT_N (50) small PDFs, each signed
#   - directly: kyso-sign pdf FILES (one process, one login), and
#   - through the agent as a page does: POST /v1/sign with the files in
#     base64, then poll the job to its end (bench/agent/client.py), with
#     the scripted pinentry answering its two dialogs at once.
# Prints times, ratios and the overhead per item: the batch's extra time
# over its items, and the marginal one ((agent50 - agent1) - (direct50 -
# direct1)) / 49, which leaves out the per-batch costs (the two dialogs,
# the login). Goal: <= 2 ms an item. Never passes or fails on time.
# Usage: KYSO_BUILD=build bash bench/agent/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$here/../.." && pwd)
export KYSO_BUILD=${KYSO_BUILD:-$SRC/build}
KYSO_BUILD=$(cd "$KYSO_BUILD" && pwd)
export KYSO_PDF_GEN=${KYSO_PDF_GEN:-$KYSO_BUILD/pdf-gen}
. "$SRC/tests/lib.sh"
. "$SRC/tests/sign/helpers.bash"
. "$SRC/tests/agent/browser_helpers.bash"
N=${BENCH_AGENT_N:-50}
RUNS=${BENCH_RUNS:-5}
ORIGIN=http://127.0.0.1:1

now() { date +%s%N; }
# msf T0 T1: milliseconds between two `now`s, with a decimal.
msf() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
minf() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

make_pki
signing_token BA0001 01 rsa:2048 "Bench Signer"

PORT=$(free_port)
mkdir -p "$KYSO_HOME/agent"
chmod 700 "$KYSO_HOME/agent"
printf 'allow %s\n' "$ORIGIN" > "$KYSO_HOME/agent/origins"
chmod 600 "$KYSO_HOME/agent/origins"
start_agent "$PORT"

echo "== inputs: $N small PDFs"
mkdir -p "$W/small"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/small.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hoa don) show showpage" >/dev/null 2>&1
for i in $(seq -w 1 "$N"); do cp "$W/small.pdf" "$W/small/inv$i.pdf"; done
ls -la "$W/small.pdf" | awk '{ print "each:", $5, "bytes" }'

# direct FILES...: the best of $RUNS runs of kyso-sign pdf, in ms.
direct() {
  local best= t0 t1 i
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$W/od"; mkdir -p "$W/od"
    t0=$(now)
    "$BIN/kyso-sign" pdf "$@" --outdir "$W/od" --token BA0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
    t1=$(now)
    best=$(minf "$best" "$(msf "$t0" "$t1")")
  done
  echo "$best"
}
# agent FILES...: the best of $RUNS batches through the agent, in ms.
agent() {
  local i
  : > "$KYSO_PINENTRY_SCRIPT"
  for ((i = 0; i < RUNS; i++)); do printf 'OK\nPIN %s\n' "$USER_PIN" >> "$KYSO_PINENTRY_SCRIPT"; done
  rm -rf "$W/oa"; mkdir -p "$W/oa"
  python3 "$here/client.py" "$PORT" "$ORIGIN" "$RUNS" "$W/oa" "$@"
}
# The scripted pinentry's own cost for one batch's two dialogs (a python
# start each): part of the per-batch time, not of the agent's.
dialogs() {
  local t0 t1
  printf 'OK\nPIN 1\n' > "$W/pe.script"
  t0=$(now)
  printf 'CONFIRM\nBYE\n' | KYSO_PINENTRY_SCRIPT=$W/pe.script "$KYSO_PINENTRY" >/dev/null
  printf 'GETPIN\nBYE\n' | KYSO_PINENTRY_SCRIPT=$W/pe.script "$KYSO_PINENTRY" >/dev/null
  t1=$(now)
  msf "$t0" "$t1"
}

echo "== one PDF (best of $RUNS)"
d1=$(direct "$W/small/inv$(printf %0${#N}d 1).pdf")
a1=$(agent "$W/small/inv$(printf %0${#N}d 1).pdf")
pe=$(dialogs)
pdfsig "$W/oa/"*.pdf 2>/dev/null | grep -q "Signature is Valid" || echo "warning: the agent's output did not verify"
echo "direct ${d1} ms, agent ${a1} ms (of which the scripted dialogs ~${pe} ms), ratio agent/direct: $(ratio "$a1" "$d1")"
echo "overhead: $(awk -v a="$a1" -v d="$d1" 'BEGIN { printf "%.1f", a - d }') ms; less the dialogs: $(awk -v a="$a1" -v d="$d1" -v p="$pe" 'BEGIN { printf "%.1f", a - d - p }') ms"

echo "== batch of $N (best of $RUNS; one login, one confirmation each)"
dn=$(direct "$W"/small/*.pdf)
an=$(agent "$W"/small/*.pdf)
n=$(ls "$W/oa" | wc -l)
[ "$n" = "$N" ] || echo "warning: the agent returned $n files, not $N"
echo "direct ${dn} ms, agent ${an} ms, ratio agent/direct: $(ratio "$an" "$dn")"
echo "overhead per item (batch): $(awk -v a="$an" -v d="$dn" -v n="$N" 'BEGIN { printf "%.2f", (a - d) / n }') ms"
echo "overhead per item (marginal, per-batch costs left out): $(awk -v a="$an" -v d="$dn" -v a1="$a1" -v d1="$d1" -v n="$N" 'BEGIN { printf "%.2f", ((a - a1) - (d - d1)) / (n - 1) }') ms   (goal <= 2 ms)"

stop_agent
pass
