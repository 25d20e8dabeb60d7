#!/usr/bin/env bash
# Makes the generated PDF set into $KYSO_PDF_GEN (the build tree's pdf-gen/),
# from the tools the project installs: ghostscript, qpdf (--qdf, object
# streams, --linearize, --encrypt 40/128/256-bit), poppler's pdfsig
# -add-signature with a throwaway NSS database, our own kyso-sign on a
# virtual token, and handmade.py for what no tool writes on purpose (hybrid
# xref, incremental updates, damaged tables). Every file is listed with what
# the tests want of it in expect.txt beside this script; the run fails if a
# file is made that is not listed or a listed one is not made. The set is
# written into a temporary folder and moved into place whole. Every file is
# the same on each run but the encrypted and signed ones (fresh keys).
# Run by CTest as the fixture sign/pdf_gen (tests/CMakeLists.txt): not a
# test of its own (only *.sh files are), but it ends with `pass` like one.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
here=$(cd "$(dirname "$0")" && pwd)

out=$GEN
G=$out.new
rm -rf "$G"
mkdir -p "$G"
# Ghostscript's dates come from here, so its output is the same each run.
export SOURCE_DATE_EPOCH=1767225600

note "ghostscript: a two-page document"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/gs-raw.pdf" \
  -c "/Helvetica findfont 24 scalefont setfont 72 720 moveto (Hop dong mua ban) show showpage" \
  -c "/Helvetica findfont 24 scalefont setfont 72 720 moveto (Trang 2) show showpage" \
  >/dev/null 2>&1 || fail "ghostscript could not make a PDF"
# Its /ID is random, written as two hex strings or, now and then, as two
# literal strings of raw bytes. It sits in the trailer after the xref
# table, so one fixed /ID of any length leaves every offset as it was.
python3 - "$W/gs-raw.pdf" "$G/gs-plain.pdf" <<'PY' || fail "could not fix Ghostscript's /ID"
import re, sys
d = open(sys.argv[1], 'rb').read()

def string_end(i):
    """Index just past the PDF string that starts at d[i] (<hex> or (literal))."""
    if d[i:i + 1] == b'<':
        return d.index(b'>', i) + 1
    if d[i:i + 1] != b'(':
        raise ValueError('no string at %d' % i)
    depth = 0
    while True:
        c = d[i:i + 1]
        if c == b'\\':
            i += 2
            continue
        if c == b'(':
            depth += 1
        elif c == b')':
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1

trailer = d.rindex(b'trailer')
start = d.index(b'/ID', trailer)
i = start + 3
while d[i:i + 1].isspace():
    i += 1
if d[i:i + 1] != b'[':
    sys.exit('no /ID array in the trailer')
i += 1
for _ in range(2):
    while d[i:i + 1].isspace():
        i += 1
    i = string_end(i)
while d[i:i + 1].isspace():
    i += 1
if d[i:i + 1] != b']':
    sys.exit('the /ID array does not hold two strings')
m = re.search(rb'startxref\s+(\d+)\s+%%EOF\s*$', d[i:])
if not m or int(m.group(1)) > trailer:
    sys.exit('the /ID is not in the trailer that follows the last xref table')
zero = b'<' + b'0' * 32 + b'>'
open(sys.argv[2], 'wb').write(d[:start] + b'/ID [' + zero + zero + b']' + d[i + 1:])
PY

note "qpdf: QDF, object streams, linearized"
q() { qpdf --deterministic-id "$@" || [ $? = 3 ]; }
q --qdf --object-streams=disable "$G/gs-plain.pdf" "$G/qpdf-qdf.pdf"
q --object-streams=generate "$G/gs-plain.pdf" "$G/qpdf-objstm.pdf"
q --linearize "$G/gs-plain.pdf" "$G/qpdf-linearized.pdf"
q --linearize --object-streams=generate "$G/gs-plain.pdf" "$G/qpdf-linearized-objstm.pdf"

note "qpdf: encrypted (refused with a user password, signed without)"
# qpdf refuses a deterministic /ID with encryption: these vary run to run.
enc() {
  local name=$1 user=$2; shift 2
  qpdf --allow-weak-crypto --encrypt "$user" owner-pw "$@" -- "$G/gs-plain.pdf" "$G/$name" \
    || fail "qpdf could not make $name"
}
enc enc-rc4-40.pdf user-pw 40
enc enc-rc4-128.pdf user-pw 128 --use-aes=n
enc enc-aes-128.pdf user-pw 128 --use-aes=y
enc enc-aes-256.pdf user-pw 256
# An empty user password: any viewer opens it without asking.
enc enc-aes-256-no-user-pw.pdf "" 256
qpdf --encrypt user-pw owner-pw 256 -- --object-streams=generate "$G/gs-plain.pdf" \
  "$G/enc-aes-256-objstm.pdf" || fail "qpdf could not make enc-aes-256-objstm.pdf"

note "hand-made: hybrid xref, incremental updates, damaged tables"
python3 "$here/handmade.py" "$G" "$G/qpdf-qdf.pdf" "$G/qpdf-objstm.pdf" \
  || fail "handmade.py failed"

note "already signed: by kyso-sign, by pdfsig -add-signature, by both"
make_pki
signing_token GN0001 01 rsa:2048 "Corpus Maker"
nss_db
ks pdf "$G/gs-plain.pdf" -o "$G/signed-kyso.pdf" --token GN0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null || fail "kyso-sign could not sign"
pdfsig_ok "$G/signed-kyso.pdf" 1
pdfsig_signer
pdfsig -nssdir "sql:$W/nss" -add-signature -nick popsigner "$G/qpdf-objstm.pdf" \
  "$G/signed-pdfsig.pdf" >/dev/null 2>&1 || true
pdfsig_ok "$G/signed-pdfsig.pdf" 1
ks pdf "$G/signed-pdfsig.pdf" -o "$G/signed-twice.pdf" --token GN0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null || fail "kyso-sign could not sign"
pdfsig_ok "$G/signed-twice.pdf" 2

note "every file listed in expect.txt, every listed file made"
made=$(cd "$G" && ls -- *.pdf | sort)
listed=$(grep -v '^#' "$here/expect.txt" | awk 'NF { print $1 }' | sort)
assert_eq "$made" "$listed" "the generated files and expect.txt differ"
rm -rf "$out"
mv "$G" "$out"
note "$(echo "$made" | wc -l) files in $out"
pass
