#!/usr/bin/env bash
# Every file of the generated PDF set (tests/pdfgen) and, when it is there,
# of the shared corpus through kyso-sign pdf, as their lists say
# (tests/pdfgen/expect.txt, shared.txt): the readable ones are signed (our
# signature valid and trusted for pdfsig, qpdf finds no error, every
# earlier signature's verdict unchanged); encrypted, looping and damaged
# ones are refused with a clear message, exit 1 and no output file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token CP0001 01 rsa:2048 "Corpus Signer"
nss_db

verdicts() { pdfsig "$1" 2>/dev/null | grep "Signature Validation:" || true; }

# sign_set DIR LIST: every file of DIR as its line in LIST says; every
# listed file must be there and every file listed.
sign_set() {
  local dir=$1 list=$2 name open xref unread check verdict f b w out n before after got
  local -A want=()
  while read -r name open xref unread check verdict; do
    [ -n "$name" ] && [ "${name#\#}" = "$name" ] || continue
    want[$name]=$verdict
    [ -f "$dir/$name" ] || fail "$name: listed in $list, not in $dir"
  done < "$list"
  [ "${#want[@]}" -gt 0 ] || fail "nothing listed in $list"
  for f in "$dir"/*.pdf; do
    b=$(basename "$f")
    w=${want[$b]:-}
    [ -n "$w" ] || fail "$b: no line for this file in $list"
    out=$W/signed-$(basename "$dir")-$b
    note "$b: $w"
    if [ "$w" = sign ]; then
      assert_exit 0 ks pdf "$f" -o "$out" --token CP0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN"
      qpdf_ok "$out"
      before=$(verdicts "$f")
      n=$(printf '%s' "$before" | grep -c . || true)
      after=$(pdfsig -nssdir "sql:$W/nss" "$out" 2>&1 | grep -A12 "^Signature #$((n + 1)):" || true)
      assert_contains "$after" "Signature is Valid"
      assert_contains "$after" "Certificate is Trusted"
      # Earlier signatures: the same verdict as before our update.
      got=$(verdicts "$out" | head -n "$n")
      assert_eq "$got" "$before" "$b: an earlier signature's verdict changed"
    elif [ "${w%% *}" = refuse ]; then
      assert_exit 1 ks pdf "$f" -o "$out" --token CP0001 --pin-fd 3 3<<<"$USER_PIN"
      assert_contains "$OUT" "$b: not signed: "
      assert_contains "$OUT" "${w#refuse }"
      [ ! -e "$out" ] || fail "$b: an output was left"
      if ls "$W" | grep -q "\.tmp\."; then fail "$b: a temp file was left"; fi
    else
      fail "$b: '$w' is neither sign nor refuse"
    fi
  done
}

sign_set "$GEN" "$PDFGEN_SRC/expect.txt"
if have_shared_corpus; then
  sign_set "$CORPUS" "$PDFGEN_SRC/shared.txt"
fi
pass
