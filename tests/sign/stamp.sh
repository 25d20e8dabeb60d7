#!/usr/bin/env bash
# The visible stamp's design: a check mark in a ring (or the user's
# picture, PNG with transparency or JPEG), "Ký bởi / Signed by", the
# signer and the organisation (once), "Ngày ký / Date" in Vietnam's time
# with its offset when TZ is unset; the text fills the box; on pages
# turned by /Rotate 90/180/270 it reads upright, as on an unturned page.
# Checked by poppler's renderer (pdftoppm), pdfimages, pdfsig and qpdf;
# the text read back through the font's ToUnicode map.
# KYSO_STAMP_PNG=FILE keeps a rendering (docs/img/stamp.png comes from it).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token ST0001 01 rsa:2048 "Nguyễn Văn Ánh"
signing_token ST0002 02 rsa:2048 "Cong ty Kyso"
nss_db
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/blank.pdf" -c "showpage" >/dev/null 2>&1
sign() { ks pdf "$@" --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null; }

# stamp_text FILE: the text of the last widget's appearance, through the
# font's ToUnicode map (glyph -> Unicode), one line per Tj.
stamp_text() {
  python3 - "$1" <<'PY'
import re, sys, zlib
d = open(sys.argv[1], 'rb').read()
objs = {}
for m in re.finditer(rb'(\d+) 0 obj\s*(.*?)endobj', d, re.S):
    objs[int(m.group(1))] = m.group(2)
def stream(body):
    m = re.search(rb'stream\r?\n(.*)\r?\nendstream', body, re.S)
    raw = m.group(1)
    return zlib.decompress(raw) if b'FlateDecode' in body.split(b'stream')[0] else raw
cmap = {}
for body in objs.values():
    if b'beginbfchar' in body:
        for g, u in re.findall(rb'<([0-9A-F]{4})> <([0-9A-F]+)>', stream(body)):
            cmap[g.decode()] = bytes.fromhex(u.decode()).decode('utf-16-be')
for body in objs.values():
    if b'/Subtype /Form' in body or b'/Subtype/Form' in body:
        s = stream(body)
        if b'Tj' not in s:
            continue
        text = s
for h in re.findall(rb'<([0-9A-F]*)> Tj', text):
    h = h.decode()
    print(''.join(cmap.get(h[i:i + 4], '?') for i in range(0, len(h), 4)))
PY
}

# ink FILE.pgm: "x0 y0 x1 y1" of the pixels darker than 250 (the stamp on
# an otherwise blank page), and crop of it into FILE.crop.pgm.
ink() {
  python3 - "$1" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split()); px = d[3]
xs = [x for y in range(h) for x in range(w) if px[y * w + x] < 250]
ys = [y for y in range(h) for x in range(w) if px[y * w + x] < 250]
x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
cw, ch = x1 - x0 + 1, y1 - y0 + 1
crop = bytes(px[(y0 + y) * w + x0 + x] for y in range(ch) for x in range(cw))
open(sys.argv[1] + '.crop', 'wb').write(b'P5\n%d %d\n255\n' % (cw, ch) + crop)
print(x0, y0, x1, y1)
PY
}

note "the default stamp: mark, Ký bởi, signer, organisation, date with +0700 (x509_text_local)"
env -u TZ "$KS" pdf "$W/blank.pdf" -o "$W/s.pdf" --visible 1,300,40,560,140 --token ST0001 \
  --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/s.pdf" 1
qpdf_ok "$W/s.pdf"
t=$(stamp_text "$W/s.pdf")
assert_contains "$t" "Ký bởi / Signed by"
assert_contains "$t" "Nguyễn Văn Ánh"
assert_contains "$t" "Cong ty Kyso"
grep -A1 "^Ngày ký / Date:$" <<<"$t" | grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0700$" \
  || fail "the date is not in Vietnam's time with its offset: $t"
pdftoppm -r 150 -png "$W/s.pdf" "$W/show" >/dev/null 2>&1
[ -z "${KYSO_STAMP_PNG:-}" ] || pdftoppm -r 200 -png -x 823 -y 1940 -W 735 -H 298 "$W/s.pdf" "${KYSO_STAMP_PNG%.png}" -singlefile
pdftoppm -r 72 -gray "$W/s.pdf" "$W/s" >/dev/null 2>&1

note "the text fills the box: ink from top to bottom, not only its upper part"
python3 - "$W/s-1.pgm" <<'PY' || fail "the text does not fill the stamp"
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split()); px = d[3]
# the box is x 300..560, y 40..140 (PDF), 1 px = 1 pt; text: right of the mark
rows = [py for py in range(44, 137) for x in range(400, 556)
        if px[(h - 1 - py) * w + x] < 128]
span = max(rows) - min(rows)
assert span > 60, span
PY
# A green mark left of the text.
pdftoppm -r 72 "$W/s.pdf" "$W/c" >/dev/null 2>&1
python3 - "$W/c-1.ppm" <<'PY' || fail "no check mark"
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split()); px = d[3]
green = sum(1 for py in range(44, 137) for x in range(303, 395)
            if px[3 * ((h - 1 - py) * w + x) + 1] > px[3 * ((h - 1 - py) * w + x)] + 60)
assert green > 150, green
PY

note "an organisation's own certificate: its name printed once"
env -u TZ "$KS" pdf "$W/blank.pdf" -o "$W/o.pdf" --visible 1,300,40,560,140 --token ST0002 \
  --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
t=$(stamp_text "$W/o.pdf")
[ "$(echo "$t" | grep -c "Cong ty Kyso")" = 1 ] || fail "the organisation twice: $t"
note "TZ set: that zone's time and offset"
TZ=UTC "$KS" pdf "$W/blank.pdf" -o "$W/u.pdf" --visible 1,300,40,560,140 --token ST0001 \
  --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
stamp_text "$W/u.pdf" | grep -q "+0000$" || fail "TZ=UTC not used"

note "upright on pages turned by /Rotate 90, 180 and 270"
# The same stamp text on each; the box as the reader sees it is 260 x 100.
text=$'Ký bởi / Signed by:\nNguyễn Văn Ánh\nNgày ký / Date: 2026-12-07 10:00:00 +07:00'
sign "$W/blank.pdf" -o "$W/r0.pdf" --visible 1,300,40,560,140 --stamp-text "$text" --token ST0001
pdftoppm -r 72 -gray "$W/r0.pdf" "$W/r0" >/dev/null 2>&1
ink "$W/r0-1.pgm" >/dev/null
for deg in 90 180 270; do
  qpdf --rotate=+$deg "$W/blank.pdf" "$W/rot$deg.pdf"
  case $deg in
    180) box=1,300,40,560,140 ;;
    *) box=1,300,40,400,300 ;;
  esac
  sign "$W/rot$deg.pdf" -o "$W/r$deg.pdf" --visible "$box" --stamp-text "$text" --token ST0001
  pdfsig_ok "$W/r$deg.pdf" 1
  qpdf_ok "$W/r$deg.pdf"
  pdftoppm -r 72 -gray "$W/r$deg.pdf" "$W/r$deg" >/dev/null 2>&1
  ink "$W/r$deg-1.pgm" >/dev/null
  python3 - "$W/r0-1.pgm.crop" "$W/r$deg-1.pgm.crop" <<'PY' || fail "the stamp on a page turned $deg° is not upright"
import sys
def load(p):
    d = open(p, 'rb').read().split(b'\n', 3)
    w, h = map(int, d[1].split()); return w, h, d[3]
w0, h0, a = load(sys.argv[1]); w1, h1, b = load(sys.argv[2])
assert abs(w0 - w1) <= 2 and abs(h0 - h1) <= 2, (w0, h0, w1, h1)
w, h = min(w0, w1), min(h0, h1)
diff = sum(abs(a[y * w0 + x] - b[y * w1 + x]) for y in range(h) for x in range(w)) / (w * h)
assert diff < 12, diff
PY
done

note "--image: a PNG seal with transparency in place of the mark; a JPEG"
python3 - "$W/seal.png" <<'PY'
import struct, sys, zlib
W = H = 120
rows = []
for y in range(H):
    row = bytearray([0])
    for x in range(W):
        r2 = (x - 60) ** 2 + (y - 60) ** 2
        row += bytes([220, 20, 30, 255]) if 45 ** 2 <= r2 <= 56 ** 2 or r2 <= 20 ** 2 else bytes([0, 0, 0, 0])
    rows.append(bytes(row))
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', W, H, 8, 6, 0, 0, 0)) \
    + chunk(b'IDAT', zlib.compress(b''.join(rows))) + chunk(b'IEND', b'')
open(sys.argv[1], 'wb').write(png)
PY
sign "$W/blank.pdf" -o "$W/i.pdf" --visible 1,300,40,560,140 --image "$W/seal.png" --token ST0001
pdfsig_ok "$W/i.pdf" 1
qpdf_ok "$W/i.pdf"
imgs=$(pdfimages -list "$W/i.pdf")
grep -Eq "image +120 +120 +rgb" <<<"$imgs" || fail "no 120x120 image: $imgs"
grep -Eq "smask +120 +120 +gray" <<<"$imgs" || fail "no soft mask: $imgs"
pdftoppm -r 72 "$W/i.pdf" "$W/i" >/dev/null 2>&1
python3 - "$W/i-1.ppm" <<'PY' || fail "the seal is not drawn (red, where the mark goes; transparent around it)"
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split()); px = d[3]
def at(x, py):
    i = 3 * ((h - 1 - py) * w + x); return px[i], px[i + 1], px[i + 2]
red = sum(1 for py in range(44, 137) for x in range(303, 395)
          if at(x, py)[0] > 150 and at(x, py)[1] < 100)
assert red > 300, red
r, g, b = at(349, 135)          # a corner of the seal's square: transparent
assert g > 200, (r, g, b)
PY
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/pic.pdf" \
  -c "<</PageSize [80 60]>> setpagedevice 0 0.3 0.8 setrgbcolor 0 0 80 60 rectfill showpage" >/dev/null 2>&1
pdftoppm -r 72 -jpeg -singlefile "$W/pic.pdf" "$W/pic"
sign "$W/blank.pdf" -o "$W/j.pdf" --visible 1,300,40,560,140 --image "$W/pic.jpg" --token ST0001
pdfsig_ok "$W/j.pdf" 1
imgs=$(pdfimages -list "$W/j.pdf")
grep -Eq "image +80 +60 +rgb +3 +8 +jpeg" <<<"$imgs" || fail "the JPEG is not embedded as it is: $imgs"
printf 'not an image' > "$W/bad.png"
assert_exit 1 ks pdf "$W/blank.pdf" -o "$W/x.pdf" --visible 1,300,40,560,140 --image "$W/bad.png" \
  --token ST0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "the stamp image is neither PNG nor JPEG"
[ ! -e "$W/x.pdf" ] || fail "output written with a bad image"
pass
