#!/usr/bin/env bash
# Shadow attacks on a signed PDF: a later revision that looks like one more
# signature (a signature field whose /ByteRange ends where the revision
# ends) but also brings an overlay annotation ("PAID IN FULL" over the
# signed page), or a new content stream for the page. kyso-sign verify must
# call the first signature's document changed; the same revision with only
# the signature field is "only later signatures" (so the forged revision
# does pass for a signature, and the test can fail).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token SW0001 01 rsa:2048 "Nguyen Van Ky"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/doc.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hoa don 0042: 9.500.000 VND) show showpage" \
  >/dev/null 2>&1
ks pdf "$W/doc.pdf" -o "$W/signed.pdf" --token SW0001 --pin-fd 3 --chain "$W/int.pem" \
  3<<<"$USER_PIN" >/dev/null || fail "signing"

# forge SIGNED MODE OUT: MODE plain (a signature field only), overlay (and
# a FreeText annotation on the page), ftoverlay (the same FreeText with
# /FT /Sig written in), content (and a content stream), needapp (and the
# AcroForm's /NeedAppearances set, so viewers redraw filled-in fields).
forge() {
  python3 - "$@" <<'PY'
import re, sys
src, mode, dst = sys.argv[1:4]
d = open(src, 'rb').read()
def last_obj(num):
    return list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(<<.*?>>)\s*endobj' % num, d, re.S))[-1].group(1)
start = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
trailer = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', d, re.S)[-1]
root = int(re.search(rb'/Root\s+(\d+)\s+0\s+R', trailer).group(1))
size = int(re.search(rb'/Size\s+(\d+)', trailer).group(1))
cat = last_obj(root)
acro = int(re.search(rb'/AcroForm\s+(\d+)\s+0\s+R', cat).group(1))
pages = int(re.search(rb'/Pages\s+(\d+)\s+0\s+R', cat).group(1))
page = int(re.search(rb'/Kids\s*\[\s*(\d+)\s+0\s+R', last_obj(pages)).group(1))
sig, wid, extra = size, size + 1, size + 2
pg, af = last_obj(page), last_obj(acro)
annots = b'%d 0 R' % wid + (b' %d 0 R' % extra if mode in ('overlay', 'ftoverlay') else b'')
pg, n = re.subn(rb'/Annots\s*\[([^\]]*)\]', lambda m: b'/Annots [' + m.group(1) + b' ' + annots + b']', pg)
assert n == 1, pg
if mode == 'content':
    pg, n = re.subn(rb'/Contents\s+(\d+)\s+0\s+R', lambda m: b'/Contents [' + m.group(1) + b' 0 R %d 0 R]' % extra, pg)
    assert n == 1, pg
af, n = re.subn(rb'/Fields\s*\[([^\]]*)\]', lambda m: b'/Fields [' + m.group(1) + b' %d 0 R]' % wid, af)
assert n == 1, af
if mode == 'needapp':
    af = af[:-2] + b'/NeedAppearances true>>'

objs = [(wid, b'<</Type/Annot/Subtype/Widget/FT/Sig/T(Shadow)/V %d 0 R/F 132/P %d 0 R/Rect[0 0 0 0]>>' % (sig, page))]
if mode in ('overlay', 'ftoverlay'):
    objs.append((extra, b'<</Type/Annot/Subtype/FreeText' + (b'/FT/Sig' if mode == 'ftoverlay' else b'') +
                 b'/Rect[60 640 560 760]/Contents(PAID IN FULL)/DA(/Helv 36 Tf 1 0 0 rg)>>'))
if mode == 'content':
    s = b'BT /F1 36 Tf 60 640 Td (PAID IN FULL) Tj ET'
    objs.append((extra, b'<</Length %d>>\nstream\n' % len(s) + s + b'\nendstream'))
objs += [(page, pg), (acro, af)]
out = bytearray(d if d.endswith(b'\n') else d + b'\n')
offs = {}
for num, text in objs:
    offs[num] = len(out)
    out += b'%d 0 obj\n' % num + text + b'\nendobj\n'
offs[sig] = len(out)
head = b'%d 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[' % sig
out += head
br_at = len(out)
out += b'0 %010d %010d %010d]/Contents' % (0, 0, 0)
hole_at = len(out)
hole = b'<' + b'0' * 2048 + b'>'
out += hole + b'>>\nendobj\n'
xref = len(out)
out += b'xref\n'
for num in sorted(offs):
    out += b'%d 1\n%010d 00000 n \n' % (num, offs[num])
out += b'trailer\n<</Size %d/Root %d 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n' % (
    max(max(offs) + 1, size), root, start, xref)
b = hole_at + len(hole)
patch = b'0 %010d %010d %010d' % (hole_at, b, len(out) - b)
out[br_at:br_at + len(patch)] = patch
open(dst, 'wb').write(out)
PY
}

# first_sig_changes FILE: changes_after of the first signature.
first_sig_changes() {
  ks verify "$1" --json > "$W/v.json" || true
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["signatures"][0]["changes_after"])' "$W/v.json"
}

note "the control: a later revision with only a signature field"
forge "$W/signed.pdf" plain "$W/plain.pdf" || fail "forging"
qpdf_ok "$W/plain.pdf"
assert_eq "$(first_sig_changes "$W/plain.pdf")" "later-signatures-only"

note "a later 'signature' that brings an overlay annotation"
forge "$W/signed.pdf" overlay "$W/overlay.pdf" || fail "forging"
qpdf_ok "$W/overlay.pdf"
assert_eq "$(first_sig_changes "$W/overlay.pdf")" "content-changed"
assert_exit 1 ks verify "$W/overlay.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "CONTENT CHANGED after signing"

note "the same overlay with /FT /Sig written into it"
forge "$W/signed.pdf" ftoverlay "$W/ftoverlay.pdf" || fail "forging"
qpdf_ok "$W/ftoverlay.pdf"
assert_eq "$(first_sig_changes "$W/ftoverlay.pdf")" "content-changed"

note "a later 'signature' that sets /NeedAppearances"
forge "$W/signed.pdf" needapp "$W/needapp.pdf" || fail "forging"
qpdf_ok "$W/needapp.pdf"
assert_eq "$(first_sig_changes "$W/needapp.pdf")" "content-changed"

note "a later 'signature' that brings a content stream for the page"
forge "$W/signed.pdf" content "$W/content.pdf" || fail "forging"
qpdf_ok "$W/content.pdf"
assert_eq "$(first_sig_changes "$W/content.pdf")" "content-changed"
# rev.py: appending an incremental update by hand.
cat > "$W/rev.py" <<'PY'
import re
def info(d):
    start = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
    trailer = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', d, re.S)[-1]
    root = int(re.search(rb'/Root\s+(\d+)\s+0\s+R', trailer).group(1))
    size = int(re.search(rb'/Size\s+(\d+)', trailer).group(1))
    return start, root, size
def obj(d, num):
    return list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(<<.*?>>)\s*endobj' % num, d, re.S))[-1].group(1)
def page_of(d, root):
    pages = int(re.search(rb'/Pages\s+(\d+)\s+0\s+R', obj(d, root)).group(1))
    return int(re.search(rb'/Kids\s*\[\s*(\d+)\s+0\s+R', obj(d, pages)).group(1))
def append(d, objs, root, size, prev, eof=True):
    out = bytearray(d if d.endswith(b'\n') else d + b'\n')
    offs = {}
    for num, text in objs:
        if text is None:          # marked free
            offs[num] = None
            continue
        offs[num] = len(out)
        out += b'%d 0 obj\n' % num + text + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n'
    for num in sorted(offs):
        if offs[num] is None:
            out += b'%d 1\n0000000000 00001 f \n' % num
        else:
            out += b'%d 1\n%010d 00000 n \n' % (num, offs[num])
    out += b'trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n' % (size, root, prev)
    if eof:
        out += b'startxref\n%d\n%%%%EOF\n' % xref
    return bytes(out), xref
PY
# prep MODE IN OUT: before signing. orphan: a second catalog nothing uses;
# dangling: the page's /Annots names object 900, which is not defined.
prep() {
  python3 - "$@" <<'PY'
import sys; sys.path.insert(0, sys.argv[4])
from rev import *
mode, src, dst = sys.argv[1:4]
d = open(src, 'rb').read()
start, root, size = info(d)
if mode == 'orphan':
    out, _ = append(d, [(size, obj(d, root))], root, size + 1, start)
else:
    page = page_of(d, root)
    pg = obj(d, page)
    out, _ = append(d, [(page, pg[:-2] + b'/Annots[900 0 R]>>')], root, size, start)
open(dst, 'wb').write(out)
PY
}
# dss MODE IN OUT: after signing, a revision that adds a DSS; orphan: as
# the orphan catalog, made the root; dangling: and object 900, an
# overlay; free: and the page's content stream marked free; twosections: a first section (no %%EOF) that gives the page a
# second content stream, then the DSS in a second one.
dss() {
  python3 - "$@" <<'PY'
import sys; sys.path.insert(0, sys.argv[4])
from rev import *
mode, src, dst = sys.argv[1:4]
d = open(src, 'rb').read()
start, root, size = info(d)
cat = obj(d, root)
n = size
objs, prev = [], start
if mode == 'twosections':
    page = page_of(d, root)
    text = b'BT /F1 36 Tf 60 640 Td (PAID IN FULL) Tj ET'
    pg = re.sub(rb'/Contents\s+(\d+)\s+0\s+R', lambda m: b'/Contents [' + m.group(1) + b' 0 R %d 0 R]' % n, obj(d, page))
    d, prev = append(d, [(n, b'<</Length %d>>\nstream\n' % len(text) + text + b'\nendstream'), (page, pg)],
                     root, n + 1, start, eof=False)
    n += 1
if mode == 'orphan':
    # The orphan, with the signed form (an /AcroForm change is allowed).
    acro = re.search(rb'/AcroForm\s*\d+\s+0\s+R', cat).group(0)
    cands = [int(x) for x in re.findall(rb'(?<![0-9])(\d+) 0 obj\s*<</Type /Catalog', d)]
    root = [c for c in cands if c != info(d)[1]][0]
    cat = obj(d, root)[:-2] + b' ' + acro + b'>>'
if mode == 'free':
    page = page_of(d, root)
    content = int(re.search(rb'/Contents\s+(\d+)\s+0\s+R', obj(d, page)).group(1))
    objs.append((content, None))
if mode == 'dangling':
    objs.append((900, b'<</Type/Annot/Subtype/FreeText/Rect[60 640 560 760]/Contents(PAID IN FULL)/DA(/Helv 36 Tf 1 0 0 rg)>>'))
objs += [(n, b'<< /Type /DSS >>'), (root, cat[:-2] + b' /DSS %d 0 R>>' % n)]
out, _ = append(d, objs, root, max(n + 1, 901 if mode == 'dangling' else 0), prev)
open(dst, 'wb').write(out)
PY
}

note "the control: a later revision with only a DSS"
dss plain "$W/signed.pdf" "$W/dss.pdf" "$W" || fail "forging"
qpdf_ok "$W/dss.pdf"
assert_eq "$(first_sig_changes "$W/dss.pdf")" "validation-data-only"

note "a DSS revision that switches to an orphan catalog the signed file carried"
prep orphan "$W/doc.pdf" "$W/orphan0.pdf" "$W" || fail "preparing"
ks pdf "$W/orphan0.pdf" -o "$W/orphan1.pdf" --token SW0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
dss orphan "$W/orphan1.pdf" "$W/orphan2.pdf" "$W" || fail "forging"
qpdf_ok "$W/orphan2.pdf"
assert_eq "$(first_sig_changes "$W/orphan2.pdf")" "content-changed"

note "a DSS revision that defines an object the signed file named without defining"
prep dangling "$W/doc.pdf" "$W/dangling0.pdf" "$W" || fail "preparing"
ks pdf "$W/dangling0.pdf" -o "$W/dangling1.pdf" --token SW0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
dss plain "$W/dangling1.pdf" "$W/dangling-ok.pdf" "$W" || fail "forging"
assert_eq "$(first_sig_changes "$W/dangling-ok.pdf")" "validation-data-only"
dss dangling "$W/dangling1.pdf" "$W/dangling2.pdf" "$W" || fail "forging"
assert_eq "$(first_sig_changes "$W/dangling2.pdf")" "content-changed"

note "a DSS revision that marks the page's content stream free"
dss free "$W/signed.pdf" "$W/freed.pdf" "$W" || fail "forging"
assert_eq "$(first_sig_changes "$W/freed.pdf")" "content-changed"

note "a DSS revision with a change hidden in a first, unterminated xref section"
dss twosections "$W/signed.pdf" "$W/two.pdf" "$W" || fail "forging"
qpdf_ok "$W/two.pdf"
assert_eq "$(first_sig_changes "$W/two.pdf")" "content-changed"
pass
