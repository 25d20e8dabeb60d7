#!/usr/bin/env python3
"""meta_update.py IN OUT MODE: an incremental update of IN, as an editor or
Acrobat writes when it saves or countersigns: MODE "dates" changes /Info's
ModDate and the XMP stream's dates (a classic xref section with /Prev);
"badxmp" points the catalog's /Metadata at a new stream that is no XMP
(must not pass as metadata); "page" changes the first page's /MediaBox
besides the dates (a content change)."""
import re
import sys

src, dst, mode = sys.argv[1:4]
d = open(src, 'rb').read()
sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
tr = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', d, re.S)[-1]
root = int(re.search(rb'/Root\s+(\d+)\s+0\s+R', tr).group(1))
info = int(re.search(rb'/Info\s+(\d+)\s+0\s+R', tr).group(1))
size = int(re.search(rb'/Size\s+(\d+)', tr).group(1))
ident = re.search(rb'/ID\s*\[[^\]]*\]', tr)


def obj(n):
    return re.findall(rb'(?<![0-9])%d 0 obj(.*?)endobj' % n, d, re.S)[-1]


new = {}
body = obj(info)
moved = re.sub(rb'/ModDate\s*\([^)]*\)', b'/ModDate (D:20270101120000Z)', body)
assert moved != body, 'no /ModDate'
new[info] = moved
cat = obj(root)
m = int(re.search(rb'/Metadata\s+(\d+)\s+0\s+R', cat).group(1))
xm = obj(m)
head, data = re.match(rb'(.*?)stream\r?\n(.*)\r?\nendstream', xm, re.S).groups()
assert b'/Filter' not in head, 'compressed XMP'
data2 = re.sub(rb'<xmp:ModifyDate>[^<]*<', b'<xmp:ModifyDate>2027-01-01T12:00:00Z<', data)
data2 = re.sub(rb'<xmp:MetadataDate>[^<]*<', b'<xmp:MetadataDate>2027-01-01T12:00:00Z<', data2)
assert data2 != data, 'no xmp:ModifyDate'
xmp = b'<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream' % (len(data2), data2)
if mode == 'badxmp':
    new[size] = b'<< /Length %d >>\nstream\n%s\nendstream' % (len(data2), data2)
    new[root] = re.sub(rb'/Metadata\s+\d+\s+0\s+R', b'/Metadata %d 0 R' % size, cat)
    size += 1
else:
    new[m] = xmp
if mode == 'page':
    pages = int(re.search(rb'/Pages\s+(\d+)\s+0\s+R', cat).group(1))
    kid = int(re.search(rb'/Kids\s*\[\s*(\d+)\s+0\s+R', obj(pages)).group(1))
    pg = obj(kid)
    pg2 = re.sub(rb'/MediaBox\s*\[[^\]]*\]', b'/MediaBox [0 0 200 200]', pg)
    assert pg2 != pg, 'no /MediaBox on the page'
    new[kid] = pg2

out = bytearray(d)
if not out.endswith(b'\n'):
    out += b'\n'
offs = {}
for n in sorted(new):
    offs[n] = len(out)
    out += b'%d 0 obj\n' % n + new[n].strip() + b'\nendobj\n'
xref = len(out)
out += b'xref\n0 1\n0000000000 65535 f \n'
for n in sorted(offs):
    out += b'%d 1\n%010d 00000 n \n' % (n, offs[n])
out += b'trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d %s >>\nstartxref\n%d\n%%%%EOF\n' % (
    size, root, info, sx, ident.group(0) if ident else b'', xref)
open(dst, 'wb').write(out)
