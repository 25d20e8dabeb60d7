#!/usr/bin/env python3
"""doc_ts.py IN OUT TSA_CNF [sha256|sha512]: adds a PAdES document
time-stamp to IN, as B-LTA does: an incremental update with a signature
field whose value is /Type /DocTimeStamp /SubFilter /ETSI.RFC3161, its
/Contents an RFC 3161 token (openssl ts -reply with TSA_CNF) over the
/ByteRange. IN must have an AcroForm with an inline /Fields array (a file
kyso-sign signed)."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pdf_incr import Pdf  # noqa: E402

src, dst, cnf = sys.argv[1:4]
md = sys.argv[4] if len(sys.argv) > 4 else 'sha256'
pdf = Pdf(open(src, 'rb').read())
acro = int(re.search(rb'/AcroForm\s+(\d+)\s+0\s+R', pdf.obj(pdf.root)).group(1))
form = pdf.obj(acro)
field, sig = pdf.new_num(), pdf.new_num()
form2 = re.sub(rb'/Fields\s*\[([^\]]*)\]', lambda m: b'/Fields [' + m.group(1) + b' %d 0 R]' % field, form)
assert form2 != form, 'no inline /Fields'
HOLE = 16384
new = {
    acro: form2,
    field: b'<< /FT /Sig /T (DocTS1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /V %d 0 R >>' % sig,
    sig: b'<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 /ByteRange [0 '
         + b' ' * 32 + b'] /Contents <' + b'0' * HOLE + b'> >>',
}
out, offs = pdf.append(new)
b = out.index(b'/Contents <' + b'0' * 16, offs[sig]) + len(b'/Contents ')
c = b + HOLE + 2
br = out.index(b'/ByteRange [0 ', offs[sig]) + len(b'/ByteRange [0 ')
nums = b'%d %d %d' % (b, c, len(out) - c)
out[br:br + len(nums)] = nums
with tempfile.TemporaryDirectory() as t:
    open(os.path.join(t, 'data'), 'wb').write(bytes(out[:b] + out[c:]))
    subprocess.run(['openssl', 'ts', '-query', '-data', os.path.join(t, 'data'), '-' + md, '-cert',
                    '-out', os.path.join(t, 'q')], check=True, capture_output=True)
    subprocess.run(['openssl', 'ts', '-reply', '-config', cnf, '-queryfile', os.path.join(t, 'q'),
                    '-token_out', '-out', os.path.join(t, 'tok')], check=True, capture_output=True)
    tok = open(os.path.join(t, 'tok'), 'rb').read().hex().encode()
assert len(tok) <= HOLE
out[b + 1:b + 1 + len(tok)] = tok
open(dst, 'wb').write(out)
