#!/usr/bin/env bash
# A visible signature: the stamp (signer, organization, time, "Ký bởi /
# Signed by") on a chosen page in a chosen rectangle, in an embedded font
# that covers Vietnamese. pdfsig and qpdf accept the file; pdffonts sees the
# font embedded with a ToUnicode map; poppler's renderer draws ink inside
# the rectangle and nowhere else on that page.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token VS0001 01 rsa:2048 "Nguyễn Văn Ánh"
nss_db
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/two.pdf" -c "showpage showpage" >/dev/null 2>&1

note "stamp on page 2 at (300,50)-(560,130)"
ks pdf "$W/two.pdf" -o "$W/v.pdf" --visible 2,300,50,560,130 --token VS0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/v.pdf" 1
qpdf_ok "$W/v.pdf"
cms_of "$W/v.pdf" 1
openssl_verify_ok
fonts=$(pdffonts -f 2 -l 2 "$W/v.pdf")
assert_contains "$fonts" "DejaVuSans"
echo "$fonts" | grep DejaVuSans | grep -q "CID TrueType *Identity-H *yes yes *yes" \
  || fail "the stamp font is not embedded as a subset with a ToUnicode map: $fonts"
# The subset keeps the stamp small (the whole DejaVu Sans is ~750 KB).
grow=$(( $(stat -c %s "$W/v.pdf") - $(stat -c %s "$W/two.pdf") ))
[ "$grow" -lt 150000 ] || fail "the visible signature added $grow bytes"

note "rendered: ink inside the rectangle only (page 2), none on page 1"
pdftoppm -r 72 -gray "$W/v.pdf" "$W/page" >/dev/null 2>"$W/render.err"
[ ! -s "$W/render.err" ] || fail "poppler complains while rendering: $(cat "$W/render.err")"
gs -q -dNOPAUSE -dBATCH -sDEVICE=nullpage "$W/v.pdf" >"$W/gs.out" 2>&1 || fail "ghostscript: $(cat "$W/gs.out")"
[ ! -s "$W/gs.out" ] || fail "ghostscript complains: $(cat "$W/gs.out")"
python3 - "$W/page-1.pgm" "$W/page-2.pgm" <<'PY' || fail "the stamp is not drawn where it should be"
import sys
def load(p):
    d = open(p, 'rb').read()
    parts = d.split(b'\n', 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]
w, h, px = load(sys.argv[2])
dark_in = dark_out = 0
for y in range(h):
    for x in range(w):
        if px[y * w + x] < 128:
            # PDF y grows upwards; the image's downwards (72 dpi: 1 px = 1 pt)
            py = h - 1 - y
            if 298 <= x <= 562 and 48 <= py <= 132:
                dark_in += 1
            else:
                dark_out += 1
assert dark_in > 200, dark_in
assert dark_out == 0, dark_out
w1, h1, px1 = load(sys.argv[1])
assert min(px1) > 200, "page 1 has ink"
PY

note "custom text with Vietnamese, B-B verify, then an invisible second signature"
ks pdf "$W/two.pdf" -o "$W/t.pdf" --visible 1,50,700,300,760 \
  --stamp-text $'Đã ký số\nCông ty Cổ phần Kyso' --token VS0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/t.pdf" 1
ks pdf "$W/t.pdf" -o "$W/t2.pdf" --token VS0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/t2.pdf" 2
assert_exit 0 ks verify "$W/t2.pdf" --trust "$W/root.pem"

note "bad stamp requests"
assert_exit 1 ks pdf "$W/two.pdf" -o "$W/x.pdf" --visible 3,0,0,100,100 --token VS0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "no such page"
assert_exit 1 ks pdf "$W/two.pdf" -o "$W/x.pdf" --visible 1,100,100,50,50 --token VS0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "rectangle"
assert_exit 2 ks pdf "$W/two.pdf" --visible 1,2,3 --token VS0001 --pin-fd 3 3<<<"$USER_PIN"
assert_exit 1 ks pdf "$W/two.pdf" -o "$W/x.pdf" --visible 1,0,0,100,100 --font /nonexistent.ttf \
  --token VS0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "font"
[ ! -e "$W/x.pdf" ] || fail "an output was left"
pass
