#!/usr/bin/env python3
"""The hand-made cases of the generated PDF set (gen_corpus.bash calls it).

    handmade.py OUTDIR QDF OBJSTM

QDF is a qpdf --qdf file (a classic xref table, one object a line group),
OBJSTM the same document with object streams and an xref stream. Every
case is written from them or from nothing, byte by byte, so it is the same
on every run; expect.txt beside this file says what the tests want of each.
"""
import os
import re
import sys

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def entries_table(entries):
    """A classic table: entries is {num: (offset, gen, b'n' or b'f')}."""
    out, nums = b"xref\n", sorted(entries)
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out += b"%d %d\n" % (nums[i], j - i + 1)
        for n in nums[i:j + 1]:
            off, gen, kind = entries[n]
            out += b"%010d %05d %s \n" % (off, gen, kind)
        i = j + 1
    return out


def xref_stream(num, entries, trailer):
    """An uncompressed xref stream object numbered num; entries is
    {num: (type, field2, field3)} with /W [1 4 2]."""
    nums = sorted(entries)
    index = b" ".join(b"%d 1" % n for n in nums)
    data = b"".join(bytes([t]) + f2.to_bytes(4, "big") + f3.to_bytes(2, "big")
                    for t, f2, f3 in (entries[n] for n in nums))
    return (b"%d 0 obj\n<</Type/XRef/W[1 4 2]/Index[%s]%s/Length %d>>\nstream\n"
            % (num, index, trailer, len(data)) + data + b"\nendstream\nendobj\n")


def last_startxref(d):
    return int(re.findall(rb"startxref\s+(\d+)", d)[-1])


def trailer_value(d, key):
    return re.findall(rb"/" + key + rb"\s+(\d+ \d+ R|\d+)", d)[-1]


def update(d, num, body, table=True):
    """d with one incremental update appended: object num rewritten as
    body, in a classic table (or an xref stream numbered /Size)."""
    size = int(trailer_value(d, b"Size"))
    root = trailer_value(d, b"Root")
    prev = last_startxref(d)
    out = d + (b"" if d.endswith(b"\n") else b"\n")
    off = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    x = len(out)
    if table:
        out += entries_table({num: (off, 0, b"n")})
        out += b"trailer\n<</Size %d/Root %s/Prev %d>>\n" % (size, root, prev)
    else:
        out += xref_stream(size, {num: (1, off, 0), size: (1, x, 0)},
                           b"/Size %d/Root %s/Prev %d" % (size + 1, root, prev))
    return out + b"startxref\n%d\n%%%%EOF\n" % x


def hybrid():
    """A hybrid-reference file (PDF 1.5, 7.5.8.4): a classic table for old
    readers, and through the trailer's /XRefStm an xref stream holding the
    font, which lives in an object stream; the table marks it free."""
    d = bytearray(HEADER)
    offs = {}

    def obj(n, body):
        offs[n] = len(d)
        d.extend(b"%d 0 obj\n%s\nendobj\n" % (n, body))

    content = b"BT /F1 24 Tf 72 720 Td (Hybrid reference) Tj ET"
    obj(1, b"<</Type/Catalog/Pages 2 0 R>>")
    obj(2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>")
    obj(3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]"
           b"/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>")
    obj(4, b"<</Length %d>>\nstream\n%s\nendstream" % (len(content), content))
    font = b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"
    obj(6, b"<</Type/ObjStm/N 1/First 4/Length %d>>\nstream\n5 0 %s\nendstream"
        % (4 + len(font), font))
    offs[7] = len(d)
    d.extend(xref_stream(7, {5: (2, 6, 0), 7: (1, offs[7], 0)}, b"/Size 8"))
    x = len(d)
    ent = {n: (offs[n], 0, b"n") for n in (1, 2, 3, 4, 6, 7)}
    ent[0] = (0, 65535, b"f")
    ent[5] = (0, 0, b"f")
    d.extend(entries_table(ent))
    d.extend(b"trailer\n<</Size 8/Root 1 0 R/XRefStm %d>>\nstartxref\n%d\n%%%%EOF\n"
             % (offs[7], x))
    return bytes(d)


def table_span(d):
    """Start of the last 'xref' keyword and of the 'trailer' after it."""
    x = last_startxref(d)
    assert d[x:x + 4] == b"xref"
    return x, d.index(b"trailer", x)


def set_entry(d, num, off):
    """d with the classic table entry of object num (first subsection
    starting at 0) pointing at off instead."""
    x, _ = table_span(d)
    at = d.index(b"\n", d.index(b"\n", x) + 1) + 1 + 20 * num
    return d[:at] + b"%010d" % off + d[at + 10:]


def obj_with(d, text):
    """The number of the object in which text first appears."""
    heads = list(re.finditer(rb"\n(\d+) 0 obj", d[:d.index(text)]))
    return int(heads[-1].group(1))


def obj_offset(d, num):
    return d.index(b"\n%d 0 obj" % num) + 1


def main():
    out, qdf, objstm = sys.argv[1], sys.argv[2], sys.argv[3]
    q = open(qdf, "rb").read()
    s = open(objstm, "rb").read()
    cases = {}

    cases["hybrid-xref.pdf"] = hybrid()

    # Incremental updates: the document information rewritten with a
    # title, once over a classic table and once over an xref stream.
    info = trailer_value(q, b"Info").split()[0]
    body = b"<</Title(Incremental update)/Producer(kyso tests)>>"
    cases["incremental-table.pdf"] = update(q, int(info), body)
    info_s = int(trailer_value(s, b"Info").split()[0])
    cases["incremental-xrefstm.pdf"] = update(s, info_s, body, table=False)

    # An xref table with junk words after entries and blank lines between
    # them (as qpdf's bad-xref.pdf): every offset right, so it is read.
    x, t = table_span(q)
    lines = q[x:t].split(b"\n")
    lines[3] = lines[3] + b"junk after an entry"
    lines.insert(5, b"")
    lines.insert(5, b"")
    cases["xref-junk.pdf"] = q[:x] + b"\n".join(lines) + q[t:]

    # Two entries swapped (the document information and the font): the
    # file opens, but those two objects are not where the table says, so
    # the signer refuses to add to it.
    a, b = int(info), obj_with(q, b"/Type /Font")
    e = set_entry(set_entry(q, a, obj_offset(q, b)), b, obj_offset(q, a))
    cases["xref-bad-entries.pdf"] = e

    # A loop of two sections: an update whose /Prev is the first table,
    # and the first trailer's /ID overwritten (same length) by a /Prev to
    # the update.
    u = update(q, int(info), body)
    idm = re.search(rb"/ID \[<[0-9a-f]+><[0-9a-f]+>\]", q)
    new = b"/Prev %d" % last_startxref(u)
    new += b" " * (len(idm.group(0)) - len(new))
    cases["xref-loop.pdf"] = u[:idm.start()] + new + u[idm.end():]

    # Every offset wrong by a line inserted after the header, startxref
    # mended (as pdf.js's helloworld-bad): nothing can be trusted.
    ins = b"% a line that was not there when the table was written\n"
    h = q.index(b"\n", q.index(b"\n") + 1) + 1
    shifted = q[:h] + ins + q[h:]
    sx = last_startxref(q)
    i = shifted.rindex(b"startxref\n%d" % sx)
    cases["xref-shifted.pdf"] = (shifted[:i] + b"startxref\n%d" % (sx + len(ins))
                                 + shifted[i + len(b"startxref\n%d" % sx):])

    # The "xref" keyword missing (as pdf.js's xref_command_missing).
    x, _ = table_span(q)
    cases["xref-keyword-missing.pdf"] = q[:x] + b"    " + q[x + 4:]

    # A fuzzed table (as pdf.js's GHOSTSCRIPT-698804 file): a subsection
    # that claims too few entries and an entry with an absurd offset.
    x, _ = table_span(q)
    first = q.index(b"\n", x) + 1
    sub = q.index(b"\n", first)
    fz = q[:first] + b"0 2" + q[sub:]
    at = fz.index(b"\n", fz.index(b"\n", first) + 1) + 1 + 40
    cases["xref-fuzzed.pdf"] = fz[:at] + b"00000004294967296 3\n" + fz[at + 20:]

    # startxref past the end of the file, and a file cut in half.
    sx = last_startxref(q)
    i = q.rindex(b"startxref\n%d" % sx)
    cases["startxref-past-end.pdf"] = (q[:i] + b"startxref\n%d" % (len(q) * 10)
                                       + q[i + len(b"startxref\n%d" % sx):])
    cases["truncated.pdf"] = q[:len(q) // 2]

    for name, data in cases.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
