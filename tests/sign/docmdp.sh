#!/usr/bin/env bash
# Certification signatures (DocMDP): P=2 lets a later approval signature
# in (both stay valid for pdfsig); P=1 makes kyso-sign refuse any later
# signature; a certification must be the first signature.
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

note "a certification must come first"
assert_exit 1 ks pdf "$W/cert2-2.pdf" -o "$W/no2.pdf" --certify 2 --token DM0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "already certified"
ks pdf "$W/c.pdf" -o "$W/approved.pdf" --token DM0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null
assert_exit 1 ks pdf "$W/approved.pdf" -o "$W/no3.pdf" --certify 2 --token DM0001 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "must be the document's first signature"
assert_exit 2 ks pdf "$W/c.pdf" --certify 4 --token DM0001 --pin-fd 3 3<<<"$USER_PIN"
pass
