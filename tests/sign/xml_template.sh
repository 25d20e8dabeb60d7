#!/usr/bin/env bash
# An e-invoice that already holds empty <Signature> templates (one per
# party, as Vietnamese e-invoice software makes them): kyso-sign fills the
# first (its algorithms and references, its Object's SigningTime, its
# X509SubjectName) instead of adding a second signature; xmlsec1 and our
# own verify accept it; the buyer then fills the second. A signature of
# our own carries the signing time in a referenced Object too. A template
# asking for what the key cannot do is refused with the reason.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token XT0001 01 rsa:2048 "Cong ty TNHH Kyso"
signing_token XT0002 02 rsa:2048 "Nguyen Van Mua"

# tmpl ID SIGALG: a seller/buyer signature template.
tmpl() {
  cat <<XML
<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="$1">
        <SignedInfo>
          <CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
          <SignatureMethod Algorithm="$2"/>
          <Reference URI="#data">
            <Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>
            <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
            <DigestValue/>
          </Reference>
          <Reference URI="#$1-time">
            <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
            <DigestValue/>
          </Reference>
        </SignedInfo>
        <SignatureValue/>
        <KeyInfo><X509Data><X509SubjectName/><X509Certificate/></X509Data></KeyInfo>
        <Object Id="$1-time"><SignatureProperties><SignatureProperty Target="#$1"><SigningTime/></SignatureProperty></SignatureProperties></Object>
      </Signature>
XML
}
RSA=http://www.w3.org/2001/04/xmldsig-more#rsa-sha256
invoice() {
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="data">
    <TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><SHDon>42</SHDon></TTChung>
    <NDHDon><NBan><Ten>Công ty TNHH Kyso</Ten></NBan><TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon>
  </DLHDon>
  <DSCKS>
    <NBan>
      $(tmpl seller "$1")
    </NBan>
    <NMua>
      $(tmpl buyer "$RSA")
    </NMua>
  </DSCKS>
</HDon>
XML
}
invoice "$RSA" > "$W/inv.xml"
count_sigs() { grep -o '<Signature ' "$1" | wc -l | tr -d ' '; }

note "the seller's template filled, no second signature"
ks xml "$W/inv.xml" -o "$W/s.xml" --token XT0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
assert_eq "$(count_sigs "$W/s.xml")" 2 "signatures in the document (two templates)"
python3 - "$W/s.xml" <<'PY' || fail "the seller's template is not filled as it should be"
import re, sys, xml.etree.ElementTree as ET
ds = '{http://www.w3.org/2000/09/xmldsig#}'
r = ET.parse(sys.argv[1]).getroot()
s = r.find('DSCKS/NBan/' + ds + 'Signature')
b = r.find('DSCKS/NMua/' + ds + 'Signature')
assert s.get('Id') == 'seller'
assert len(s.find(ds + 'SignatureValue').text.strip()) > 300
assert all(len((d.text or '').strip()) == 44 for d in s.iter(ds + 'DigestValue'))
assert len(list(s.iter(ds + 'Reference'))) == 2
t = s.find('.//' + ds + 'SigningTime').text
assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d', t), t
assert 'CN=Cong ty TNHH Kyso' in s.find('.//' + ds + 'X509SubjectName').text
assert len(list(s.iter(ds + 'X509Certificate'))) == 2      # signer + --chain
assert s.find(ds + 'SignedInfo/' + ds + 'CanonicalizationMethod').get('Algorithm').endswith('REC-xml-c14n-20010315')
assert not (b.find(ds + 'SignatureValue').text or '').strip()  # the buyer's stays empty
PY
xmlsec1 --verify --trusted-pem "$W/root.pem" --id-attr:Id DLHDon --id-attr:Id "http://www.w3.org/2000/09/xmldsig#:Signature" --node-id seller "$W/s.xml" >"$W/xv.out" 2>&1 \
  || fail "xmlsec1 --verify (seller): $(cat "$W/xv.out")"
ks verify "$W/s.xml" --trust "$W/root.pem" > "$W/v.out" 2>&1 || true
assert_contains "$(cat "$W/v.out")" "Cong ty TNHH Kyso"
grep -A12 "Cong ty TNHH Kyso" "$W/v.out" | grep -q "integrity: intact" \
  || fail "kyso-sign verify: the seller's signature is not intact: $(cat "$W/v.out")"

note "then the buyer fills the second; both verify"
ks xml "$W/s.xml" -o "$W/sb.xml" --token XT0002 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
assert_eq "$(count_sigs "$W/sb.xml")" 2 "signatures after the buyer"
for id in seller buyer; do
  xmlsec1 --verify --trusted-pem "$W/root.pem" --id-attr:Id DLHDon --id-attr:Id "http://www.w3.org/2000/09/xmldsig#:Signature" --node-id $id "$W/sb.xml" >"$W/xv.out" 2>&1 \
    || fail "xmlsec1 --verify ($id): $(cat "$W/xv.out")"
done
assert_exit 0 ks verify "$W/sb.xml" --trust "$W/root.pem"
assert_contains "$OUT" "Nguyen Van Mua"

note "no template left: a new signature (with its signing time) is added"
ks xml "$W/sb.xml" -o "$W/sbc.xml" --token XT0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
assert_eq "$(count_sigs "$W/sbc.xml")" 3 "a third signature"

note "a signature of our own carries the signing time in a referenced Object"
sed -e '/<Signature /,/<\/Signature>/d' "$W/inv.xml" > "$W/plain.xml"
ks xml "$W/plain.xml" -o "$W/p.xml" --token XT0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
python3 - "$W/p.xml" <<'PY' || fail "no signing time in our signature"
import re, sys, xml.etree.ElementTree as ET
ds = '{http://www.w3.org/2000/09/xmldsig#}'
s = ET.parse(sys.argv[1]).getroot().find(ds + 'Signature')
obj = s.find(ds + 'Object')
t = obj.find('.//' + ds + 'SigningTime').text
assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d', t), t
uris = [r.get('URI') for r in s.iter(ds + 'Reference')]
assert uris == ['', '#' + obj.get('Id')], uris
assert s.find('.//' + ds + 'SignatureProperty').get('Target') == '#' + s.get('Id')
PY
xmlsec1 --verify --trusted-pem "$W/root.pem" "$W/p.xml" >"$W/xv.out" 2>&1 \
  || fail "xmlsec1 --verify (ours): $(cat "$W/xv.out")"
assert_exit 0 ks verify "$W/p.xml" --trust "$W/root.pem"
# The signing time is signed: changing it breaks the signature.
sed -e 's|<SigningTime>[^<]*<|<SigningTime>2020-01-01T00:00:00<|' "$W/p.xml" > "$W/pt.xml"
if xmlsec1 --verify --trusted-pem "$W/root.pem" "$W/pt.xml" >/dev/null 2>&1; then
  fail "xmlsec1 accepted a changed signing time"
fi

note "a template the key cannot fill is refused with the reason"
invoice "http://www.w3.org/2000/09/xmldsig#rsa-sha1" > "$W/sha1.xml"
assert_exit 1 ks xml "$W/sha1.xml" -o "$W/x.xml" --token XT0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "the signature template asks for another signature method than the token's RSA key"
assert_exit 1 env LANG=vi_VN.UTF-8 "$KS" xml "$W/sha1.xml" -o "$W/x.xml" --token XT0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "mẫu chữ ký yêu cầu thuật toán ký khác với khóa RSA"
assert_exit 1 ks xml "$W/inv.xml" -o "$W/x.xml" --id data --token XT0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "leave out --id and --parent"
[ ! -e "$W/x.xml" ] || fail "an output for a refused template"
pass
