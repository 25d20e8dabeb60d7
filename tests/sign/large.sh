#!/usr/bin/env bash
# A 200 MB PDF: kyso-sign's resident memory stays far below the file's size
# (input mapped and hashed/copied window by window, pages dropped behind),
# signing, CMS and verifying alike; pdfsig accepts the output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token LG0001 01 rsa:2048 "Big File"
nss_db
python3 - "$W/big.pdf" 200 <<'PY'
import os, sys
path, mb = sys.argv[1], int(sys.argv[2])
side = int((mb * 1024 * 1024 / 3) ** 0.5)
n = side * side * 3
objs = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im1 5 0 R>>>>/Contents 4 0 R>>"]
content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
with open(path, "wb") as f:
    offs = []; pos = 0
    def w(b):
        global pos; f.write(b); pos += len(b)
    w(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    for i, o in enumerate(objs):
        offs.append(pos); w(b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n")
    offs.append(pos); w(b"4 0 obj\n<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n")
    offs.append(pos); w(b"5 0 obj\n<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceRGB/BitsPerComponent 8/Length %d>>\nstream\n" % (side, side, n))
    chunk = os.urandom(1 << 20)
    left = n
    while left > 0:
        k = min(left, len(chunk)); w(chunk[:k]); left -= k
    w(b"\nendstream\nendobj\n")
    x = pos
    w(b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs))
    w(b"trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % x)
PY
size=$(stat -c %s "$W/big.pdf")
[ "$size" -gt 200000000 ] || fail "the test file is only $size bytes"

rss() {   # rss CMD...: runs CMD, prints its peak resident memory in KB
  /usr/bin/time -f "%M" -o "$W/rss" "$@" >/dev/null 2>"$W/rss.err" 3<<<"$USER_PIN" \
    || fail "'$*' failed: $(cat "$W/rss.err")"
  cat "$W/rss"
}
LIMIT=65536   # KB: a third of the file
# (ASan's shadow memory and quarantine come on top: a looser bound there.)
[ "${KYSO_SANITIZE:-0}" = 1 ] && LIMIT=98304
note "sign: peak RSS"
kb=$(rss "$KS" pdf "$W/big.pdf" -o "$W/big-signed.pdf" --token LG0001 --pin-fd 3 --chain "$W/int.pem")
note "kyso-sign pdf on $((size / 1048576)) MB: $kb KB resident at most"
[ "$kb" -lt "$LIMIT" ] || fail "signing used $kb KB for a $size-byte file"
pdfsig_ok "$W/big-signed.pdf" 1
kb=$(rss "$KS" verify "$W/big-signed.pdf" --trust "$W/root.pem")
[ "$kb" -lt "$LIMIT" ] || fail "verifying used $kb KB"
kb=$(rss "$KS" cms "$W/big.pdf" -o "$W/big.p7s" --token LG0001 --pin-fd 3)
[ "$kb" -lt "$LIMIT" ] || fail "CAdES used $kb KB"
openssl cms -verify -binary -inform DER -in "$W/big.p7s" -content "$W/big.pdf" -noverify \
  -out /dev/null 2>/dev/null || fail "openssl rejects the big .p7s"
rm -f "$W/big.pdf" "$W/big-signed.pdf"
pass
