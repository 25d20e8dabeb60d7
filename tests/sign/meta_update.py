#!/usr/bin/env python3
"""meta_update.py IN OUT MODE: an incremental update of IN, as an editor or
Acrobat writes when it saves or countersigns: MODE "dates" changes /Info's
ModDate and the XMP stream's dates (a classic xref section with /Prev);
"badxmp" points the catalog's /Metadata at a new stream that is no XMP
(must not pass as metadata); "page" changes the first page's /MediaBox
besides the dates (a content change)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pdf_incr import Pdf, stream  # noqa: E402

src, dst, mode = sys.argv[1:4]
pdf = Pdf(open(src, 'rb').read())
new = {}
body = pdf.obj(pdf.info)
moved = re.sub(rb'/ModDate\s*\([^)]*\)', b'/ModDate (D:20270101120000Z)', body)
assert moved != body, 'no /ModDate'
new[pdf.info] = moved
cat = pdf.obj(pdf.root)
m = int(re.search(rb'/Metadata\s+(\d+)\s+0\s+R', cat).group(1))
head, data = re.match(rb'(.*?)stream\r?\n(.*)\r?\nendstream', pdf.obj(m), re.S).groups()
assert b'/Filter' not in head, 'compressed XMP'
data2 = re.sub(rb'<xmp:ModifyDate>[^<]*<', b'<xmp:ModifyDate>2027-01-01T12:00:00Z<', data)
data2 = re.sub(rb'<xmp:MetadataDate>[^<]*<', b'<xmp:MetadataDate>2027-01-01T12:00:00Z<', data2)
assert data2 != data, 'no xmp:ModifyDate'
if mode == 'badxmp':
    n = pdf.new_num()
    new[n] = stream(data2)
    new[pdf.root] = re.sub(rb'/Metadata\s+\d+\s+0\s+R', b'/Metadata %d 0 R' % n, cat)
else:
    new[m] = stream(data2, b'/Type /Metadata /Subtype /XML')
if mode == 'page':
    pages = int(re.search(rb'/Pages\s+(\d+)\s+0\s+R', cat).group(1))
    kid = int(re.search(rb'/Kids\s*\[\s*(\d+)\s+0\s+R', pdf.obj(pages)).group(1))
    pg = pdf.obj(kid)
    pg2 = re.sub(rb'/MediaBox\s*\[[^\]]*\]', b'/MediaBox [0 0 200 200]', pg)
    assert pg2 != pg, 'no /MediaBox on the page'
    new[kid] = pg2
open(dst, 'wb').write(pdf.append(new)[0])
