#!/usr/bin/env python3
"""A contract with two empty signature fields, "BenA" and "BenB",
encrypted with RC4 40-bit (revision 2) and an owner password only, whose
encrypted strings are literal strings (as iText and others write them;
qpdf writes hex): rc4_literal_pdf.py OUT

Written by hand (ISO 32000-1 7.6.3, algorithms 1, 2, 3 and 4) so that the
file is not one of qpdf's."""
import hashlib, sys

PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")

def rc4(key, data):
    s = list(range(256)); j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 255
        s[i], s[j] = s[j], s[i]
    out = bytearray(); i = j = 0
    for c in data:
        i = (i + 1) & 255; j = (j + s[i]) & 255
        s[i], s[j] = s[j], s[i]
        out.append(c ^ s[(s[i] + s[j]) & 255])
    return bytes(out)

owner = b"owner-pw"
P = -4  # everything allowed
ID0 = hashlib.md5(b"kyso rc4 literal test").digest()
O = rc4(hashlib.md5((owner + PAD)[:32]).digest()[:5], PAD)         # algorithm 3
key = hashlib.md5(PAD + O + (P & 0xffffffff).to_bytes(4, "little") + ID0).digest()[:5]
U = rc4(key, PAD)                                                  # algorithm 4

def objkey(num):
    return hashlib.md5(key + num.to_bytes(3, "little") + b"\0\0").digest()[:10]

def lit(num, s):
    """s encrypted for object num, as a literal string."""
    out = bytearray(b"(")
    for c in rc4(objkey(num), s):
        if c in b"()\\":
            out += b"\\" + bytes([c])
        elif 32 <= c < 127:
            out.append(c)
        else:
            out += b"\\%03o" % c
    return bytes(out + b")")

content = b"BT /F1 14 Tf 72 760 Td (HOP DONG) Tj ET\n0.5 w 60 90 230 90 re S 320 90 230 90 re S\n"
objs = {
    1: b"<</Type/Catalog/Pages 2 0 R/AcroForm 6 0 R>>",
    2: b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    3: b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
       b"/Resources<</Font<</F1 8 0 R>>>>/Annots[5 0 R 7 0 R]>>",
    4: b"<</Length %d>>stream\n" % len(content) + rc4(objkey(4), content) + b"\nendstream",
    5: b"<</Type/Annot/Subtype/Widget/FT/Sig/T" + lit(5, b"BenA") + b"/TU" + lit(5, b"Ben A (sign here)")
       + b"/Rect[60 90 290 180]/F 4/P 3 0 R>>",
    6: b"<</Fields[5 0 R 7 0 R]/DA" + lit(6, b"/Helv 0 Tf 0 g") + b">>",
    7: b"<</Type/Annot/Subtype/Widget/FT/Sig/T" + lit(7, b"BenB") + b"/TU" + lit(7, b"Ben B (sign here)")
       + b"/Rect[320 90 550 180]/F 4/P 3 0 R>>",
    8: b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    9: b"<</Filter/Standard/V 1/R 2/Length 40/P %d/O<%s>/U<%s>>>" % (P, O.hex().encode(), U.hex().encode()),
}
out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
offs = {}
for n in sorted(objs):
    offs[n] = len(out)
    out += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for n in sorted(objs):
    out += b"%010d 00000 n \n" % offs[n]
out += (b"trailer\n<</Size %d/Root 1 0 R/Encrypt 9 0 R/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objs) + 1, ID0.hex().encode(), ID0.hex().encode(), x))
open(sys.argv[1], "wb").write(out)
