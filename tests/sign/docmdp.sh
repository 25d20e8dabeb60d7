#!/usr/bin/env bash
# Certification signatures (DocMDP): P=2 lets a later approval signature
# in (both stay valid for pdfsig); P=1 makes kyso-sign refuse any later
# signature, and kyso-sign verify reports a P=1 certification that another
# tool (poppler's pdfsig -add-signature) signed after as broken; a
# certification must be the first signature.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token DM0001 01 rsa:2048 "Giam Doc"
nss_db
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/c.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong) show showpage" >/dev/null 2>&1

note "certify with P=2, then an approval signature"
ks pdf "$W/c.pdf" -o "$W/cert2.pdf" --certify 2 --token DM0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/cert2.pdf" 1
qpdf_ok "$W/cert2.pdf"
grep -aq "/TransformMethod/DocMDP" "$W/cert2.pdf" || fail "no DocMDP reference"
grep -aEq "/Perms ?<</DocMDP" "$W/cert2.pdf" || fail "no /Perms in the catalog"
assert_exit 0 ks verify "$W/cert2.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "certification (DocMDP P=2)"
ks pdf "$W/cert2.pdf" -o "$W/cert2-2.pdf" --token DM0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/cert2-2.pdf" 2
assert_exit 0 ks verify "$W/cert2-2.pdf" --trust "$W/root.pem"

note "certify with P=1: no later signature"
ks pdf "$W/c.pdf" -o "$W/cert1.pdf" --certify 1 --token DM0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
pdfsig_ok "$W/cert1.pdf" 1
assert_exit 1 ks pdf "$W/cert1.pdf" -o "$W/no.pdf" --token DM0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "certified with no changes allowed"
[ ! -e "$W/no.pdf" ] || fail "an output was left"
# Intact, no anchor given: INDETERMINATE (exit 4), the certification kept.
assert_exit 4 ks verify "$W/cert1.pdf" --json
assert_contains "$OUT" '"certification_kept": true'

note "P=1, then another tool signs anyway: the certification is broken"
openssl req -newkey rsa:2048 -nodes -keyout "$W/pop.key" -out "$W/pop.csr" -subj "/CN=Poppler Signer" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' > "$W/pop.ext"
openssl x509 -req -in "$W/pop.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
  -days 30 -extfile "$W/pop.ext" -out "$W/pop.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$W/pop.key" -in "$W/pop.pem" -out "$W/pop.p12" -passout pass:x -name popsigner
pk12util -i "$W/pop.p12" -d "sql:$W/nss" -W x >/dev/null
pdfsig -nssdir "sql:$W/nss" -add-signature -nick popsigner "$W/cert1.pdf" "$W/cert1-pop.pdf" >/dev/null 2>&1 || true
[ -s "$W/cert1-pop.pdf" ] || fail "pdfsig -add-signature wrote nothing"
assert_exit 1 ks verify "$W/cert1-pop.pdf" --trust "$W/root.pem" --json
python3 - "$OUT" <<'PY' || fail "P=1 then a signature: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert len(s) == 2, s
assert s[0]["certification_p"] == 1 and s[0]["certification_kept"] is False, s[0]
assert s[0]["valid"] is False and "DocMDP P=1" in s[0]["problem"], s[0]
assert s[0]["intact"] is True and s[1]["valid"] is True, s
PY

note "a certification must come first"
assert_exit 1 ks pdf "$W/cert2-2.pdf" -o "$W/no2.pdf" --certify 2 --token DM0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "already certified"
ks pdf "$W/c.pdf" -o "$W/approved.pdf" --token DM0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
assert_exit 1 ks pdf "$W/approved.pdf" -o "$W/no3.pdf" --certify 2 --token DM0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "must be the document's first signature"
assert_exit 2 ks pdf "$W/c.pdf" --certify 4 --token DM0001 --pin-fd 3 3<<<"$USER_PIN"
pass
