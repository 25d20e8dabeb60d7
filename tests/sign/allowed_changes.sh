#!/usr/bin/env bash
# What may come after a signature and leave it VALID (PDF 32000-1 12.8.2.2,
# ETSI EN 319 142-1): an update that only changes /Info's ModDate and the
# XMP dates (as editors and Acrobat write when they save or countersign),
# a countersignature by another program (poppler's pdfsig -add-signature);
# and what may not: a catalog /Metadata that is no XMP stream, a page
# changed with the dates, any update after a P=1 certification.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
META=$(dirname "$0")/meta_update.py

make_pki
signing_token AC0001 01 rsa:2048 "Nguyen Van A"
nss_db
pdfsig_signer
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/c.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong) show showpage" >/dev/null 2>&1
ks pdf "$W/c.pdf" -o "$W/s.pdf" --token AC0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null

note "an update of /Info ModDate and the XMP dates only: still VALID"
python3 "$META" "$W/s.pdf" "$W/dates.pdf" dates
qpdf_ok "$W/dates.pdf"
pdfsig -nssdir "sql:$W/nss" "$W/dates.pdf" > "$W/pdfsig.txt" 2>&1 || true
grep -q "Signature is Valid" "$W/pdfsig.txt" || fail "pdfsig: $(cat "$W/pdfsig.txt")"
assert_exit 0 ks verify "$W/dates.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "only metadata (document information, XMP)"
assert_contains "$OUT" "result:    VALID"
assert_exit 0 ks verify "$W/dates.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"changes_after": "metadata-only"'

note "then a second kyso signature: the first one stays VALID"
ks pdf "$W/dates.pdf" -o "$W/dates2.pdf" --token AC0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/dates2.pdf" 2
assert_exit 0 ks verify "$W/dates2.pdf" --trust "$W/root.pem" --json
python3 - "$OUT" <<'PY' || fail "two signatures around a metadata update: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert [x["verdict"] for x in s] == ["VALID", "VALID"], s
assert s[0]["changes_after"] == "later-signatures-only", s[0]
PY

note "a countersignature by pdfsig -add-signature after kyso's"
pdfsig -nssdir "sql:$W/nss" -add-signature -nick popsigner "$W/s.pdf" "$W/counter.pdf" >/dev/null 2>&1 || true
[ -s "$W/counter.pdf" ] || fail "pdfsig -add-signature wrote nothing"
pdfsig_ok "$W/counter.pdf" 2
assert_exit 0 ks verify "$W/counter.pdf" --trust "$W/root.pem"
python3 "$META" "$W/counter.pdf" "$W/counter-dates.pdf" dates
assert_exit 0 ks verify "$W/counter-dates.pdf" --trust "$W/root.pem" --json
python3 - "$OUT" <<'PY' || fail "countersigned, then dates: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert [x["verdict"] for x in s] == ["VALID", "VALID"], s
assert s[1]["changes_after"] == "metadata-only", s[1]
PY

note "what is not metadata stays a change: INVALID"
python3 "$META" "$W/s.pdf" "$W/badxmp.pdf" badxmp
assert_exit 1 ks verify "$W/badxmp.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "CONTENT CHANGED after signing"
python3 "$META" "$W/s.pdf" "$W/page.pdf" page
assert_exit 1 ks verify "$W/page.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "CONTENT CHANGED after signing"
assert_contains "$OUT" "result:    INVALID"

note "a P=1 certification allows no update, not even of the dates"
ks pdf "$W/c.pdf" -o "$W/cert1.pdf" --certify 1 --token AC0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
assert_exit 0 ks verify "$W/cert1.pdf" --trust "$W/root.pem"
python3 "$META" "$W/cert1.pdf" "$W/cert1-dates.pdf" dates
assert_exit 1 ks verify "$W/cert1-dates.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "DocMDP P=1"
pass
