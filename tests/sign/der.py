"""Reading and writing DER by hand, for the tests' CMS edits (an
unsigned attribute added to a SignerInfo)."""


def tlv(b, i):
    l, j = b[i + 1], i + 2
    if l & 0x80:
        n = l & 0x7f
        l, j = int.from_bytes(b[j:j + n], 'big'), j + n
    return b[i], j, j + l


def kids(b, s, e):
    out, i = [], s
    while i < e:
        t, cs, ce = tlv(b, i)
        out.append((t, i, cs, ce))
        i = ce
    return out


def enc(tag, c):
    n = len(c)
    h = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([tag]) + h + c
