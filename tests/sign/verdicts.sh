#!/usr/bin/env bash
# kyso-sign verify's three verdicts (ETSI EN 319 102-1): VALID (exit 0),
# INDETERMINATE (exit 4: no anchor, a chain that does not reach one,
# revocation unknown, something not supported) and INVALID (exit 1);
# trust anchors from kyso.conf (a folder, or the system's); the digest the signature names (SHA-384,
# SHA-512, SHA3); a plain PKCS#7 without signed attributes; a report whose
# lines say what was checked. pdfsig and openssl cms -verify agree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token VD0001 01 rsa:2048 "Nguyen Van A"
nss_db
pdfsig_signer
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/c.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong) show showpage" >/dev/null 2>&1
ks pdf "$W/c.pdf" -o "$W/s.pdf" --token VD0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/s.pdf" 1

# resign IN OUT MD [noattr]: IN's last signature made again by openssl cms
# (the Poppler Signer's software key) with digest MD; noattr: without
# signed attributes, as adbe.pkcs7.detached.
resign() {
  python3 - "$@" "$W" <<'PY'
import re, subprocess, sys
src, dst, md, mode, w = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
data = open(src, 'rb').read()
m = list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', data))[-1]
a, b, c, d = map(int, m.groups())
if mode == 'noattr':
    data = data.replace(b'/ETSI.CAdES.detached', b'/adbe.pkcs7.detached')
open(w + '/rs.bin', 'wb').write(data[a:a + b] + data[c:c + d])
cmd = ['openssl', 'cms', '-sign', '-binary', '-in', w + '/rs.bin', '-signer', w + '/pop.pem',
       '-inkey', w + '/pop.key', '-certfile', w + '/int.pem', '-md', md, '-outform', 'DER',
       '-out', w + '/rs.der']
if mode == 'noattr':
    cmd.append('-noattr')
subprocess.run(cmd, check=True)
h = open(w + '/rs.der', 'rb').read().hex().encode()
hole = c - b - 2
assert len(h) <= hole, (len(h), hole)
open(dst, 'wb').write(data[:b] + b'<' + h.ljust(hole, b'0') + b'>' + data[c:])
PY
}

# tamper IN OUT: one byte of the first signed range changed.
tamper() {
  local off
  cp "$1" "$2"
  off=$(grep -a -b -o "stream" "$2" | head -1 | cut -d: -f1)
  printf 'X' | dd of="$2" bs=1 seek=$((off + 2)) conv=notrunc 2>/dev/null
  cmp -s "$1" "$2" && fail "the tamper did not change $1"
  return 0
}

note "VALID with an anchor; INDETERMINATE without one (no VALID for 'intact')"
assert_exit 0 ks verify "$W/s.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "result:    VALID"
assert_contains "$OUT" "anchor:    C = VN, O = Kyso Test, CN = Kyso Test Root CA (from --trust)"
assert_exit 4 ks verify "$W/s.pdf"
assert_contains "$OUT" "result:    INDETERMINATE"
assert_contains "$OUT" "chain:     not checked (no trust anchor)"
assert_exit 4 ks verify "$W/s.pdf" --json
python3 - "$OUT" <<'PY' || fail "JSON verdict: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"][0]
assert s["verdict"] == "INDETERMINATE" and s["valid"] is False, s
assert "trust anchor" in s["verdict_reason"], s
assert s["signing_certificate_v2"] is True and s["digest"] == "SHA256", s
PY
assert_exit 4 env LANG=vi_VN.UTF-8 "$KS" verify "$W/s.pdf"
assert_contains "$OUT" "KHÔNG XÁC ĐỊNH"
assert_exit 0 env LANG=vi_VN.UTF-8 "$KS" verify "$W/s.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "HỢP LỆ"

note "a self-signed certificate with a company's name: INDETERMINATE"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/self.key" -out "$W/self.pem" -days 30 \
  -subj "/C=VN/O=Cong ty TNHH Thuong Mai ABC/serialNumber=MST:0101234567/CN=Cong ty TNHH Thuong Mai ABC" 2>/dev/null
openssl pkcs12 -export -inkey "$W/self.key" -in "$W/self.pem" -out "$W/self.p12" -passout pass:x -name selfsigned
pk12util -i "$W/self.p12" -d "sql:$W/nss" -W x >/dev/null
pdfsig -nssdir "sql:$W/nss" -add-signature -nick selfsigned "$W/c.pdf" "$W/self.pdf" >/dev/null 2>&1 || true
[ -s "$W/self.pdf" ] || fail "pdfsig -add-signature wrote nothing"
pdfsig -nssdir "sql:$W/nss" "$W/self.pdf" 2>&1 | grep -q "Signature is Valid" || fail "pdfsig: not intact"
assert_exit 4 ks verify "$W/self.pdf"
assert_contains "$OUT" "result:    INDETERMINATE"
# adbe.pkcs7.detached (pdfsig's), signed attributes or not: not PAdES baseline.
assert_contains "$OUT" "level:     PKCS#7 (not PAdES baseline)"
assert_exit 4 ks verify "$W/self.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "chain:     NOT TRUSTED"
assert_contains "$OUT" "does not chain to a trust anchor"

note "changed after signing: INVALID; the report still says what was checked"
tamper "$W/s.pdf" "$W/t.pdf"
assert_exit 1 ks verify "$W/t.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "result:    INVALID"
assert_contains "$OUT" "integrity: BROKEN"
assert_contains "$OUT" "chain:     trusted"
assert_contains "$OUT" "level:     B-B"
assert_not_contains "$OUT" "not checked"

note "trust anchors from kyso.conf (a folder), named in the report"
mkdir -p "$W/anchors"
cp "$W/root.pem" "$W/anchors/root.pem"
echo "not a certificate" > "$W/anchors/README"
printf 'trust = %s\n' "$W/anchors" > "$KYSO_HOME/kyso.conf"
assert_exit 0 ks verify "$W/s.pdf"
assert_contains "$OUT" "(from kyso.conf)"
assert_exit 4 ks verify "$W/self.pdf"

note "trust = system: the system's CA folder (\$SSL_CERT_DIR when set, as OpenSSL reads it)"
printf 'trust = system\n' > "$KYSO_HOME/kyso.conf"
assert_exit 0 env SSL_CERT_DIR="$W/anchors" "$KS" verify "$W/s.pdf"
assert_contains "$OUT" "Kyso Test Root CA (from the system trust store)"
assert_exit 0 env SSL_CERT_DIR="$W/anchors" LANG=vi_VN.UTF-8 "$KS" verify "$W/s.pdf"
assert_contains "$OUT" "(từ kho chứng thư tin cậy của hệ thống)"
# The real system store (Mozilla's CAs) does not hold the test root.
assert_exit 4 env -u SSL_CERT_DIR "$KS" verify "$W/s.pdf"
assert_contains "$OUT" "chain:     NOT TRUSTED"
rm "$KYSO_HOME/kyso.conf"

note "--revocation with the responder unreachable: INDETERMINATE, never VALID"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\ncrlDistributionPoints=URI:http://127.0.0.1:9/int.crl\n' > "$W/aia.ext"
openssl req -newkey rsa:2048 -nodes -keyout "$W/aia.key" -out "$W/aia.csr" -subj "/CN=Revoked Maybe" 2>/dev/null
openssl x509 -req -in "$W/aia.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
  -days 30 -extfile "$W/aia.ext" -out "$W/aia.pem" 2>/dev/null
printf 'hop dong\n' > "$W/doc.txt"
openssl cms -sign -binary -in "$W/doc.txt" -signer "$W/aia.pem" -inkey "$W/aia.key" \
  -certfile "$W/int.pem" -outform DER -out "$W/doc.txt.p7s"
assert_exit 0 ks verify "$W/doc.txt.p7s" --trust "$W/root.pem"
assert_exit 4 ks verify "$W/doc.txt.p7s" --trust "$W/root.pem" --revocation
assert_contains "$OUT" "result:    INDETERMINATE"
assert_contains "$OUT" "could not be"
assert_exit 4 ks verify "$W/doc.txt.p7s" --trust "$W/root.pem" --revocation --json
assert_contains "$OUT" '"revocation": "unavailable"'
assert_contains "$OUT" '"revocation_reason"'

note "an archive time-stamp (CAdES archive-time-stamp-v3) is not checked: INDETERMINATE, not BROKEN"
python3 - "$W/doc.txt.p7s" "$W/archived.p7s" "$(dirname "$0")" <<'PY' || fail "adding the attribute"
import sys; sys.path.insert(0, sys.argv[3])
from der import tlv, kids, enc
b = open(sys.argv[1], 'rb').read()
_, cs, ce = tlv(b, 0)
oid, ctx = kids(b, cs, ce)
_, sds, sde = tlv(b, ctx[2])
sis = kids(b, sds, sde)[-1]
si = kids(b, sis[2], sis[3])[0]
ats = bytes.fromhex('060604008d450204')   # archive-time-stamp-v3 (0.4.0.1733.2.4)
attr = enc(0x30, ats + enc(0x31, enc(0x30, bytes.fromhex('020101'))))
new_si = enc(0x30, b[si[2]:si[3]] + enc(0xa1, attr))
new_sd = enc(0x30, b[sds:sis[1]] + enc(0x31, new_si))
open(sys.argv[2], 'wb').write(enc(0x30, b[oid[1]:oid[3]] + enc(0xa0, new_sd)))
PY
openssl cms -verify -binary -inform DER -in "$W/archived.p7s" -content "$W/doc.txt" \
  -CAfile "$W/root.pem" -purpose any -out /dev/null 2>/dev/null || fail "openssl: the archived CMS"
assert_exit 4 ks verify "$W/archived.p7s" --content "$W/doc.txt" --trust "$W/root.pem"
assert_contains "$OUT" "integrity: intact"
assert_contains "$OUT" "archive time-stamp is not checked (not supported)"
assert_contains "$OUT" "result:    INDETERMINATE"

note "--revocation: the OCSP responder not answering, the CRL says revoked: INVALID"
mkdir -p "$W/intca" "$W/www"
: > "$W/intca/index.txt"; echo 01 > "$W/intca/crlnumber"
cat > "$W/intca/ca.cnf" <<CNF
[ ca ]
default_ca = ca_default
[ ca_default ]
database = $W/intca/index.txt
crlnumber = $W/intca/crlnumber
certificate = $W/int.pem
private_key = $W/int.key
default_md = sha256
default_crl_days = 30
CNF
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$W/www" "$port" >/dev/null 2>&1 &
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\ncrlDistributionPoints=URI:http://127.0.0.1:%s/int.crl\n' "$port" > "$W/crl.ext"
for who in revoked good; do
  openssl req -newkey rsa:2048 -nodes -keyout "$W/$who.key" -out "$W/$who.csr" -subj "/CN=Signer $who" 2>/dev/null
  openssl x509 -req -in "$W/$who.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
    -days 30 -extfile "$W/crl.ext" -out "$W/$who.pem" 2>/dev/null
  openssl cms -sign -binary -in "$W/doc.txt" -signer "$W/$who.pem" -inkey "$W/$who.key" \
    -certfile "$W/int.pem" -outform DER -out "$W/doc-$who.p7s"
done
openssl ca -config "$W/intca/ca.cnf" -revoke "$W/revoked.pem" >/dev/null 2>&1 || fail "openssl ca -revoke"
openssl ca -config "$W/intca/ca.cnf" -gencrl -out "$W/int.crl.pem" 2>/dev/null || fail "openssl ca -gencrl"
openssl crl -in "$W/int.crl.pem" -outform DER -out "$W/www/int.crl"
for i in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/int.crl" && break; sleep 0.1; done
assert_exit 1 ks verify "$W/doc-revoked.p7s" --content "$W/doc.txt" --trust "$W/root.pem" --revocation
assert_contains "$OUT" "result:    INVALID"
assert_contains "$OUT" "revoked"
# Good by the CRL, but the issuing CA names no responder nor CRL: open.
assert_exit 4 ks verify "$W/doc-good.p7s" --content "$W/doc.txt" --trust "$W/root.pem" --revocation
assert_contains "$OUT" "why:       a certificate names no OCSP responder or CRL"

note "--revocation: the OCSP responder answers \"unknown\" (and there is no CRL): INDETERMINATE, not revoked"
oport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:%s\n' "$oport" > "$W/unk.ext"
openssl req -newkey rsa:2048 -nodes -keyout "$W/unk.key" -out "$W/unk.csr" -subj "/CN=Signer unknown" 2>/dev/null
openssl x509 -req -in "$W/unk.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
  -days 30 -extfile "$W/unk.ext" -out "$W/unk.pem" 2>/dev/null
openssl cms -sign -binary -in "$W/doc.txt" -signer "$W/unk.pem" -inkey "$W/unk.key" \
  -certfile "$W/int.pem" -outform DER -out "$W/doc-unk.p7s"
: > "$W/unk-index.txt" # the responder knows no certificate
openssl ocsp -index "$W/unk-index.txt" -port "$oport" -rsigner "$W/int.pem" -rkey "$W/int.key" \
  -CA "$W/int.pem" -ignore_err >/dev/null 2>&1 &
for i in $(seq 50); do
  openssl ocsp -issuer "$W/int.pem" -cert "$W/unk.pem" -url "http://127.0.0.1:$oport" -noverify 2>/dev/null |
    grep -q unknown && break
  sleep 0.1
done
assert_exit 4 ks verify "$W/doc-unk.p7s" --content "$W/doc.txt" --trust "$W/root.pem" --revocation
assert_contains "$OUT" "does not know a certificate of the chain"
assert_not_contains "$OUT" "result:    INVALID"

note "the digest the signature names: SHA-384, SHA-512, SHA3-256 (PDF and .p7s)"
for md in sha384 sha512 sha3-256; do
  resign "$W/s.pdf" "$W/$md.pdf" "$md" attr
  cms_of "$W/$md.pdf" 1
  openssl_verify_ok
  assert_exit 0 ks verify "$W/$md.pdf" --trust "$W/root.pem"
  assert_contains "$OUT" "integrity: intact"
  openssl cms -sign -binary -in "$W/doc.txt" -signer "$W/pop.pem" -inkey "$W/pop.key" \
    -certfile "$W/int.pem" -md "$md" -outform DER -out "$W/doc-$md.p7s"
  openssl cms -verify -binary -inform DER -in "$W/doc-$md.p7s" -content "$W/doc.txt" \
    -CAfile "$W/root.pem" -purpose any -out /dev/null 2>/dev/null || fail "openssl: $md .p7s"
  assert_exit 0 ks verify "$W/doc-$md.p7s" --content "$W/doc.txt" --trust "$W/root.pem"
done
for md in sha384 sha512; do pdfsig_ok "$W/$md.pdf" 1; done
assert_exit 0 ks verify "$W/sha512.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"digest": "SHA512"'
# (pdfsig -add-signature makes SHA-256 only: the SHA-512 PDF is openssl's.)
printf 'changed\n' > "$W/doc2.txt"
assert_exit 1 ks verify "$W/doc-sha512.p7s" --content "$W/doc2.txt" --trust "$W/root.pem"
assert_contains "$OUT" "digest mismatch"

note "a digest algorithm verify does not know: said so, INDETERMINATE, never BROKEN"
python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
sha256 = bytes.fromhex("0609608648016503040201")   # 2.16.840.1.101.3.4.2.1
assert sha256 in b
open(sys.argv[2], "wb").write(b.replace(sha256, bytes.fromhex("0609608648016503040263")))' \
  "$W/doc.txt.p7s" "$W/unknown-md.p7s"
assert_exit 4 ks verify "$W/unknown-md.p7s" --content "$W/doc.txt" --trust "$W/root.pem"
assert_contains "$OUT" "the signature's digest algorithm is not supported"
assert_contains "$OUT" "result:    INDETERMINATE"
assert_not_contains "$OUT" "BROKEN"

note "a plain PKCS#7 without signed attributes verifies, not PAdES baseline"
resign "$W/s.pdf" "$W/noattr.pdf" sha256 noattr
pdfsig_ok "$W/noattr.pdf" 1
cms_of "$W/noattr.pdf" 1
openssl_verify_ok
assert_exit 0 ks verify "$W/noattr.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "PKCS#7 without signed attributes (not PAdES baseline)"
assert_exit 0 ks verify "$W/noattr.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"signed_attributes": false'
tamper "$W/noattr.pdf" "$W/noattr-t.pdf"
assert_exit 1 ks verify "$W/noattr-t.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "result:    INVALID"

note "anchors from the CA certificates on the user's token (as kyso-token register installs them)"
for ca in root int; do
  GNUTLS_PIN=$USER_PIN ext p11tool --provider "$(realpath "$MOD")" --login --write \
    --load-certificate "$W/$ca.pem" --label "ca-$ca" --mark-ca "pkcs11:serial=VD0001" >/dev/null 2>&1 \
    || fail "p11tool could not write the $ca CA certificate"
done
assert_exit 0 ks verify "$W/s.pdf"
assert_contains "$OUT" "(from the CA certificates on the token)"
assert_exit 4 ks verify "$W/self.pdf"
assert_contains "$OUT" "NOT TRUSTED"
# --trust wins over the token's.
assert_exit 4 ks verify "$W/s.pdf" --trust "$W/self.pem"

pass
