#!/usr/bin/env bash
# XML-DSig enveloped signatures on a Vietnamese e-invoice: the whole
# document (URI="") and the invoice data by Id with the signature under
# the seller's signature slot, exclusive and inclusive C14N, RSA and EC
# keys; checked by xmlsec1 --verify against our root. A changed amount
# makes xmlsec1 fail.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token XD0001 01 rsa:2048 "Cong ty TNHH Kyso"

cat > "$W/invoice.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<HDon xmlns:inv="urn:example:einvoice">
  <DLHDon Id="data">
    <TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon><SHDon>42</SHDon></TTChung>
    <NDHDon>
      <NBan><Ten>Công ty TNHH Kyso</Ten><MST>0101234567</MST></NBan>
      <NMua><Ten>Nguyễn Văn A</Ten></NMua>
      <TToan><TgTTTBSo>1100000</TgTTTBSo></TToan>
    </NDHDon>
  </DLHDon>
  <DSCKS><NBan/><NMua/></DSCKS>
</HDon>
XML

verify_xml() {
  xmlsec1 --verify --trusted-pem "$W/root.pem" "$@" >"$W/xv.out" 2>&1 \
    || fail "xmlsec1 --verify failed: $(cat "$W/xv.out")"
}

note "the whole document, exclusive C14N (default), under the root"
ks xml "$W/invoice.xml" --token XD0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
[ -s "$W/invoice.signed.xml" ] || fail "no output"
verify_xml "$W/invoice.signed.xml"
grep -q 'URI=""' "$W/invoice.signed.xml" || fail "no URI=\"\" reference"
grep -q 'xml-exc-c14n' "$W/invoice.signed.xml" || fail "not exclusive C14N"
grep -q '<X509Certificate>' "$W/invoice.signed.xml" || fail "no certificate in KeyInfo"

note "the invoice data by Id, placed under DSCKS/NBan, inclusive C14N"
ks xml "$W/invoice.xml" -o "$W/byid.xml" --id data --parent DSCKS/NBan --c14n inclusive \
  --token XD0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
verify_xml --id-attr:Id DLHDon "$W/byid.xml"
python3 - "$W/byid.xml" <<'PY' || fail "the signature is not under DSCKS/NBan"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
assert r.find('DSCKS/NBan/{http://www.w3.org/2000/09/xmldsig#}Signature') is not None
PY

note "kyso-sign verify agrees, and reads xmlsec1's own signatures"
assert_exit 0 ks verify "$W/invoice.signed.xml" "$W/byid.xml" --trust "$W/root.pem"
assert_contains "$OUT" "Cong ty TNHH Kyso"
assert_contains "$OUT" "level:     XML-DSig"
# A template signed by xmlsec1 with a software key from our CA.
openssl req -newkey rsa:2048 -nodes -keyout "$W/x.key" -out "$W/x.csr" -subj "/CN=Xmlsec Signer" 2>/dev/null
openssl x509 -req -in "$W/x.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial -days 30 \
  -extfile "$W/ee.ext" -out "$W/x.pem" 2>/dev/null
python3 - "$W/invoice.xml" "$W/tmpl.xml" <<'PY'
import sys
d = open(sys.argv[1], encoding='utf-8').read()
t = ('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
     '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
     '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
     '<Reference URI=""><Transforms>'
     '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
     '<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
     '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/>'
     '</Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>')
open(sys.argv[2], 'w', encoding='utf-8').write(d.replace('</HDon>', t + '</HDon>'))
PY
xmlsec1 --sign --privkey-pem "$W/x.key,$W/x.pem,$W/int.pem" --output "$W/xmlsec-signed.xml" "$W/tmpl.xml" 2>/dev/null \
  || fail "xmlsec1 could not sign the template"
assert_exit 0 ks verify "$W/xmlsec-signed.xml" --trust "$W/root.pem"
assert_contains "$OUT" "Xmlsec Signer"
# As Vietnamese e-invoice signers do: the invoice data by Id, and a
# SigningTime in an Object inside the signature, referenced too.
python3 - "$W/invoice.xml" "$W/tmpl2.xml" <<'PY'
import sys
d = open(sys.argv[1], encoding='utf-8').read()
ref = ('<Reference URI="#%s"><Transforms>'
       '<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
       '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference>')
t = ('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
     '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
     '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
     + ref % 'data' + ref % 'proptime' +
     '</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo>'
     '<Object Id="proptime"><SignatureProperties><SignatureProperty Target="#sig">'
     '<SigningTime>2026-11-22T10:00:00</SigningTime></SignatureProperty></SignatureProperties></Object>'
     '</Signature>')
open(sys.argv[2], 'w', encoding='utf-8').write(d.replace('<NBan/><NMua/>', '<NBan>' + t + '</NBan><NMua/>'))
PY
xmlsec1 --sign --id-attr:Id DLHDon --id-attr:Id Object --privkey-pem "$W/x.key,$W/x.pem,$W/int.pem" \
  --output "$W/xmlsec-props.xml" "$W/tmpl2.xml" 2>"$W/xs.err" || fail "xmlsec1 could not sign: $(cat "$W/xs.err")"
assert_exit 0 ks verify "$W/xmlsec-props.xml" --trust "$W/root.pem"
assert_contains "$OUT" "result:    VALID"

note "one changed amount fails xmlsec1"
sed 's/1100000/9100000/' "$W/byid.xml" > "$W/bad.xml"
cmp -s "$W/byid.xml" "$W/bad.xml" && fail "the tamper did not change the file"
if xmlsec1 --verify --trusted-pem "$W/root.pem" --id-attr:Id DLHDon "$W/bad.xml" >/dev/null 2>&1; then
  fail "xmlsec1 accepted a changed invoice"
fi
sed 's/Nguyễn Văn A/Nguyễn Văn B/' "$W/invoice.signed.xml" > "$W/bad2.xml"
if xmlsec1 --verify --trusted-pem "$W/root.pem" "$W/bad2.xml" >/dev/null 2>&1; then
  fail "xmlsec1 accepted a changed document"
fi
assert_exit 1 ks verify "$W/bad.xml" --trust "$W/root.pem"
assert_contains "$OUT" "digest mismatch"
assert_exit 1 ks verify "$W/bad2.xml" --trust "$W/root.pem"
assert_contains "$OUT" "BROKEN"
assert_exit 4 ks verify "$W/invoice.signed.xml" --trust "$W/x.pem"
assert_contains "$OUT" "NOT TRUSTED"

note "an unknown Id, a malformed file: clear error, no output"
assert_exit 1 ks xml "$W/invoice.xml" -o "$W/x.xml" --id nope --token XD0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "no element has that Id"
printf '<a><b></a>' > "$W/broken.xml"
assert_exit 1 ks xml "$W/broken.xml" -o "$W/y.xml" --token XD0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "not well-formed"
[ ! -e "$W/x.xml" ] && [ ! -e "$W/y.xml" ] || fail "an output was left"

note "the element signed by Id is named in the report"
assert_exit 0 ks verify "$W/byid.xml" --trust "$W/root.pem"
assert_contains "$OUT" "signed:    the element /HDon/DLHDon only"

note "signature wrapping: the signed element moved into a container, a forged one in its place"
python3 - "$W/byid.xml" "$W/wrapped.xml" "$W/dupid.xml" <<'PY' || fail "wrapping the signed invoice"
import sys
d = open(sys.argv[1], encoding='utf-8').read()
a, b = d.index('<DLHDon Id="data">'), d.index('</DLHDon>') + len('</DLHDon>')
signed = d[a:b]
forged = signed.replace(' Id="data"', '').replace('1100000', '9900000')
# The forged invoice where a reader looks; the signed one hidden away.
open(sys.argv[2], 'w', encoding='utf-8').write(d[:a] + forged + '<Hidden>' + signed + '</Hidden>' + d[b:])
# A second element with the same Id before the signed one.
open(sys.argv[3], 'w', encoding='utf-8').write(d[:a] + forged.replace('<DLHDon>', '<DLHDon Id="data">') + signed + d[b:])
PY
assert_exit 1 ks verify "$W/wrapped.xml" --trust "$W/root.pem"
assert_contains "$OUT" "signature wrapping"
assert_contains "$OUT" "INVALID"
assert_exit 1 ks verify "$W/dupid.xml" --trust "$W/root.pem"
assert_contains "$OUT" "signature wrapping"
# The signed element moved away together with its signature.
python3 - "$W/byid.xml" "$W/moved.xml" <<'PY' || fail "moving the signed invoice"
import re, sys
d = open(sys.argv[1], encoding='utf-8').read()
a, b = d.index('<DLHDon Id="data">'), d.index('</DLHDon>') + len('</DLHDon>')
signed = d[a:b]
forged = signed.replace(' Id="data"', '').replace('1100000', '9900000')
rest = d[:a] + forged + d[b:]
i = rest.index('<NBan>') + len('<NBan>')
open(sys.argv[2], 'w', encoding='utf-8').write(rest[:i] + signed + rest[i:])
PY
assert_exit 1 ks verify "$W/moved.xml" --trust "$W/root.pem"
assert_contains "$OUT" "signature wrapping"

note "a DTD added to a signed document (its default attributes are outside what is signed)"
python3 - "$W/invoice.signed.xml" "$W/dtd.xml" <<'PY' || fail "adding a DTD"
import sys
d = open(sys.argv[1], encoding='utf-8').read()
i = d.index('<HDon')
open(sys.argv[2], 'w', encoding='utf-8').write(
    d[:i] + '<!DOCTYPE HDon [<!ATTLIST DLHDon TrangThai CDATA "DaThanhToan">]>\n' + d[i:])
PY
assert_exit 1 ks verify "$W/dtd.xml" --trust "$W/root.pem"
assert_contains "$OUT" "DTD"

note "signing an XML with a DTD: refused in one line of ours, no raw libxml2 lines"
# An internal entity made libxml2's C14N print "C14N error : ..." lines.
cat > "$W/withdtd.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE HDon [ <!ENTITY ten "Công ty TNHH Kyso"> ]>
<HDon><DLHDon Id="data"><Ten>&ten;</Ten></DLHDon></HDon>
XML
set +e
"$KS" xml "$W/withdtd.xml" -o "$W/withdtd.signed.xml" --token XD0001 --pin-fd 3 \
  3<<<"$USER_PIN" >/dev/null 2>"$W/dtd.err"
rc=$?
set -e
assert_eq "$rc" 1 "exit code for an XML with a DTD"
assert_eq "$(wc -l < "$W/dtd.err" | tr -d ' ')" 1 "lines on stderr: $(cat "$W/dtd.err")"
assert_contains "$(cat "$W/dtd.err")" "not signed: the XML file has a DTD"
assert_not_contains "$(cat "$W/dtd.err")" "C14N error"
[ ! -e "$W/withdtd.signed.xml" ] || fail "an output for an XML with a DTD"

note "EC P-256 key"
signing_token XE0001 02 EC:prime256v1 "Ho Kinh Doanh E"
ks xml "$W/invoice.xml" -o "$W/ec.xml" --token XE0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
verify_xml "$W/ec.xml"
assert_exit 0 ks verify "$W/ec.xml" --trust "$W/root.pem"
pass
