#!/usr/bin/env bash
# XML-DSig with the SHA-2 family (RFC 6931): xmlsec1 signs templates
# naming rsa-sha224/256/384/512 and ecdsa-sha224/256/384/512 with the
# digest methods sha224/256/384/512, with RSA, EC P-256 and P-384 keys
# from the test CA; xmlsec1 --verify accepts each, and kyso-sign verify
# says VALID (with --trust) and names the digest; one changed amount is
# INVALID. SHA-1 (rsa-sha1, a sha1 reference) is INDETERMINATE with the
# reason. A template whose references ask for SHA-512 is filled by
# kyso-sign with SHA-512 digests (xmlsec1 checks them); one asking for
# SHA-1 is refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$W/ee.ext"
# key NAME OPENSSL-NEWKEY-ARGS...: a software signer from the test CA.
key() {
  local name=$1; shift
  openssl req -newkey "$@" -nodes -keyout "$W/$name.key" -out "$W/$name.csr" \
    -subj "/C=VN/O=Cong ty Kyso/CN=Signer $name" 2>/dev/null
  openssl x509 -req -in "$W/$name.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
    -days 30 -extfile "$W/ee.ext" -out "$W/$name.pem" 2>/dev/null
}
key rsa rsa:2048
key p256 ec -pkeyopt ec_paramgen_curve:P-256
key p384 ec -pkeyopt ec_paramgen_curve:P-384

DS=http://www.w3.org/2000/09/xmldsig#
MORE=http://www.w3.org/2001/04/xmldsig-more#
ENC=http://www.w3.org/2001/04/xmlenc#
# digest_uri BITS: RFC 6931's URI of SHA-BITS.
digest_uri() {
  case $1 in
    1) echo "${DS}sha1" ;; 224) echo "${MORE}sha224" ;; 256) echo "${ENC}sha256" ;;
    384) echo "${MORE}sha384" ;; 512) echo "${ENC}sha512" ;;
  esac
}
# invoice SIGNATURE-METHOD DIGEST-METHOD: an invoice with a template.
invoice() {
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="data"><TTChung><SHDon>42</SHDon></TTChung><TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></DLHDon>
  <DSCKS><NBan><Signature xmlns="$DS"><SignedInfo>
    <CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <SignatureMethod Algorithm="$1"/>
    <Reference URI=""><Transforms><Transform Algorithm="${DS}enveloped-signature"/>
      <Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>
      <DigestMethod Algorithm="$2"/><DigestValue/></Reference>
  </SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature></NBan></DSCKS>
</HDon>
XML
}
# xs_sign KEY SIGALG DIGEST OUT: xmlsec1 signs the template.
xs_sign() {
  invoice "$2" "$3" > "$W/t.xml"
  xmlsec1 --sign --privkey-pem "$W/$1.key,$W/$1.pem,$W/int.pem" --output "$4" "$W/t.xml" \
    2>"$W/xs.err" || fail "xmlsec1 could not sign with $2 / $3: $(cat "$W/xs.err")"
  xmlsec1 --verify --trusted-pem "$W/root.pem" "$4" >"$W/xv.out" 2>&1 \
    || fail "xmlsec1 --verify $2 / $3: $(cat "$W/xv.out")"
}
# json_field FIELD: the first signature's FIELD in $OUT (kyso-sign --json).
json_field() {
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0]["signatures"][0][sys.argv[2]])' "$OUT" "$1"
}

note "RSA and ECDSA with SHA-224/256/384/512 (xmlsec1's signatures): VALID, the digest named"
# check KEY BITS DBITS: xmlsec1 signs with KEY, rsa/ecdsa-shaBITS and a
# shaDBITS reference; kyso-sign verify says VALID and names SHA-BITS.
check() {
  local alg=rsa f="$W/s-$1-$2-$3.xml"
  [ "$1" = rsa ] || alg=ecdsa
  xs_sign "$1" "${MORE}$alg-sha$2" "$(digest_uri "$3")" "$f"
  assert_exit 0 ks verify "$f" --trust "$W/root.pem" --json
  assert_eq "$(json_field verdict)" VALID "$alg-sha$2 with a sha$3 reference: $OUT"
  assert_eq "$(json_field digest)" "SHA$2" "the digest of $alg-sha$2"
}
# Every method with RSA and with P-384; P-256 with ecdsa-sha256 (and
# below, ecdsa-sha384).
for k in rsa p384; do
  for bits in 224 256 384 512; do
    check "$k" "$bits" "$bits"
  done
done
check p256 256 256
# A reference's digest other than the signature method's.
check rsa 256 512
check p256 384 224
check p384 512 256
assert_exit 0 ks verify "$W/s-p384-384-384.xml" --trust "$W/root.pem"
assert_contains "$OUT" "Signer p384"
assert_contains "$OUT" "digest:    SHA384"
assert_contains "$OUT" "result:    VALID"

note "a changed amount: INVALID (xmlsec1 agrees)"
for f in s-rsa-512-512 s-p256-384-224 s-p384-512-256; do
  sed 's/1100000/9100000/' "$W/$f.xml" > "$W/bad.xml"
  cmp -s "$W/$f.xml" "$W/bad.xml" && fail "the tamper did not change $f"
  if xmlsec1 --verify --trusted-pem "$W/root.pem" "$W/bad.xml" >/dev/null 2>&1; then
    fail "xmlsec1 accepted a changed $f"
  fi
  assert_exit 1 ks verify "$W/bad.xml" --trust "$W/root.pem"
  assert_contains "$OUT" "digest mismatch"
  assert_contains "$OUT" "result:    INVALID"
done
# The signature value itself changed (a SignedInfo digest that differs).
python3 - "$W/s-rsa-384-384.xml" "$W/badsv.xml" <<'PY'
import re, sys
d = open(sys.argv[1], encoding='utf-8').read()
d2 = re.sub(r'(<SignatureMethod Algorithm="[^"]*)384"', r'\g<1>512"', d)
assert d2 != d
open(sys.argv[2], 'w', encoding='utf-8').write(d2)
PY
assert_exit 1 ks verify "$W/badsv.xml" --trust "$W/root.pem"
assert_contains "$OUT" "the signature value does not verify"

note "SHA-1: INDETERMINATE, with the reason"
xs_sign rsa "${DS}rsa-sha1" "$(digest_uri 1)" "$W/sha1.xml"
assert_exit 4 ks verify "$W/sha1.xml" --trust "$W/root.pem"
assert_contains "$OUT" "SHA-1 is no longer accepted"
assert_contains "$OUT" "result:    INDETERMINATE"
xs_sign p256 "${MORE}ecdsa-sha256" "$(digest_uri 1)" "$W/sha1ref.xml"
assert_exit 4 ks verify "$W/sha1ref.xml" --trust "$W/root.pem" --json
assert_eq "$(json_field verdict)" INDETERMINATE "a sha1 reference"
assert_contains "$(json_field problem)" "SHA-1 is no longer accepted"

note "kyso-sign fills a template whose references ask for SHA-512; SHA-1 is refused"
signing_token XS0001 01 rsa:2048 "Cong ty TNHH Kyso"
invoice "${MORE}rsa-sha256" "$(digest_uri 512)" > "$W/t512.xml"
ks xml "$W/t512.xml" -o "$W/k512.xml" --token XS0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
python3 - "$W/k512.xml" <<'PY' || fail "the SHA-512 reference is not filled"
import base64, sys, xml.etree.ElementTree as ET
ds = '{http://www.w3.org/2000/09/xmldsig#}'
s = ET.parse(sys.argv[1]).getroot().find('.//' + ds + 'Signature')
dv = s.find('.//' + ds + 'DigestValue').text
assert len(base64.b64decode(dv)) == 64, dv
PY
xmlsec1 --verify --trusted-pem "$W/root.pem" "$W/k512.xml" >"$W/xv.out" 2>&1 \
  || fail "xmlsec1 --verify (kyso-sign, SHA-512 reference): $(cat "$W/xv.out")"
assert_exit 0 ks verify "$W/k512.xml" --trust "$W/root.pem"
invoice "${MORE}rsa-sha256" "$(digest_uri 1)" > "$W/t1.xml"
assert_exit 1 ks xml "$W/t1.xml" -o "$W/k1.xml" --token XS0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "SHA-1 is no longer accepted"
[ ! -e "$W/k1.xml" ] || fail "an output for a SHA-1 template"
pass
