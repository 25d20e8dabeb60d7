#!/usr/bin/env bash
# bench/sign: kyso-sign pdf against poppler's `pdfsig -add-signature` (same
# key type: RSA-2048, SHA-256) and against the floor (SHA-256 of the bytes
# + one token signature + the copy, bench_sign_floor), on one large PDF
# (>= 50 MB) and a batch of 200 small PDFs, in the same run. Prints times
# and ratios; never passes or fails on time.
# Usage: KYSO_BUILD=build-sign bash bench/sign/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export KYSO_BUILD=${KYSO_BUILD:-$here/../../build}
KYSO_BUILD=$(cd "$KYSO_BUILD" && pwd)
export KYSO_PDF_CORPUS=${KYSO_PDF_CORPUS:-$here/../../../shared/pdf-corpus}
. "$here/../../tests/lib.sh"
. "$here/../../tests/sign/helpers.bash"
FLOOR=$KYSO_BUILD/bin/bench_sign_floor
N=${BENCH_SMALL:-200}
BIG_MB=${BENCH_BIG_MB:-60}

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

make_pki
signing_token BE0001 01 rsa:2048 "Bench Signer"
nss_db
# pdfsig's key: RSA-2048 in its NSS database (it cannot use our token).
openssl req -newkey rsa:2048 -nodes -keyout "$W/pop.key" -out "$W/pop.csr" -subj "/CN=Peer" 2>/dev/null
openssl x509 -req -in "$W/pop.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
  -days 30 -extfile "$W/ee.ext" -out "$W/pop.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$W/pop.key" -in "$W/pop.pem" -out "$W/pop.p12" -passout pass:x -name peer
pk12util -i "$W/pop.p12" -d "sql:$W/nss" -W x >/dev/null

echo "== inputs: one ${BIG_MB} MB PDF, $N small PDFs"
python3 - "$W/big.pdf" "$BIG_MB" <<'PY'
import os, sys
path, mb = sys.argv[1], int(sys.argv[2])
side = int((mb * 1024 * 1024 / 3) ** 0.5)
img = os.urandom(side * side * 3)
objs = [
  b"<</Type/Catalog/Pages 2 0 R>>",
  b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
  b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im1 5 0 R>>>>/Contents 4 0 R>>",
]
content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
offs = []
for i, o in enumerate(objs):
    offs.append(len(out)); out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
offs.append(len(out)); out += b"4 0 obj\n<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n"
offs.append(len(out)); out += (b"5 0 obj\n<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceRGB/BitsPerComponent 8/Length %d>>\nstream\n" % (side, side, len(img))) + img + b"\nendstream\nendobj\n"
x = len(out)
out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % x
open(path, "wb").write(out)
PY
mkdir -p "$W/small"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/small.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hoa don) show showpage" >/dev/null 2>&1
for i in $(seq -w 1 "$N"); do cp "$W/small.pdf" "$W/small/inv$i.pdf"; done
ls -la "$W/big.pdf" | awk '{ print "big.pdf:", $5, "bytes" }'

run_ours() { "$BIN/kyso-sign" pdf "$@" --token BE0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null; }
run_floor() { "$FLOOR" --token BE0001 --pin-fd 3 "$@" 3<<<"$USER_PIN"; }

# best_of CMD...: the fastest of $BENCH_RUNS (5) runs in ms, each after a sync
# (writes still in flight from the previous run would count otherwise).
best_of() {
  local best= i t0 t1 d
  for i in $(seq "${BENCH_RUNS:-5}"); do
    sync
    t0=$(now)
    "$@" || { echo "bench: '$*' failed" >&2; exit 1; }
    t1=$(now)
    d=$(ms "$t0" "$t1")
    if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
  done
  echo "$best"
}
pdfsig_each() {
  local out=$1 f; shift
  for f in "$@"; do
    pdfsig -nssdir "sql:$W/nss" -add-signature -nick peer "$f" "$out/$(basename "$f")" >/dev/null 2>&1 || true
  done
}
fresh() { rm -rf "$W/o1" "$W/o2" "$W/o3"; mkdir -p "$W/o1" "$W/o2" "$W/o3"; }

echo "== large file (best of ${BENCH_RUNS:-5})"
fresh
ours=$(best_of run_ours "$W/big.pdf" --outdir "$W/o1")
peer=$(best_of pdfsig_each "$W/o2" "$W/big.pdf")
floor=$(best_of run_floor "$W/o3" "$W/big.pdf")
pdfsig "$W/o1/big.pdf" 2>/dev/null | grep -q "Signature is Valid" || echo "warning: our output did not verify"
pdfsig "$W/o2/big.pdf" 2>/dev/null | grep -q "Signature is Valid" || echo "warning: pdfsig's output did not verify"
echo "kyso-sign ${ours} ms, pdfsig ${peer} ms, floor ${floor} ms"
echo "ratio kyso-sign/pdfsig: $(ratio "$ours" "$peer")   kyso-sign/floor: $(ratio "$ours" "$floor")"

echo "== batch of $N small files (best of ${BENCH_RUNS:-5}; kyso-sign: one run, one login; pdfsig: one run per file)"
fresh
ours=$(best_of run_ours "$W"/small/*.pdf --outdir "$W/o1")
peer=$(best_of pdfsig_each "$W/o2" "$W"/small/*.pdf)
floor=$(best_of run_floor "$W/o3" "$W"/small/*.pdf)
echo "kyso-sign ${ours} ms, pdfsig ${peer} ms, floor ${floor} ms"
echo "ratio kyso-sign/pdfsig: $(ratio "$ours" "$peer")   kyso-sign/floor: $(ratio "$ours" "$floor")"
pass
