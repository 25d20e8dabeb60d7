#!/usr/bin/env bash
# PDFs written by LibreOffice (headless Writer export): a contract and a
# form with fields (an AcroForm LibreOffice made). Signed twice; pdfsig and
# qpdf accept every output; the form keeps its fields beside ours; the text
# is unchanged.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

command -v soffice >/dev/null || fail "soffice is missing (scripts/deps.sh installs libreoffice-writer-nogui)"
make_pki
signing_token LO0001 01 rsa:2048 "Nguyễn Thị Lan"
nss_db

cat > "$W/hopdong.html" <<'HTML'
<html><head><meta charset="utf-8"><title>Hợp đồng</title></head><body>
<h1>HỢP ĐỒNG MUA BÁN</h1><p>Bên A: Công ty TNHH Kyso. Bên B: Nguyễn Văn A.</p>
<p>Điều 1. Giá trị hợp đồng: 1.100.000 đồng.</p></body></html>
HTML
cat > "$W/tokhai.html" <<'HTML'
<html><head><meta charset="utf-8"></head><body><h1>Tờ khai hải quan</h1><form>
<p>Họ tên: <input type="text" name="hoten" value="Nguyễn Văn A"></p>
<p>Đồng ý: <input type="checkbox" name="dongy" checked></p></form></body></html>
HTML
lo() {
  soffice -env:UserInstallation="file://$W/lo-profile" --headless \
    --convert-to pdf:writer_pdf_Export --outdir "$W" "$@" >/dev/null 2>&1
}
lo "$W/hopdong.html" "$W/tokhai.html"
[ -s "$W/hopdong.pdf" ] && [ -s "$W/tokhai.pdf" ] || fail "LibreOffice made no PDF"
grep -aq "/AcroForm" "$W/tokhai.pdf" || fail "LibreOffice's form has no AcroForm"

for f in hopdong tokhai; do
  note "$f.pdf: two signatures"
  ks pdf "$W/$f.pdf" -o "$W/$f-1.pdf" --token LO0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
  ks pdf "$W/$f-1.pdf" -o "$W/$f-2.pdf" --visible 1,350,40,560,110 --token LO0001 --pin-fd 3 \
    --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
  pdfsig_ok "$W/$f-1.pdf" 1
  pdfsig_ok "$W/$f-2.pdf" 2
  qpdf_ok "$W/$f-2.pdf"
  cms_of "$W/$f-2.pdf" 2
  openssl_verify_ok
  assert_exit 0 ks verify "$W/$f-2.pdf" --trust "$W/root.pem"
  # The page text is kept; the visible stamp's text comes on top of it.
  # (For the form, poppler's text of the field values depends on whether
  # it redraws widgets, which /NeedAppearances decides: page text only.)
  [ "$(pdftotext "$W/$f.pdf" -)" = "$(pdftotext "$W/$f-1.pdf" -)" ] || fail "$f: the text changed"
  t2=$(pdftotext "$W/$f-2.pdf" -)
  if [ "$f" = hopdong ]; then
    while IFS= read -r line; do
      [ -z "$line" ] || assert_contains "$t2" "$line" "$f: a line of text is gone"
    done < <(pdftotext "$W/$f.pdf" - | tr -d '\f')
  else
    assert_contains "$t2" "Họ tên:"
    assert_contains "$t2" "Đồng ý:"
  fi
  # The stamp is drawn (a form's /NeedAppearances would have poppler redraw
  # every widget and lose it: kyso-sign drops the flag when all fields
  # have their appearances).
  pdftoppm -r 72 -gray -f 1 -l 1 "$W/$f-2.pdf" "$W/r-$f" 2>/dev/null
  python3 - "$W/r-$f-1.pgm" <<'PY' || fail "$f: the stamp is not drawn"
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split()); px = d[3]
ink = sum(1 for y in range(h) for x in range(w)
          if px[y * w + x] < 128 and 40 <= h - 1 - y <= 110 and 350 <= x <= 560)
assert ink > 200, ink
PY
done

note "the form keeps LibreOffice's fields beside our two"
python3 - "$W/tokhai-2.pdf" <<'PY' || fail "form fields lost"
import re, sys
d = open(sys.argv[1], 'rb').read()
fields = re.findall(rb'/Fields\s*\[([^\]]*)\]', d)[-1]
refs = re.findall(rb'(\d+)\s+0\s+R', fields)
assert len(refs) == 4, refs
names = set(re.findall(rb'/T\s*\(([^)]*)\)', d))
assert {b'hoten', b'dongy', b'Signature1', b'Signature2'} <= names, names
acro = re.findall(rb'/AcroForm\s*<<(.*?)>>', d, re.S)[-1]
assert b'NeedAppearances' not in acro, acro
PY
pass
