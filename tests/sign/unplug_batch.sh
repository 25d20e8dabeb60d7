#!/usr/bin/env bash
# The token pulled out in the middle of a batch (kyso-token vtoken
# unplug): kyso-sign stops at the first file the token could not sign
# because it is gone, names the files not signed once (not "the token
# refused" per file), leaves no partial or temp file, exits 3; the files
# signed before verify.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token UB0001 01 rsa:2048 "Le Van Rut"
nss_db
N=300
mkdir -p "$W/in" "$W/out"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in/hd000.pdf" -c showpage >/dev/null 2>&1
for i in $(seq -w 1 $((N - 1))); do cp "$W/in/hd000.pdf" "$W/in/hd$(printf %03d $((10#$i))).pdf"; done

note "a batch of $N files; the token is unplugged once the first is signed"
set +e
"$KS" pdf "$W"/in/hd*.pdf --outdir "$W/out" --token UB0001 --pin-fd 3 \
  3<<<"$USER_PIN" > "$W/sign.out" 2> "$W/sign.err" &
pid=$!
for _ in $(seq 600); do [ -e "$W/out/hd000.pdf" ] && break; sleep 0.02; done
[ -e "$W/out/hd000.pdf" ] || fail "the first file was never signed: $(cat "$W/sign.err")"
"$KT" vtoken unplug UB0001 >/dev/null
wait "$pid"
rc=$?
set -e
err=$(cat "$W/sign.err")
signed=$(grep -c -- " -> " "$W/sign.out" || true)
[ "$rc" = 3 ] || fail "kyso-sign exited $rc, want 3 (token): $err"
[ "$signed" -ge 1 ] && [ "$signed" -lt "$N" ] || fail "$signed of $N signed: the unplug came too late"
left=$((N - signed))
note "$signed signed before the token went, $left not"
assert_contains "$err" "the token was removed; the batch stopped. $left file(s) not signed:"
assert_not_contains "$err" "refused"
assert_not_contains "$err" "not signed: "
assert_not_contains "$err" "files failed"
# Every file not signed is named once, and those signed are not.
for f in "$W"/in/hd*.pdf; do
  b=$(basename "$f")
  if [ -e "$W/out/$b" ]; then
    assert_not_contains "$err" "  $f" "$b was signed but is named as not signed"
  else
    [ "$(grep -cxF -- "  $f" "$W/sign.err")" = 1 ] || fail "$b is not named once: $err"
  fi
done
assert_eq "$(ls "$W/out" | wc -l)" "$signed" "outputs besides the signed files"
tmps=$(find "$W/out" "$W/in" -name '*tmp*')
[ -z "$tmps" ] || fail "a temp file was left: $tmps"
pdfsig_ok "$W/out/hd000.pdf" 1
last=$(grep -- " -> " "$W/sign.out" | tail -n1 | sed 's/.* -> //')
pdfsig_ok "$last" 1
qpdf_ok "$last"

note "plugged in again, the rest can be signed"
"$KT" vtoken plug UB0001 >/dev/null
first_left=$(grep -m1 -x "  .*" "$W/sign.err" | sed 's/^  //')
assert_exit 0 ks pdf "$first_left" --outdir "$W/out" --token UB0001 --pin-fd 3 3<<<"$USER_PIN"
pdfsig_ok "$W/out/$(basename "$first_left")" 1
pass
