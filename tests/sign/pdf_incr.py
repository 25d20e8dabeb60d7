"""Incremental updates for the kyso-sign tests' writers (meta_update.py,
form_update.py, doc_ts.py): the newest trailer of a PDF with a classic
xref table, its objects by number, and a new revision appended with an
xref section whose /Prev is the last one."""
import re


def id_array_end(t, i):
    """Where the /ID array whose "[" ends at i ends: its strings are
    literal (bytes of any value, a "]" among them; parentheses balanced or
    escaped) or hex."""
    while i < len(t):
        c = t[i:i + 1]
        if c == b']':
            return i + 1
        if c == b'<':
            i = t.index(b'>', i) + 1
        elif c == b'(':
            depth, i = 1, i + 1
            while depth:
                c = t[i:i + 1]
                if c == b'\\':
                    i += 1
                elif c == b'(':
                    depth += 1
                elif c == b')':
                    depth -= 1
                i += 1
        else:
            i += 1
    raise ValueError('unterminated /ID')


class Pdf:
    def __init__(self, data):
        self.d = data
        tr = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', data, re.S)[-1]
        self.prev = int(re.findall(rb'startxref\s+(\d+)', data)[-1])
        self.root = int(re.search(rb'/Root\s+(\d+)\s+0\s+R', tr).group(1))
        self.size = int(re.search(rb'/Size\s+(\d+)', tr).group(1))
        info = re.search(rb'/Info\s+(\d+)\s+0\s+R', tr)
        self.info = int(info.group(1)) if info else None
        ident = re.search(rb'/ID\s*\[', tr)
        self.ident = tr[ident.start():id_array_end(tr, ident.end())] if ident else b''

    def obj(self, n):
        """Object n's text as the newest revision has it."""
        return re.findall(rb'(?<![0-9])%d 0 obj(.*?)endobj' % n, self.d, re.S)[-1].strip()

    def new_num(self):
        self.size += 1
        return self.size - 1

    def append(self, new):
        """The file with objects new ({number: text}) in a new revision;
        returns (bytearray, {number: offset})."""
        out = bytearray(self.d)
        if not out.endswith(b'\n'):
            out += b'\n'
        offs = {}
        for n in sorted(new):
            offs[n] = len(out)
            out += b'%d 0 obj\n' % n + new[n] + b'\nendobj\n'
        xref = len(out)
        out += b'xref\n0 1\n0000000000 65535 f \n'
        for n in sorted(offs):
            out += b'%d 1\n%010d 00000 n \n' % (n, offs[n])
        info = b'/Info %d 0 R' % self.info if self.info is not None else b''
        out += b'trailer\n<< /Size %d /Root %d 0 R %s /Prev %d %s >>\nstartxref\n%d\n%%%%EOF\n' % (
            self.size, self.root, info, self.prev, self.ident, xref)
        return out, offs


def stream(data, extra=b''):
    return b'<< /Length %d %s >>\nstream\n' % (len(data), extra) + data + b'\nendstream'
