#!/usr/bin/env bash
# bench/agent: what kyso-agent adds to each signature over the token
# operation alone, on the same token and key in the same run: one small
# PDF, and a batch of $BENCH_AGENT_N (50) small PDFs, each signed
#   - by the floor: bench_agent_mem (bench/agent/mem.c) signs the PDFs
#     as the agent's token side does (pdf_sign_mem, one login, timed after
#     it) in one process, without HTTP, JSON, base64, frames or dialogs;
#   - through the agent as a page does: POST /v1/sign with the files in
#     base64, then poll the job to its end (bench/agent/client.py), with
#     the scripted pinentry answering its two dialogs at once;
#   - and, for scale, by kyso-sign pdf FILES (one process, one login,
#     files read and written).
# The client times the dialogs apart (the job's waiting_user: the two
# dialogs, a python start each here, and the login); the rest of the
# agent's time against the floor is its overhead. Prints times, ratios and
# that overhead per item, also as the marginal one ((agent50 - agent1) -
# (floor50 - floor1)) / 49. Goal: <= 2 ms an item. Never passes or fails
# on time.
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
# floor FILES...: the best of $RUNS batches by the token side's own calls.
floor() {
  "$KYSO_BUILD/bench/bench_agent_mem" --token BA0001 --pin-fd 3 "$RUNS" "$@" 3<<<"$USER_PIN"
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }

one=$W/small/inv$(printf %0${#N}d 1).pdf
echo "== one PDF (best of $RUNS)"
f1=$(floor "$one")
d1=$(direct "$one")
read -r a1 p1 < <(agent "$one")
pdfsig "$W/oa/"*.pdf 2>/dev/null | grep -q "Signature is Valid" || echo "warning: the agent's output did not verify"
echo "floor ${f1} ms, agent ${a1} ms (of which the scripted dialogs ${p1} ms), kyso-sign ${d1} ms"
echo "agent less dialogs / floor: $(ratio "$(sub "$a1" "$p1")" "$f1")   overhead: $(sub "$(sub "$a1" "$p1")" "$f1") ms"

echo "== batch of $N (best of $RUNS; one login, one confirmation each)"
fn=$(floor "$W"/small/*.pdf)
dn=$(direct "$W"/small/*.pdf)
read -r an pn < <(agent "$W"/small/*.pdf)
n=$(ls "$W/oa" | wc -l)
[ "$n" = "$N" ] || echo "warning: the agent returned $n files, not $N"
echo "floor ${fn} ms, agent ${an} ms (of which the scripted dialogs ${pn} ms), kyso-sign ${dn} ms"
echo "agent less dialogs / floor: $(ratio "$(sub "$an" "$pn")" "$fn")"
echo "overhead per item (dialogs left out): $(awk -v a="$an" -v p="$pn" -v f="$fn" -v n="$N" 'BEGIN { printf "%.2f", (a - p - f) / n }') ms   (goal <= 2 ms)"
echo "overhead per item (marginal, 1 -> $N): $(awk -v a="$an" -v p="$pn" -v f="$fn" -v a1="$a1" -v p1="$p1" -v f1="$f1" -v n="$N" 'BEGIN { printf "%.2f", (((a - p) - (a1 - p1)) - (f - f1)) / (n - 1) }') ms"

stop_agent
pass
