#!/usr/bin/env python3
"""A contract with empty signature fields prepared for its signers, as a
contract platform or Acrobat leaves them: prepared_pdf.py OUT [KIND]

KIND: two  -- "BenA" and "BenB", each one object (field and widget merged),
              on page 1, BenB's name a UTF-16 text string ("Bên B"
              is its /TU), BenA with no /P (found through /Annots)
      one  -- a single field "BenA" whose widget is its kid, on page 2
      rot  -- one field "BenA" on a page with /Rotate 90
      need -- "two"'s boxes and a text field, the form with /NeedAppearances
"""
import sys, zlib

out = sys.argv[1]
kind = sys.argv[2] if len(sys.argv) > 2 else "two"

objs = {}
def put(n, body):
    objs[n] = body

content = (b"BT /F1 14 Tf 72 760 Td (HOP DONG MUA BAN) Tj ET\n"
           b"0.5 w 60 90 230 90 re S 320 90 230 90 re S\n"
           b"BT /F1 10 Tf 62 185 Td (Ben A) Tj 260 0 Td (Ben B) Tj ET\n")
put(1, b"<</Type/Catalog/Pages 2 0 R/AcroForm 8 0 R>>")
put(4, b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream")
put(5, b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>")
res = b"/Resources<</Font<</F1 5 0 R>>>>"
if kind == "two":
    put(2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>")
    put(3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]" + res +
        b"/Contents 4 0 R/Annots[6 0 R 7 0 R]>>")
    put(6, b"<</Type/Annot/Subtype/Widget/FT/Sig/T(BenA)/Rect[60 90 290 180]/F 4>>")
    put(7, b"<</Type/Annot/Subtype/Widget/FT/Sig/T(BenB)/TU<FEFF00420065006E00200042>"
        b"/Rect[550.0 180.5 320 90]/F 4/P 3 0 R>>")
    put(8, b"<</Fields[6 0 R 7 0 R]>>")
elif kind == "need":
    # A form that asks viewers to redraw its fields: a text field with its
    # appearance, and the two empty signature boxes.
    put(2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>")
    put(3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]" + res +
        b"/Contents 4 0 R/Annots[6 0 R 7 0 R 9 0 R]>>")
    put(6, b"<</Type/Annot/Subtype/Widget/FT/Sig/T(BenA)/Rect[60 90 290 180]/F 4/P 3 0 R>>")
    put(7, b"<</Type/Annot/Subtype/Widget/FT/Sig/T(BenB)/Rect[320 90 550 180]/F 4/P 3 0 R>>")
    ap = b"/Tx BMC EMC"
    put(10, b"<</Type/XObject/Subtype/Form/BBox[0 0 200 20]/Length %d>>stream\n" % len(ap) + ap + b"\nendstream")
    put(9, b"<</Type/Annot/Subtype/Widget/FT/Tx/T(SoHD)/Rect[60 700 260 720]/F 4/P 3 0 R/AP<</N 10 0 R>>>>")
    put(8, b"<</Fields[6 0 R 7 0 R 9 0 R]/NeedAppearances true>>")
elif kind == "one":
    put(2, b"<</Type/Pages/Kids[3 0 R 10 0 R]/Count 2>>")
    put(3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]" + res +
        b"/Contents 4 0 R>>")
    put(10, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]" + res +
        b"/Contents 4 0 R/Annots[7 0 R]>>")
    put(6, b"<</FT/Sig/T(BenA)/Kids[7 0 R]>>")
    put(7, b"<</Type/Annot/Subtype/Widget/Parent 6 0 R/Rect[60 90 290 180]/F 4/P 10 0 R>>")
    put(8, b"<</Fields[6 0 R]>>")
elif kind == "rot":
    put(2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>")
    put(3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Rotate 90" + res +
        b"/Contents 4 0 R/Annots[6 0 R]>>")
    put(6, b"<</Type/Annot/Subtype/Widget/FT/Sig/T(BenA)/Rect[60 90 150 320]/F 4/P 3 0 R>>")
    put(8, b"<</Fields[6 0 R]>>")

with open(out, "wb") as f:
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offs = {}
    for n in sorted(objs):
        offs[n] = len(data)
        data += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    size = max(objs) + 1
    xref = len(data)
    data += b"xref\n0 %d\n" % size
    for n in range(size):
        data += (b"%010d 00000 n \n" % offs[n]) if n in offs else b"0000000000 65535 f \n"
    data += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    f.write(data)
