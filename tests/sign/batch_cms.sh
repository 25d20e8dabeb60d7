#!/usr/bin/env bash
# kyso-sign's CLI: a batch with one PIN (failures named, no output left for
# them, the batch goes on, exit code 1); encrypted and broken PDFs refused;
# a PDF already signed by poppler's pdfsig; EC P-256 keys; CAdES detached
# (.p7s) checked by openssl cms -verify; wrong PIN; --help.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token BC0001 01 rsa:2048 "Tran Thi B"
nss_db

assert_exit 0 ks --help
assert_contains "$OUT" "kyso-sign pdf|cms"
assert_exit 2 ks pdf
assert_exit 2 ks frobnicate x.pdf

note "inputs"
mkdir -p "$W/in" "$W/out"
for i in 1 2 3; do
  gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in/doc$i.pdf" \
    -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hoa don so $i) show showpage" \
    >/dev/null 2>&1
done
cp "$GEN/enc-rc4-40.pdf" "$W/in/locked.pdf"
cp "$GEN/xref-keyword-missing.pdf" "$W/in/broken.pdf"
cp "$GEN/xref-loop.pdf" "$W/in/loop.pdf"

note "a batch: one PIN line for all files; bad files named, the rest signed"
assert_exit 1 ks pdf "$W/in/doc1.pdf" "$W/in/locked.pdf" "$W/in/doc2.pdf" \
  "$W/in/broken.pdf" "$W/in/missing.pdf" "$W/in/loop.pdf" "$W/in/doc3.pdf" \
  --outdir "$W/out" --token BC0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "locked.pdf: not signed: the file is encrypted"
assert_contains "$OUT" "broken.pdf: not signed"
assert_contains "$OUT" "missing.pdf: not signed: the file does not exist"
assert_contains "$OUT" "loop.pdf: not signed: the cross-reference sections form a loop"
assert_contains "$OUT" "4 of 7 files failed"
for i in 1 2 3; do
  pdfsig_ok "$W/out/doc$i.pdf" 1
  qpdf_ok "$W/out/doc$i.pdf"
done
left=$(ls "$W/out" | sort | tr '\n' ' ')
assert_eq "$left" "doc1.pdf doc2.pdf doc3.pdf " "only the good files have outputs (no temp files)"

note "all good: exit 0"
assert_exit 0 ks pdf "$W/in/doc1.pdf" "$W/in/doc2.pdf" --token sign-BC0001 --pin-fd 3 3<<<"$USER_PIN"
[ -s "$W/in/doc1.signed.pdf" ] && [ -s "$W/in/doc2.signed.pdf" ] || fail "default output names"

note "a wrong PIN: exit 3, nothing written"
assert_exit 3 ks pdf "$W/in/doc3.pdf" -o "$W/wrong.pdf" --token BC0001 --pin-fd 3 3<<<"00000000"
assert_contains "$OUT" "PIN is incorrect"
[ ! -e "$W/wrong.pdf" ] || fail "output written with a wrong PIN"

note "a PDF signed by poppler's pdfsig -add-signature, then by us"
pdfsig_signer
pdfsig -nssdir "sql:$W/nss" -add-signature -nick popsigner "$W/in/doc3.pdf" "$W/pop.pdf" >/dev/null 2>&1 || true
pdfsig_ok "$W/pop.pdf" 1
ks pdf "$W/pop.pdf" -o "$W/pop2.pdf" --token BC0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/pop2.pdf" 2
qpdf_ok "$W/pop2.pdf"
cms_of "$W/pop2.pdf" 2
openssl_verify_ok
assert_exit 0 ks verify "$W/pop2.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "Poppler Signer"
assert_contains "$OUT" "level:     PKCS#7"
assert_contains "$OUT" "only later signatures"

note "CAdES detached: FILE -> FILE.p7s, checked by openssl"
head -c 200000 /dev/urandom > "$W/contract.bin"
ks cms "$W/contract.bin" --token BC0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
[ -s "$W/contract.bin.p7s" ] || fail "no .p7s"
openssl cms -verify -binary -inform DER -in "$W/contract.bin.p7s" -content "$W/contract.bin" \
  -CAfile "$W/root.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl: $(cat "$W/e")"
attrs=$(openssl cms -cmsout -print -inform DER -in "$W/contract.bin.p7s")
# CAdES B-B (ETSI EN 319 122-1): content-type, message-digest,
# signing-certificate-v2 and signing-time, all signed.
signed=$(printf '%s\n' "$attrs" | sed -n '/signedAttrs:/,/signatureAlgorithm:/p')
assert_contains "$signed" "contentType"
assert_contains "$signed" "messageDigest"
assert_contains "$signed" "id-smime-aa-signingCertificateV2"
assert_contains "$signed" "signingTime"
printf '%s\n' "$signed" | grep -A3 "signingTime" | grep -Eq "UTCTIME:[A-Z][a-z]{2} +[0-9]+ [0-9:]{8} [0-9]{4} GMT" ||
  fail "signing-time is not a UTCTime: $signed"
assert_exit 0 ks verify "$W/contract.bin.p7s" --trust "$W/root.pem"
assert_contains "$OUT" "Tran Thi B"
cp "$W/contract.bin" "$W/changed.bin"
printf '\x00' | dd of="$W/changed.bin" bs=1 seek=1000 conv=notrunc 2>/dev/null
cmp -s "$W/contract.bin" "$W/changed.bin" && printf '\x01' | dd of="$W/changed.bin" bs=1 seek=1000 conv=notrunc 2>/dev/null
if openssl cms -verify -binary -inform DER -in "$W/contract.bin.p7s" -content "$W/changed.bin" \
    -CAfile "$W/root.pem" -purpose any -out /dev/null 2>/dev/null; then
  fail "openssl accepted a changed file"
fi
assert_exit 1 ks verify "$W/contract.bin.p7s" --content "$W/changed.bin"
assert_contains "$OUT" "BROKEN"

note "EC P-256 key: PAdES and CAdES"
signing_token EC0001 02 EC:prime256v1 "Le Van C"
ks pdf "$W/in/doc1.pdf" -o "$W/ec.pdf" --token EC0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/ec.pdf" 1
qpdf_ok "$W/ec.pdf"
cms_of "$W/ec.pdf" 1
openssl_verify_ok
assert_exit 0 ks verify "$W/ec.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "Le Van C"
# Without --chain: the verifier brings the intermediate itself.
ks cms "$W/contract.bin" -o "$W/ec.p7s" --token EC0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/ec.p7s" -content "$W/contract.bin" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl (EC): $(cat "$W/e")"

note "an unsigned time-stamp attribute that is junk makes the CMS invalid (it is not B-T)"
# der.py (beside this script): reading and writing DER by hand.
python3 - "$W/contract.bin.p7s" "$W/junk-ts.p7s" "$(dirname "$0")" <<'PY' || fail "adding the attribute"
import sys; sys.path.insert(0, sys.argv[3])
b = open(sys.argv[1], 'rb').read()
from der import tlv, kids, enc
_, cs, ce = tlv(b, 0)                      # ContentInfo
oid, ctx = kids(b, cs, ce)
_, sds, sde = tlv(b, ctx[2])               # SignedData
sd = kids(b, sds, sde)
sis = sd[-1]                               # SignerInfos SET
si = kids(b, sis[2], sis[3])[0]
ts_oid = bytes.fromhex('060b2a864886f70d010910020e')   # id-aa-timeStampToken
attr = enc(0x30, ts_oid + enc(0x31, enc(0x30, bytes.fromhex('020101'))))
new_si = enc(0x30, b[si[2]:si[3]] + enc(0xa1, attr))
new_sd = enc(0x30, b[sds:sis[1]] + enc(0x31, new_si))
out = enc(0x30, b[oid[1]:oid[3]] + enc(0xa0, new_sd))
open(sys.argv[2], 'wb').write(out)
PY
openssl cms -cmsout -print -inform DER -in "$W/junk-ts.p7s" > "$W/junk.txt" 2>&1 || fail "the edited CMS does not parse: $(cat "$W/junk.txt")"
grep -q "id-smime-aa-timeStampToken" "$W/junk.txt" || fail "the attribute is not there"
# No anchor: INDETERMINATE (4); the junk time-stamp makes it INVALID (1).
assert_exit 4 ks verify "$W/contract.bin.p7s" --content "$W/contract.bin" --json
assert_exit 1 ks verify "$W/junk-ts.p7s" --content "$W/contract.bin" --json
assert_contains "$OUT" '"timestamp_valid": false'
assert_contains "$OUT" '"valid": false'

note "the signer's certificate swapped for another one of the same key: signing-certificate-v2 says no"
openssl req -utf8 -newkey rsa:2048 -nodes -keyout "$W/throwaway2.key" -out "$W/other.csr" \
  -subj "/C=VN/O=Cong ty Khac/CN=Nguoi Khac" 2>/dev/null
openssl x509 -req -in "$W/other.csr" -force_pubkey "$W/pub01.pem" -CA "$W/int.pem" -CAkey "$W/int.key" \
  -set_serial 0x7777 -days 365 -extfile "$W/ee.ext" -outform DER -out "$W/other.der" 2>/dev/null
python3 - "$W/contract.bin.p7s" "$W/cert01.der" "$W/other.der" "$W/swapped.p7s" "$(dirname "$0")" <<'PY' || fail "swapping the certificate"
import sys; sys.path.insert(0, sys.argv[5])
b = open(sys.argv[1], 'rb').read()
old, new = open(sys.argv[2], 'rb').read(), open(sys.argv[3], 'rb').read()
from der import tlv, kids, enc
def serial_of(cert):
    _, cs, ce = tlv(cert, 0)
    tbs = kids(cert, cs, ce)[0]
    k = kids(cert, tbs[2], tbs[3])
    return cert[k[1][1]:k[1][3]]          # [0] version, then serialNumber
_, cs, ce = tlv(b, 0)
oid, ctx = kids(b, cs, ce)
_, sds, sde = tlv(b, ctx[2])
parts = []
sdk = kids(b, sds, sde)
for idx, (t, s0, c0, e0) in enumerate(sdk):
    part = b[s0:e0]
    if t == 0xa0:                         # the certificates
        assert old in part
        part = enc(0xa0, b[c0:e0].replace(old, new))
    elif idx == len(sdk) - 1:             # SignerInfos: the sid's serial
        si = kids(b, c0, e0)[0]
        sk = kids(b, si[2], si[3])
        sid = sk[1]
        if sid[0] == 0x30:                # issuerAndSerialNumber
            ik = kids(b, sid[2], sid[3])
            assert b[ik[1][1]:ik[1][3]] == serial_of(old)
            new_sid = enc(0x30, b[ik[0][1]:ik[0][3]] + serial_of(new))
        else:                             # subjectKeyIdentifier: same key
            new_sid = b[sid[1]:sid[3]]
        part = enc(0x31, enc(0x30, b[sk[0][1]:sk[0][3]] + new_sid + b[sk[2][1]:si[3]]))
    parts.append(part)
out = enc(0x30, b[oid[1]:oid[3]] + enc(0xa0, enc(0x30, b''.join(parts))))
open(sys.argv[4], 'wb').write(out)
PY
assert_exit 1 ks verify "$W/swapped.p7s" --content "$W/contract.bin" --trust "$W/root.pem" --json
assert_contains "$OUT" "signing-certificate-v2"
assert_contains "$OUT" '"valid": false'
pass
