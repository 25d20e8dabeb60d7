#!/usr/bin/env bash
# Every file of the shared PDF corpus through kyso-sign pdf: the readable
# ones are signed (our signature valid and trusted for pdfsig, qpdf finds
# no error, every earlier signature's verdict unchanged); encrypted,
# looping and damaged ones are refused with a clear message, exit 1 and
# no output file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

[ -d "$CORPUS" ] || fail "no PDF corpus at $CORPUS (../shared/pdf-corpus beside the checkout)"
make_pki
signing_token CP0001 01 rsa:2048 "Corpus Signer"
nss_db

declare -A want=(
  [append-xref-loop.pdf]="refuse:loop"
  [bad-xref-entry.pdf]="refuse:cross-reference table is damaged"
  [bad-xref.pdf]=sign
  [badlin1.pdf]=sign
  [c-linearized.pdf]=sign
  [c-object-streams.pdf]=sign
  [compress-objstm-xref.pdf]=sign
  [digitally-signed.pdf]=sign
  [enc-XI-R6_V5_U_view_O_master.pdf]="refuse:encrypted"
  [encrypted-40-bit-R3.pdf]="refuse:encrypted"
  [form-filled-by-acrobat.pdf]=sign
  [hybrid-xref.pdf]=sign
  [incremental-1.pdf]=sign
  [incremental-2.pdf]=sign
  [pdfjs-GHOSTSCRIPT-698804-1-fuzzed.pdf]="refuse:damaged"
  [pdfjs-empty_protected.pdf]="refuse:encrypted"
  [pdfjs-encrypted-attachment.pdf]="refuse:not where the cross-reference says"
  [pdfjs-helloworld-bad.pdf]="refuse:not where the cross-reference says"
  [pdfjs-signed_verified.pdf]=sign
  [pdfjs-xref_command_missing.pdf]="refuse:not where the cross-reference says"
)

verdicts() { pdfsig "$1" 2>/dev/null | grep "Signature Validation:" || true; }

for f in "$CORPUS"/*.pdf; do
  b=$(basename "$f")
  w=${want[$b]:-}
  [ -n "$w" ] || fail "$b: no expectation for this corpus file"
  out=$W/signed-$b
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
  else
    assert_exit 1 ks pdf "$f" -o "$out" --token CP0001 --pin-fd 3 3<<<"$USER_PIN"
    assert_contains "$OUT" "$b: not signed: "
    assert_contains "$OUT" "${w#refuse:}"
    [ ! -e "$out" ] || fail "$b: an output was left"
    ls "$W" | grep -q "\.tmp\." && fail "$b: a temp file was left"
  fi
done
pass
