#!/usr/bin/env bash
# What a certification (DocMDP) permits after it stays VALID: form filling
# (a field's value and appearance) under P=2 and P=3, annotations (a
# sticky note) under P=3 only. A field moved while filled, an annotation
# under P=2, any of them under P=1, an annotation after a plain approval
# signature (no certification: kyso-sign keeps its shadow-attack rule) are
# changes: INVALID; form filling after an approval is allowed
# (form_filled.sh). qpdf checks every file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
FORM=$(dirname "$0")/form_update.py

make_pki
signing_token PM0001 01 rsa:2048 "Nguyen Van A"
python3 "$FORM" make "$W/form.pdf"
qpdf_ok "$W/form.pdf"
for p in 1 2 3; do
  ks pdf "$W/form.pdf" -o "$W/cert$p.pdf" --certify "$p" --token PM0001 --pin-fd 3 \
    --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
done
ks pdf "$W/form.pdf" -o "$W/approval.pdf" --token PM0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null

# verdict FILE CODE CHANGES: kyso-sign verify's exit and changes_after.
verdict() {
  assert_exit "$2" ks verify "$1" --trust "$W/root.pem" --json
  python3 - "$OUT" "$3" <<'PY' || fail "$1: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"][0]
assert s["changes_after"] == sys.argv[2], s
PY
}

note "form filling under P=2 and P=3: VALID"
for p in 2 3; do
  python3 "$FORM" fill "$W/cert$p.pdf" "$W/cert$p-fill.pdf"
  qpdf_ok "$W/cert$p-fill.pdf"
  verdict "$W/cert$p-fill.pdf" 0 permitted-by-certification
done
assert_exit 0 ks verify "$W/cert2-fill.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "only what the certification permits (form filling, annotations)"

note "an annotation under P=3: VALID; under P=2: INVALID"
python3 "$FORM" annot "$W/cert3.pdf" "$W/cert3-note.pdf"
qpdf_ok "$W/cert3-note.pdf"
verdict "$W/cert3-note.pdf" 0 permitted-by-certification
python3 "$FORM" annot "$W/cert2.pdf" "$W/cert2-note.pdf"
verdict "$W/cert2-note.pdf" 1 content-changed

note "a filled field that also moved, anything under P=1, an annotation after an approval: INVALID"
python3 "$FORM" rect "$W/cert2.pdf" "$W/cert2-rect.pdf"
verdict "$W/cert2-rect.pdf" 1 content-changed
python3 "$FORM" fill "$W/cert1.pdf" "$W/cert1-fill.pdf"
verdict "$W/cert1-fill.pdf" 1 content-changed
python3 "$FORM" annot "$W/approval.pdf" "$W/approval-note.pdf"
verdict "$W/approval-note.pdf" 1 content-changed
python3 "$FORM" fill "$W/approval.pdf" "$W/approval-fill.pdf"
verdict "$W/approval-fill.pdf" 0 form-filled

note "a later signature over a filled P=2 form: both VALID"
ks pdf "$W/cert2-fill.pdf" -o "$W/cert2-fill-2.pdf" --token PM0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
assert_exit 0 ks verify "$W/cert2-fill-2.pdf" --trust "$W/root.pem" --json
python3 - "$OUT" <<'PY' || fail "filled then signed: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert [x["verdict"] for x in s] == ["VALID", "VALID"], s
PY
pass
