#!/usr/bin/env bash
# PAdES document time-stamps (/Type /DocTimeStamp, /SubFilter
# /ETSI.RFC3161, as B-LTA adds them): verified by their imprint, their
# signature and the TSA's chain, never reported "integrity: BROKEN" when
# intact; the signature under it stays VALID; a changed byte is INVALID;
# what verify does not support is INDETERMINATE with the reason.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
DOCTS=$(dirname "$0")/doc_ts.py

make_pki
signing_token DT0001 01 rsa:2048 "Nguyen Van A"
tsa_conf
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/c.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong) show showpage" >/dev/null 2>&1
ks pdf "$W/c.pdf" -o "$W/s.pdf" --token DT0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null

note "a document time-stamp after kyso's signature"
python3 "$DOCTS" "$W/s.pdf" "$W/lta.pdf" "$W/tsa.cnf"
qpdf_ok "$W/lta.pdf"
docts_ok "$W/lta.pdf" 2 "$W/root.pem" "$W/int.pem"
assert_exit 0 ks verify "$W/lta.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "level:     document time-stamp"
assert_not_contains "$OUT" "BROKEN"
assert_contains "$OUT" "CN = Kyso Test TSA"
assert_exit 0 ks verify "$W/lta.pdf" --trust "$W/root.pem" --json
python3 - "$OUT" <<'PY' || fail "document time-stamp: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert [x["verdict"] for x in s] == ["VALID", "VALID"], s
assert s[0]["changes_after"] == "later-signatures-only", s[0]
assert s[1]["level"] == "document time-stamp" and s[1]["timestamp_valid"], s[1]
PY
assert_exit 4 ks verify "$W/lta.pdf"

note "SHA-512 imprint"
python3 "$DOCTS" "$W/s.pdf" "$W/lta512.pdf" "$W/tsa.cnf" sha512
assert_exit 0 ks verify "$W/lta512.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"digest": "SHA512"'

note "a byte changed under the time-stamp: INVALID"
cp "$W/lta.pdf" "$W/lta-t.pdf"
off=$(grep -a -b -o "DocTS1" "$W/lta-t.pdf" | head -1 | cut -d: -f1)
printf 'X' | dd of="$W/lta-t.pdf" bs=1 seek=$((off + 5)) conv=notrunc 2>/dev/null
assert_exit 1 ks verify "$W/lta-t.pdf" --trust "$W/root.pem" --json
python3 - "$OUT" <<'PY' || fail "changed document time-stamp: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
ts = [x for x in s if x["level"] == "document time-stamp"]
assert ts and ts[0]["verdict"] == "INVALID" and not ts[0]["intact"], s
PY

note "an unsupported SubFilter: INDETERMINATE with the reason, not BROKEN"
sed 's|/SubFilter /ETSI.RFC3161|/SubFilter /ETSI.RFC9999|' "$W/lta.pdf" > "$W/unsup.pdf"
assert_exit 4 ks verify "$W/unsup.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "/SubFilter is not supported"
assert_contains "$OUT" "result:    INDETERMINATE"
assert_not_contains "$OUT" "integrity: BROKEN"
pass
