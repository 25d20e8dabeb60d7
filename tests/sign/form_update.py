#!/usr/bin/env python3
"""form_update.py MODE ...: a form and the updates a certification may or
may not permit after it.
  make OUT [--lock DICT] [--readonly]
                    a one-page PDF with a text field "HoTen" (field and
                    widget in one object), classic xref; with --lock also
                    an empty signature field "KyTen" whose /Lock is DICT
                    (a SigFieldLock), with --readonly HoTen read-only
  fill IN OUT       fill HoTen: its /V and a new appearance stream
  rect IN OUT       fill HoTen and move it (/Rect): not mere filling
  annot IN OUT      a sticky-note (/Text) annotation on the first page
Updates are incremental (an xref section with /Prev)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pdf_incr import stream, Pdf  # noqa: E402


def write_pdf(objs):
    out = bytearray(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b'%d 0 obj\n' % i + o + b'\nendobj\n'
    x = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for off in offs:
        out += b'%010d 00000 n \n' % off
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, x)
    return out


mode = sys.argv[1]
if mode == 'make':
    args = sys.argv[3:]
    lock = args[args.index('--lock') + 1].encode() if '--lock' in args else None
    ff = b' /Ff 1' if '--readonly' in args else b''
    content = b'BT /F1 18 Tf 72 720 Td (Ho ten:) Tj ET'
    objs = [
        b'<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /DA (/Helv 12 Tf 0 g) >> >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R '
        b'/Resources << /Font << /F1 6 0 R >> >> /Annots [5 0 R] >>',
        stream(content),
        b'<< /FT /Tx /T (HoTen) /Type /Annot /Subtype /Widget /Rect [160 712 400 736] /P 3 0 R '
        b'/F 4 /DA (/Helv 12 Tf 0 g) /AP << /N 7 0 R >>%s >>' % ff,
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        stream(b'', b'/Type /XObject /Subtype /Form /BBox [0 0 240 24]'),
    ]
    if lock is not None:
        objs[0] = objs[0].replace(b'/Fields [5 0 R]', b'/Fields [5 0 R 8 0 R]')
        objs[2] = objs[2].replace(b'/Annots [5 0 R]', b'/Annots [5 0 R 8 0 R]')
        objs.append(b'<< /FT /Sig /T (KyTen) /Type /Annot /Subtype /Widget /Rect [300 560 520 640] '
                    b'/P 3 0 R /F 4 /Lock ' + lock + b' >>')
    open(sys.argv[2], 'wb').write(write_pdf(objs))
    sys.exit(0)

src, dst = sys.argv[2:4]
pdf = Pdf(open(src, 'rb').read())
new = {}
if mode in ('fill', 'rect'):
    ap = pdf.new_num()
    new[ap] = stream(b'/Tx BMC BT /Helv 12 Tf 0 g 2 6 Td (Nguyen Van B) Tj ET EMC',
                     b'/Type /XObject /Subtype /Form /BBox [0 0 240 24] '
                     b'/Resources << /Font << /Helv << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>')
    f = pdf.obj(5)
    f = re.sub(rb'/AP\s*<<\s*/N\s+\d+\s+0\s+R\s*>>', b'/AP << /N %d 0 R >> /V (Nguyen Van B)' % ap, f)
    if mode == 'rect':
        f = f.replace(b'/Rect [160 712 400 736]', b'/Rect [160 100 400 124]')
    new[5] = f
elif mode == 'annot':
    note = pdf.new_num()
    new[note] = b'<< /Type /Annot /Subtype /Text /Rect [500 780 520 800] /Contents (Xem lai dieu 3) /F 4 >>'
    page = pdf.obj(3)
    page2 = re.sub(rb'/Annots\s*\[([^\]]*)\]', lambda m: b'/Annots [' + m.group(1) + b' %d 0 R]' % note, page)
    assert page2 != page, 'no inline /Annots'
    new[3] = page2
else:
    sys.exit('unknown mode ' + mode)
open(dst, 'wb').write(pdf.append(new)[0])
