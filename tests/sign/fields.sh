#!/usr/bin/env bash
# Prepared empty signature fields (a contract with boxes "BenA" and "BenB"
# for its two parties): `kyso-sign fields` lists them; --field BenA signs
# into BenA (its page and rectangle become the stamp's, no new field);
# with exactly one empty field it is the default. pdfsig sees the field
# signed, qpdf --check passes, the stamp is drawn inside the box.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token FD0001 01 rsa:2048 "Nguyễn Văn Ánh"
nss_db
gen() { python3 "$(dirname "$0")/prepared_pdf.py" "$@"; }
gen "$W/two.pdf" two
gen "$W/one.pdf" one

note "fields: both empty, with their pages and boxes"
assert_exit 0 ks fields "$W/two.pdf"
assert_contains "$OUT" "2 signature fields"
grep -Eq "BenA +empty +page 1 \[60 90 290 180\]" <<<"$OUT" || fail "BenA: $OUT"
grep -Eq "BenB +empty +page 1 \[320 90 550 180.5\]" <<<"$OUT" || fail "BenB: $OUT"
assert_exit 1 ks fields "$W/missing.pdf"
assert_contains "$OUT" "does not exist"

note "--field BenA: signed into the prepared box, no new field"
ks pdf "$W/two.pdf" -o "$W/a.pdf" --field BenA --token FD0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/a.pdf" 1
assert_contains "$PDFSIG_OUT" "BenA"
qpdf_ok "$W/a.pdf"
cms_of "$W/a.pdf" 1
openssl_verify_ok
# The form still has exactly its two fields; BenA holds the signature.
qpdf --json --json-key=acroform "$W/a.pdf" > "$W/form.json"
python3 - "$W/form.json" <<'PY' || fail "the form after signing BenA is wrong"
import json, sys
f = json.load(open(sys.argv[1]))["acroform"]["fields"]
names = sorted(x["fullname"] for x in f)
assert names == ["BenA", "BenB"], names
a = [x for x in f if x["fullname"] == "BenA"][0]
b = [x for x in f if x["fullname"] == "BenB"][0]
assert a["fieldtype"] == "/Sig" and a["value"] is not None and a["value"] != "", a
assert b["value"] is None or b["value"] == "", b
PY
assert_exit 0 ks fields "$W/a.pdf"
grep -Eq "BenA +signed" <<<"$OUT" || fail "BenA not listed as signed: $OUT"
grep -Eq "BenB +empty" <<<"$OUT" || fail "BenB not listed as empty: $OUT"

note "the stamp is drawn inside BenA's box, nowhere else"
pdftoppm -r 72 -gray "$W/a.pdf" "$W/pa" >/dev/null 2>"$W/render.err"
[ ! -s "$W/render.err" ] || fail "poppler complains: $(cat "$W/render.err")"
pdftoppm -r 72 -gray "$W/two.pdf" "$W/p0" >/dev/null 2>&1
python3 - "$W/p0-1.pgm" "$W/pa-1.pgm" <<'PY' || fail "the stamp is not inside BenA"
import sys
def load(p):
    d = open(p, 'rb').read()
    parts = d.split(b'\n', 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]
w, h, before = load(sys.argv[1])
_, _, after = load(sys.argv[2])
inside = outside = 0
for y in range(h):
    for x in range(w):
        if after[y * w + x] < 128 and before[y * w + x] >= 128:
            py = h - 1 - y
            if 58 <= x <= 292 and 88 <= py <= 182:
                inside += 1
            else:
                outside += 1
assert inside > 300, inside
assert outside == 0, outside
PY

note "then BenB by the second party: both fields signed, both valid"
signing_token FD0002 02 rsa:2048 "Trần Thị Bích"
ks pdf "$W/a.pdf" -o "$W/ab.pdf" --field BenB --token FD0002 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/ab.pdf" 2
qpdf_ok "$W/ab.pdf"
assert_exit 0 ks fields "$W/ab.pdf"
grep -Eq "BenB +signed" <<<"$OUT" || fail "BenB not signed: $OUT"
assert_contains "$(qpdf --json --json-key=acroform "$W/ab.pdf")" '"fullname": "BenB"'
# Party A's signature stays VALID after B signed into the prepared BenB:
# filling an empty signature field is what a later signature does.
assert_exit 0 ks verify "$W/ab.pdf" --trust "$W/root.pem"
[ "$(grep -c 'result: *VALID' <<<"$OUT")" = 2 ] || fail "both signatures should be VALID: $OUT"

note "a form with /NeedAppearances: the flag goes (empty boxes need no drawing), the stamp stays"
# poppler redraws every widget of such a form, a signature's stamp included.
gen "$W/need.pdf" need
ks pdf "$W/need.pdf" -o "$W/nd.pdf" --field BenA --token FD0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/nd.pdf" 1
qpdf_ok "$W/nd.pdf"
assert_contains "$(qpdf --json --json-key=acroform "$W/nd.pdf")" '"needappearances": false'
pdftoppm -r 72 -gray "$W/nd.pdf" "$W/pn" >/dev/null 2>&1
python3 - "$W/pn-1.pgm" <<'PY' || fail "the stamp is not drawn in BenA"
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split()); px = d[3]
ink = sum(1 for py in range(92, 178) for x in range(62, 288) if px[(h - 1 - py) * w + x] < 128)
assert ink > 300, ink
PY

note "a signed field is not signed again; --visible with a prepared field is refused"
assert_exit 1 ks pdf "$W/ab.pdf" -o "$W/x.pdf" --field BenA --token FD0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "that signature field is already signed"
assert_exit 1 ks pdf "$W/two.pdf" -o "$W/x.pdf" --field BenA --visible 1,10,10,100,100 \
  --token FD0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "leave out --visible"
[ ! -e "$W/x.pdf" ] || fail "output written for a refused signature"

note "two empty fields and no --field: a new field, the boxes stay empty"
ks pdf "$W/two.pdf" -o "$W/n.pdf" --token FD0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
assert_exit 0 ks fields "$W/n.pdf"
assert_contains "$OUT" "3 signature fields"

note "exactly one empty field (its widget a kid, on page 2): the default"
assert_exit 0 ks fields "$W/one.pdf"
grep -Eq "BenA +empty +page 2" <<<"$OUT" || fail "BenA on page 2: $OUT"
ks pdf "$W/one.pdf" -o "$W/o.pdf" --token FD0001 --pin-fd 3 --chain "$W/int.pem" \
  3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/o.pdf" 1
assert_contains "$PDFSIG_OUT" "BenA"
qpdf_ok "$W/o.pdf"
assert_exit 0 ks fields "$W/o.pdf"
assert_contains "$OUT" "1 signature field"
grep -Eq "BenA +signed +page 2" <<<"$OUT" || fail "BenA not signed: $OUT"
pdftoppm -r 36 -gray -f 2 -l 2 "$W/o.pdf" "$W/po" >/dev/null 2>&1
python3 - "$W/po-2.pgm" <<'PY' || fail "no stamp on page 2"
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split())
px = d[3]
ink = sum(1 for y in range(h) for x in range(w)
          if px[y * w + x] < 128 and 30 <= x <= 145 and 45 <= h - 1 - y <= 90)
assert ink > 50, ink
PY
ks verify "$W/o.pdf" --trust "$W/root.pem" >/dev/null || fail "kyso-sign verify: $OUT"
pass
