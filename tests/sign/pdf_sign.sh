#!/usr/bin/env bash
# PAdES B-B by incremental update on PDFs from real producers (ghostscript,
# qpdf with object streams and linearized, the generated set's hybrid,
# incremental and already signed files, the shared corpus's when it is
# there), checked by
# independent verifiers: pdfsig (valid and trusted through an NSS DB that
# trusts our root), qpdf --check, openssl cms -verify over the /ByteRange
# bytes; and kyso-sign verify.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token PS0001 01 rsa:2048 "Nguyen Van A"
nss_db

note "inputs from real producers"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/gs.pdf" \
  -c "/Helvetica findfont 24 scalefont setfont 72 720 moveto (Hop dong mua ban) show showpage" \
  >/dev/null 2>&1 || fail "ghostscript could not make a PDF"
qpdf --object-streams=generate "$W/gs.pdf" "$W/objstm.pdf"
qpdf --linearize "$W/gs.pdf" "$W/linear.pdf"
inputs=("$W/gs.pdf" "$W/objstm.pdf" "$W/linear.pdf")
for f in hybrid-xref.pdf incremental-table.pdf incremental-xrefstm.pdf \
         qpdf-linearized-objstm.pdf signed-kyso.pdf signed-pdfsig.pdf; do
  cp "$GEN/$f" "$W/gen-$f"
  inputs+=("$W/gen-$f")
done
if have_shared_corpus; then
  for f in c-object-streams.pdf hybrid-xref.pdf incremental-1.pdf incremental-2.pdf \
           form-filled-by-acrobat.pdf digitally-signed.pdf c-linearized.pdf; do
    cp "$CORPUS/$f" "$W/$f"
    inputs+=("$W/$f")
  done
fi

for f in "${inputs[@]}"; do
  note "sign $(basename "$f")"
  out=${f%.pdf}.signed.pdf
  before=$(sha256sum < "$f")
  ks pdf "$f" --token PS0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null \
    || fail "kyso-sign pdf failed on $f"
  [ -s "$out" ] || fail "no output for $f"
  # The original bytes are untouched, in the input and as the output's prefix.
  [ "$(sha256sum < "$f")" = "$before" ] || fail "the input changed"
  size=$(stat -c %s "$f")
  cmp -s -n "$size" "$f" "$out" || fail "the output does not start with the original bytes"
  qpdf_ok "$out"
  nsig=$(pdfsig "$f" 2>/dev/null | grep -c "Signature Validation:" || true)
  pdfsig_ok "$out"
  n=$(echo "$PDFSIG_OUT" | grep -c "Signature Validation:")
  [ "$n" = $((nsig + 1)) ] || fail "$out: pdfsig counts $n signatures, want $((nsig + 1))"
  echo "$PDFSIG_OUT" | tail -n 12 | grep -q "Certificate is Trusted" \
    || fail "pdfsig: our signature's certificate is not trusted: $PDFSIG_OUT"
  assert_contains "$PDFSIG_OUT" "ETSI.CAdES.detached"
  cms_of "$out" "$n"
  openssl_verify_ok
  # B-B: signing-certificate-v2, no signingTime.
  attrs=$(openssl cms -cmsout -print -inform DER -in "$W/sig.der")
  assert_contains "$attrs" "id-smime-aa-signingCertificateV2"
  assert_not_contains "$attrs" "signingTime"
  assert_contains "$attrs" "Kyso Test Issuing CA"
  ks verify "$out" --trust "$W/root.pem" > "$W/v.txt" || true
  v=$(cat "$W/v.txt")
  assert_contains "$v" "Nguyen Van A"
  assert_contains "$v" "level:     B-B"
done

note "the signed range is protected: one byte changed fails every verifier"
f=$W/gs.signed.pdf
cp "$f" "$W/tampered.pdf"
# A byte of the page content (inside the first range).
off=$(grep -a -b -o "Hop dong\|stream" "$W/tampered.pdf" | head -1 | cut -d: -f1)
printf 'X' | dd of="$W/tampered.pdf" bs=1 seek=$((off + 2)) conv=notrunc 2>/dev/null
cmp -s "$f" "$W/tampered.pdf" && fail "the tamper did not change the file"
out=$(pdfsig -nssdir "sql:$W/nss" "$W/tampered.pdf" 2>&1 || true)
assert_not_contains "$out" "Signature is Valid" "pdfsig accepted a changed file"
cms_of "$W/tampered.pdf" 1
if openssl cms -verify -binary -inform DER -in "$W/sig.der" -content "$W/signed.bin" \
    -CAfile "$W/root.pem" -purpose any -out /dev/null 2>/dev/null; then
  fail "openssl accepted a changed file"
fi
assert_exit 1 ks verify "$W/tampered.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "BROKEN"

note "a second signer: the first signature stays valid"
ks pdf "$W/gs.signed.pdf" -o "$W/twice.pdf" --token PS0001 --pin-fd 3 --chain "$W/int.pem" \
  3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/twice.pdf" 2
qpdf_ok "$W/twice.pdf"
ks verify "$W/twice.pdf" --trust "$W/root.pem" --json > "$W/v.json" || fail "verify failed: $(cat "$W/v.json")"
python3 - "$W/v.json" <<'PY' || fail "kyso-sign verify --json: $(cat "$W/v.json")"
import json, sys
r = json.load(open(sys.argv[1]))[0]
s = r["signatures"]
assert len(s) == 2, s
assert [x["field"] for x in s] == ["Signature1", "Signature2"], s
assert s[0]["changes_after"] == "later-signatures-only", s
assert s[1]["changes_after"] == "none", s
assert all(x["intact"] and x["trusted"] and x["valid"] for x in s), s
assert all(x["level"] == "B-B" for x in s), s
PY

note "content appended after a signature is reported"
cp "$W/gs.signed.pdf" "$W/appended.pdf"
printf '\n%% appended\n' >> "$W/appended.pdf"
assert_exit 1 ks verify "$W/appended.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "CONTENT CHANGED"

note "a revision that changes the page size, then a new signature: the first is reported changed"
python3 - "$W/gs.signed.pdf" "$W/resized.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
m = [x for x in re.finditer(rb'(\d+) 0 obj\s*<<(?:(?!endobj).)*?/Type\s*/Page\b(?:(?!endobj).)*?endobj', d, re.S)][-1]
num = int(m.group(1))
body = re.sub(rb'/MediaBox\s*\[[^\]]*\]', b'/MediaBox [0 0 300 300]', m.group(0), count=1)
assert body != m.group(0)
prev = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
root = re.findall(rb'/Root\s+(\d+ \d+ R)', d)[-1]
size = int(re.findall(rb'/Size\s+(\d+)', d)[-1])
out = d + b'\n'
off = len(out)
out += body + b'\n'
x = len(out)
out += b'xref\n%d 1\n%010d 00000 n \ntrailer\n<</Size %d/Root %s/Prev %d>>\nstartxref\n%d\n%%%%EOF\n' % (num, off, size, root, prev, x)
open(sys.argv[2], 'wb').write(out)
PY
qpdf_ok "$W/resized.pdf"
ks pdf "$W/resized.pdf" -o "$W/resized2.pdf" --token PS0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/resized2.pdf" 2
rc=0
ks verify "$W/resized2.pdf" --trust "$W/root.pem" --json > "$W/resized.json" || rc=$?
assert_eq "$rc" 1 "verify's exit code"
python3 - "$W/resized.json" <<'PY' || fail "a content change hidden before a later signature was not reported: $(cat "$W/resized.json")"
import json, sys
s = json.load(open(sys.argv[1]))[0]["signatures"]
assert s[0]["changes_after"] == "content-changed" and not s[0]["valid"], s[0]
assert s[1]["changes_after"] == "none" and s[1]["valid"], s[1]
PY

note "an untrusted anchor: intact but not trusted: INDETERMINATE (exit 4)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/other.key" -out "$W/other.pem" \
  -subj "/CN=Other Root" -days 30 2>/dev/null
assert_exit 4 ks verify "$W/gs.signed.pdf" --trust "$W/other.pem"
assert_contains "$OUT" "NOT TRUSTED"
assert_contains "$OUT" "integrity: intact"
pass
