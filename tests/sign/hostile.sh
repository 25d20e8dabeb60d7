#!/usr/bin/env bash
# Hostile structures that are valid syntax: a form whose fields are their
# own kids (a cycle, 50 wide), a page tree that loops. kyso-sign finishes
# (walks are bounded by depth and by a visit budget) and says what it did.
# (`timeout` only guards against a hang; no time is asserted.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token HS0001 01 rsa:2048 "Hostile Tester"
nss_db
mkpdf() {   # mkpdf OUT KIND
  python3 - "$1" "$2" <<'PY'
import sys
out, kind = sys.argv[1], sys.argv[2]
kids = b" ".join([b"5 0 R"] * 50)
if kind == "fieldcycle":
    objs = [b"<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
            b"<</Fields[5 0 R]>>",
            b"<</T(loop)/Kids[" + kids + b"]>>"]
else:  # a page tree whose only kid is itself
    objs = [b"<</Type/Catalog/Pages 2 0 R>>",
            b"<</Type/Pages/Kids[2 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R>>", b"<<>>", b"<<>>"]
d = bytearray(b"%PDF-1.4\n")
offs = []
for i, o in enumerate(objs):
    offs.append(len(d)); d += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
x = len(d)
d += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offs)
d += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(out, "wb").write(d)
PY
}

note "a field cycle: verify finishes with no signature; signing refuses"
mkpdf "$W/cycle.pdf" fieldcycle
assert_exit 1 timeout 120 "$KS" verify "$W/cycle.pdf"
assert_contains "$OUT" "0 signatures"
assert_exit 1 timeout 120 "$KS" pdf "$W/cycle.pdf" -o "$W/cycle-signed.pdf" --token HS0001 \
  --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN"
assert_contains "$OUT" "fields loop"
[ ! -e "$W/cycle-signed.pdf" ] || fail "an output was left"

note "a page tree that loops: refused, no output"
mkpdf "$W/pageloop.pdf" pageloop
assert_exit 1 timeout 120 "$KS" pdf "$W/pageloop.pdf" -o "$W/pl.pdf" --token HS0001 \
  --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "page tree is damaged"
[ ! -e "$W/pl.pdf" ] || fail "an output was left"
pass
