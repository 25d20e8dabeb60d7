#!/usr/bin/env bash
# Form filling after a plain approval signature (no DocMDP) is allowed
# (ISO 32000-1 12.8.2, ETSI EN 319 142-1): a text field filled by an
# incremental update (form_update.py: its /V and a new appearance) after
# kyso-sign's signature is VALID with "form filled after signing". Unless
# the signature's field locks it (FieldMDP /Lock: /All, or /Include
# naming it) or the field is read-only: INVALID. A lock that names another
# field leaves the fill VALID. qpdf checks every file, pdfsig the
# signature itself.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
FORM=$(dirname "$0")/form_update.py

make_pki
signing_token FF0001 01 rsa:2048 "Nguyen Van A"
nss_db

# signed_fill NAME [make options...]: the form, signed by kyso-sign (into
# the prepared field KyTen when there is one), then HoTen filled.
signed_fill() {
  local name=$1 field=(); shift
  python3 "$FORM" make "$W/$name.pdf" "$@"
  qpdf_ok "$W/$name.pdf"
  [[ "$*" == *--lock* ]] && field=(--field KyTen)
  ks pdf "$W/$name.pdf" -o "$W/$name-signed.pdf" "${field[@]}" --token FF0001 --pin-fd 3 \
    --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
  python3 "$FORM" fill "$W/$name-signed.pdf" "$W/$name-fill.pdf"
  qpdf_ok "$W/$name-fill.pdf"
  pdfsig_ok "$W/$name-fill.pdf" 1
}
# verdict FILE CODE CHANGES: kyso-sign verify's exit and changes_after.
verdict() {
  assert_exit "$2" ks verify "$1" --trust "$W/root.pem" --json
  python3 - "$OUT" "$3" <<'PY' || fail "$1: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"][0]
assert s["changes_after"] == sys.argv[2], s
PY
}

note "a text field filled after an approval signature: VALID, said so"
signed_fill plain
verdict "$W/plain-fill.pdf" 0 form-filled
assert_exit 0 ks verify "$W/plain-fill.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "form filled after signing"
assert_contains "$OUT" "result:    VALID"
assert_exit 0 env LANG=vi_VN.UTF-8 "$KS" verify "$W/plain-fill.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "biểu mẫu được điền sau khi ký"

note "the signature's field locks HoTen (/Lock /Include, /All): INVALID"
signed_fill include --lock '<< /Type /SigFieldLock /Action /Include /Fields [(HoTen)] >>'
verdict "$W/include-fill.pdf" 1 content-changed
signed_fill all --lock '<< /Type /SigFieldLock /Action /All >>'
verdict "$W/all-fill.pdf" 1 content-changed
assert_contains "$OUT" '"verdict": "INVALID"'

note "a lock naming another field, /Exclude naming HoTen: the fill stays VALID"
signed_fill other --lock '<< /Type /SigFieldLock /Action /Include /Fields [(DiaChi)] >>'
verdict "$W/other-fill.pdf" 0 form-filled
signed_fill exclude --lock '<< /Type /SigFieldLock /Action /Exclude /Fields [(HoTen)] >>'
verdict "$W/exclude-fill.pdf" 0 form-filled

note "a read-only field changed: INVALID"
signed_fill ro --readonly
verdict "$W/ro-fill.pdf" 1 content-changed

note "the field moved while filled is no filling: INVALID"
python3 "$FORM" rect "$W/plain-signed.pdf" "$W/plain-rect.pdf"
verdict "$W/plain-rect.pdf" 1 content-changed
pass
