#!/usr/bin/env bash
# PAdES B-LT: after the B-T signature, a further incremental update adds a
# DSS with the chain's certificates, the signer's OCSP response (from the
# responder its AIA names: `openssl ocsp` here) and the intermediate's CRL
# (from its CRL distribution point, served over HTTP). pdfsig, qpdf and
# openssl accept the file; kyso-sign verify reports B-LT and "only
# validation data" after the signature, and judges the signer by the
# DSS offline (good; none for a signer it does not cover; revoked when an
# OCSP response in it says so); a revoked signer gets no output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

note "a PKI whose certificates name an OCSP responder and a CRL"
crl_pki LT "$W/ee.ext"
# signer certificates (on tokens) with an AIA OCSP URL; one to revoke.
issue() { ocsp_signer "$@" "$W/ee.ext"; } # SERIAL ID SUBJECT HEXSERIAL
issue LT0001 01 "Vo Thi F" 2001
issue LT0002 02 "Revoked Signer" 2002
exp=$(date -u -d '+1 year' +%y%m%d%H%M%SZ)
now=$(date -u +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t2001\tunknown\t/C=VN/CN=Vo Thi F\n' "$exp" > "$W/ocsp-index.txt"
printf 'R\t%s\t%s\t2002\tunknown\t/C=VN/CN=Revoked Signer\n' "$exp" "$now" >> "$W/ocsp-index.txt"
ocsp_responder

# The TSA (as in pades_bt): openssl ts behind a small HTTP server.
openssl req -newkey rsa:2048 -nodes -keyout "$W/tsa.key" -out "$W/tsa.csr" -subj "/CN=Kyso LT TSA" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' > "$W/tsa.ext"
openssl x509 -req -in "$W/tsa.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -set_serial 0x3001 \
  -days 365 -extfile "$W/tsa.ext" -out "$W/tsa.pem" 2>/dev/null
printf '[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = %s/tsaserial\nsigner_cert = %s/tsa.pem\nsigner_key = %s/tsa.key\ncerts = %s/int.pem\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\ness_cert_id_alg = sha256\n' \
  "$W" "$W" "$W" "$W" > "$W/tsa.cnf"
echo 01 > "$W/tsaserial"
python3 "$(dirname "$0")/tsa_server.py" "$W/tsa.cnf" "$W/port" &
crl_pki_wait "$W/port"
TSA=http://127.0.0.1:$(cat "$W/port")/tsa
nss_db
cat "$W/int.pem" "$W/root.pem" > "$W/chain.pem"

gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/doc.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong dai han) show showpage" >/dev/null 2>&1

note "B-LT"
ks pdf "$W/doc.pdf" -o "$W/lt.pdf" --lt --tsa "$TSA" --token LT0001 --pin-fd 3 --chain "$W/chain.pem" \
  3<<<"$USER_PIN" >/dev/null || fail "B-LT signing failed"
pdfsig_ok "$W/lt.pdf" 1
qpdf_ok "$W/lt.pdf"
cms_of "$W/lt.pdf" 1
openssl_verify_ok
[ "$(grep -ac '%%EOF' "$W/lt.pdf")" -ge 2 ] || fail "no further revision"
assert_exit 0 ks verify "$W/lt.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "level:     B-LT"
assert_contains "$OUT" "only validation data (DSS)"
assert_contains "$OUT" "revocation in the document: good"
# Without anchors: INDETERMINATE (4), the document's data judged alike.
assert_exit 4 ks verify "$W/lt.pdf" --json
assert_contains "$OUT" '"document_revocation": "good"'
assert_contains "$OUT" '"level": "B-LT"'
ls "$W" | grep -q "\.tmp" && fail "a temp file was left"

note "the DSS holds the chain and the TSA certificate, a good OCSP response for the signer, the root's CRL"
python3 - "$W/lt.pdf" "$W" <<'PY' || fail "DSS contents"
import re, sys
d = open(sys.argv[1], 'rb').read()
dss = re.findall(rb'/Type\s*/DSS', d)
assert dss, "no /DSS"
def stream(num):
    m = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*<<(.*?)>>\s*stream\n' % num, d, re.S))[-1]
    n = int(re.search(rb'/Length (\d+)', m.group(1)).group(1))
    return d[m.end():m.end() + n]
def refs(key):
    m = re.search(rb'/' + key + rb'\s*\[([^\]]*)\]', d)
    return [int(x) for x in re.findall(rb'(\d+) 0 R', m.group(1))]
certs, ocsps, crls = refs(b'Certs'), refs(b'OCSPs'), refs(b'CRLs')
assert len(certs) == 4 and len(ocsps) == 1 and len(crls) == 1, (certs, ocsps, crls)  # + the TSA
open(sys.argv[2] + '/dss-ocsp.der', 'wb').write(stream(ocsps[0]))
open(sys.argv[2] + '/dss-crl.der', 'wb').write(stream(crls[0]))
PY
out=$(openssl ocsp -respin "$W/dss-ocsp.der" -resp_text -noverify 2>&1)
assert_contains "$out" "Cert Status: good"
openssl crl -inform DER -in "$W/dss-crl.der" -noout -issuer | grep -q "Kyso LT Root" || fail "the CRL is not the root's"

note "a second signer on the B-LT file keeps both valid"
ks pdf "$W/lt.pdf" -o "$W/lt2.pdf" --token LT0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
assert_exit 1 ks pdf "$W/doc.pdf" -o "$W/short.pdf" --lt --tsa "$TSA" --token LT0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN"
assert_contains "$OUT" "whole chain up to the root"
pdfsig_ok "$W/lt2.pdf" 2
assert_exit 0 ks verify "$W/lt2.pdf" --trust "$W/root.pem"

note "a revoked signer: refused before signing, no output"
assert_exit 1 ks pdf "$W/doc.pdf" -o "$W/revoked.pdf" --lt --tsa "$TSA" --token LT0002 --pin-fd 3 \
  --chain "$W/chain.pem" 3<<<"$USER_PIN"
assert_contains "$OUT" "revoked"
[ ! -e "$W/revoked.pdf" ] || fail "an output was left for a revoked signer"

note "verify --revocation asks the responder now"
assert_exit 0 ks verify "$W/lt.pdf" --trust "$W/root.pem" --revocation
assert_contains "$OUT" "revocation: good"
ks pdf "$W/doc.pdf" -o "$W/bb-revoked.pdf" --token LT0002 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
assert_exit 0 ks verify "$W/bb-revoked.pdf" --trust "$W/root.pem"
assert_exit 1 ks verify "$W/bb-revoked.pdf" --trust "$W/root.pem" --revocation --json
assert_contains "$OUT" '"revocation": "revoked"'
# An option error, said before the PIN (issue 8): usage, exit 2.
assert_exit 2 ks pdf "$W/doc.pdf" -o "$W/nots.pdf" --lt --token LT0001 </dev/null
assert_contains "$OUT" "needs a time-stamp"

note "the document's validation data, offline: none for a signer the DSS does not cover"
ks pdf "$W/bb-revoked.pdf" -o "$W/two.pdf" --lt --tsa "$TSA" --token LT0001 --pin-fd 3 \
  --chain "$W/chain.pem" 3<<<"$USER_PIN" >/dev/null || fail "B-LT over a B-B signature"
assert_exit 0 ks verify "$W/two.pdf" --trust "$W/root.pem" --json
python3 - "$OUT" <<'PY' || fail "per-signer document revocation: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert [x["document_revocation"] for x in s] == ["none", "good"], s
assert [x["level"] for x in s] == ["B-B", "B-LT"], s
PY

note "an OCSP response in the DSS that says revoked makes the signature invalid, with no network"
openssl ocsp -issuer "$W/int.pem" -serial 0x2002 -url "http://127.0.0.1:$OCSP_PORT" -noverify \
  -respout "$W/rev-ocsp.der" >/dev/null 2>&1 || fail "no OCSP response for the revoked signer"
# inject_dss SRC OUT KIND=FILE...: a DSS revision appended by hand (an
# incremental update as any tool would write it) holding the files as
# OCSPs, Certs or CRLs streams, and the catalog naming it.
inject_dss() {
  python3 - "$@" <<'PY' || fail "appending the DSS"
import re, sys
d = open(sys.argv[1], 'rb').read()
start = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
trailer = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', d, re.S)[-1]
root = int(re.search(rb'/Root\s+(\d+)\s+0\s+R', trailer).group(1))
size = int(re.search(rb'/Size\s+(\d+)', trailer).group(1))
cat = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*<<(.*?)>>\s*endobj' % root, d, re.S))[-1].group(1)
body, lists, num = [], {}, size
for arg in sys.argv[3:]:
    kind, path = arg.split('=', 1)
    data = open(path, 'rb').read()
    body.append((num, b'<< /Length %d >>\nstream\n' % len(data) + data + b'\nendstream'))
    lists.setdefault(kind.encode(), []).append(num)
    num += 1
dss = num
body.append((dss, b'<< /Type /DSS ' + b' '.join(
    b'/' + k + b' [' + b' '.join(b'%d 0 R' % n for n in v) + b']' for k, v in lists.items()) + b' >>'))
body.append((root, b'<<' + cat + b' /DSS %d 0 R >>' % dss))
out = bytearray(d if d.endswith(b'\n') else d + b'\n')
offs = {}
for n, text in body:
    offs[n] = len(out)
    out += b'%d 0 obj\n' % n + text + b'\nendobj\n'
xref = len(out)
out += b'xref\n'
for n in sorted(offs):
    out += b'%d 1\n%010d 00000 n \n' % (n, offs[n])
out += b'trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
    dss + 1, root, start, xref)
open(sys.argv[2], 'wb').write(out)
PY
}
# Time-stamped (without a time-stamp nothing places evidence against the
# signature, and the document's data is not judged).
ks pdf "$W/doc.pdf" -o "$W/bt-revoked.pdf" --tsa "$TSA" --token LT0002 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null || fail "B-T by the revoked signer"
inject_dss "$W/bt-revoked.pdf" "$W/injected.pdf" OCSPs="$W/rev-ocsp.der"
inject_dss "$W/bb-revoked.pdf" "$W/injected-bb.pdf" OCSPs="$W/rev-ocsp.der"
assert_exit 4 ks verify "$W/injected-bb.pdf" --json
assert_contains "$OUT" '"document_revocation": "none"'
qpdf_ok "$W/injected.pdf"
assert_exit 1 ks verify "$W/injected.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "revocation in the document: revoked"
assert_contains "$OUT" "validation data says the signer's certificate, or a CA above it, is revoked"
assert_contains "$OUT" "only validation data (DSS)"

note "a look-alike issuer (same name and key identifier, another key) and its CRL in the DSS vouch for nothing"
ks pdf "$W/doc.pdf" -o "$W/bb-nochain.pdf" --tsa "$TSA" --token LT0002 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/fake.key" 2>/dev/null
ski=$(openssl x509 -in "$W/int.pem" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ')
openssl req -x509 -new -key "$W/fake.key" -subj "$(openssl x509 -in "$W/int.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" \
  -days 30 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=$ski" -outform DER -out "$W/fake.der" 2>/dev/null || fail "look-alike issuer"
openssl x509 -inform DER -in "$W/fake.der" -out "$W/fake.pem"
mkdir -p "$W/fakeca"; : > "$W/fakeca/index.txt"; echo 01 > "$W/fakeca/crlnumber"
sed -e "s|$W/rootca|$W/fakeca|g" -e "s|$W/root.pem|$W/fake.pem|" -e "s|$W/root.key|$W/fake.key|" \
  "$W/rootca/ca.cnf" > "$W/fakeca/ca.cnf"
openssl ca -config "$W/fakeca/ca.cnf" -gencrl -out "$W/fake.crl.pem" 2>/dev/null || fail "look-alike CRL"
openssl crl -in "$W/fake.crl.pem" -outform DER -out "$W/fake.crl"
inject_dss "$W/bb-nochain.pdf" "$W/lookalike.pdf" Certs="$W/fake.der" CRLs="$W/fake.crl"
qpdf_ok "$W/lookalike.pdf"
assert_exit 4 ks verify "$W/lookalike.pdf" --json
assert_contains "$OUT" '"document_revocation": "none"'

note "an issuing CA its root's CRL in the DSS revokes: the signer is revoked with it"
openssl ca -config "$W/rootca/ca.cnf" -revoke "$W/int.pem" -crl_reason keyCompromise 2>/dev/null ||
  fail "revoking the issuing CA"
openssl ca -config "$W/rootca/ca.cnf" -gencrl -out "$W/rootca/crl-rev.pem" 2>/dev/null
openssl crl -in "$W/rootca/crl-rev.pem" -outform DER -out "$W/root-rev.crl"
sleep 1
ks pdf "$W/doc.pdf" -o "$W/bt-good.pdf" --tsa "$TSA" --token LT0001 --pin-fd 3 \
  --chain "$W/chain.pem" 3<<<"$USER_PIN" >/dev/null || fail "B-T by the good signer"
openssl ocsp -issuer "$W/int.pem" -serial 0x2001 -url "http://127.0.0.1:$OCSP_PORT" -noverify \
  -respout "$W/good-ocsp.der" >/dev/null 2>&1 || fail "no OCSP response for the good signer"
inject_dss "$W/bt-good.pdf" "$W/int-ok.pdf" OCSPs="$W/good-ocsp.der" CRLs="$W/www/root.crl"
assert_exit 0 ks verify "$W/int-ok.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"document_revocation": "good"'
inject_dss "$W/bt-good.pdf" "$W/int-revoked.pdf" OCSPs="$W/good-ocsp.der" CRLs="$W/root-rev.crl"
assert_exit 1 ks verify "$W/int-revoked.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"document_revocation": "revoked"'
inject_dss "$W/bt-good.pdf" "$W/int-none.pdf" OCSPs="$W/good-ocsp.der"
assert_exit 0 ks verify "$W/int-none.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"document_revocation": "none"'

note "the report in Vietnamese (LANG=vi_VN.UTF-8); JSON stays English"
assert_exit 0 env LANG=vi_VN.UTF-8 "$KS" verify "$W/lt.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "1 chữ ký số"
assert_contains "$OUT" "toàn vẹn:  nguyên vẹn"
assert_contains "$OUT" "sau khi ký: chỉ thêm dữ liệu kiểm tra hiệu lực (DSS)"
assert_contains "$OUT" "thu hồi (theo dữ liệu trong tài liệu): còn hiệu lực"
assert_contains "$OUT" "kết quả:   HỢP LỆ"
assert_exit 1 env LANG=vi_VN.UTF-8 "$KS" verify "$W/injected.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "dữ liệu kiểm tra hiệu lực trong tài liệu cho biết chứng thư số của người ký, hoặc của một CA cấp trên, đã bị thu hồi"
assert_contains "$OUT" "kết quả:   KHÔNG HỢP LỆ"
assert_exit 1 env LANG=vi_VN.UTF-8 "$KS" verify "$W/injected.pdf" --json
assert_contains "$OUT" '"document_revocation": "revoked"'
pass
