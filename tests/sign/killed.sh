#!/usr/bin/env bash
# kyso-sign killed with -9 in the middle of a batch: no half-written
# output, the inputs untouched; run again, every file is signed and valid.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token KL0001 01 rsa:2048 "Killed Batch"
mkdir -p "$W/in" "$W/out"
big_pdf "$W/in/b-big.pdf" 120
gs -q -dBATCH -dNOPAUSE -dSAFER -sDEVICE=pdfwrite -sOutputFile="$W/in/a-small.pdf" \
  -c "/Helvetica findfont 12 scalefont setfont 72 720 moveto (Hoa don 1) show showpage"
cp "$W/in/a-small.pdf" "$W/in/c-small.pdf"
sums=$(cd "$W/in" && sha256sum ./*.pdf)

note "kill -9 while the large file is being written"
ks pdf "$W/in/a-small.pdf" "$W/in/b-big.pdf" "$W/in/c-small.pdf" --outdir "$W/out" \
  --token KL0001 --chain "$W/int.pem" --pin-fd 3 3<<<"$USER_PIN" >"$W/log" 2>&1 &
pid=$!
for _ in $(seq 1 400); do
  ls "$W/out" | grep -q '^b-big\.pdf\.tmp' && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
ls "$W/out" | grep -q '^b-big\.pdf\.tmp' || fail "the kill did not land while the large file was written: $(ls "$W/out")"
[ ! -e "$W/out/b-big.pdf" ] || fail "a half-written signed file is left: $(ls -l "$W/out")"
[ ! -e "$W/out/c-small.pdf" ] || fail "a file after the kill was signed"
assert_eq "$(cd "$W/in" && sha256sum ./*.pdf)" "$sums" "an input changed"
if [ -e "$W/out/a-small.pdf" ]; then
  ks verify "$W/out/a-small.pdf" --trust "$W/root.pem" >/dev/null \
    || fail "the file finished before the kill does not verify"
fi

note "again: every file is signed and valid"
ks pdf "$W/in/a-small.pdf" "$W/in/b-big.pdf" "$W/in/c-small.pdf" --outdir "$W/out" \
  --token KL0001 --chain "$W/int.pem" --pin-fd 3 3<<<"$USER_PIN" >"$W/log" 2>&1 || fail "the second run: $(cat "$W/log")"
for f in a-small b-big c-small; do
  out=$(ks verify "$W/out/$f.pdf" --trust "$W/root.pem") || fail "$f does not verify: $out"
  assert_contains "$out" "VALID"
done
pass
