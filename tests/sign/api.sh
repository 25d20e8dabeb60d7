#!/usr/bin/env bash
# The C API in memory (what kyso-agent calls): pdf_sign_mem (the output
# starts with the input's bytes, pdfsig and openssl accept it, an output
# buffer past its cap fails cleanly), cades_sign_mem (openssl cms) and
# xmldsig_sign_mem (xmlsec1).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token AP0001 01 rsa:2048 "Agent User"
nss_db
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in.pdf" -c showpage >/dev/null 2>&1
printf '<?xml version="1.0"?>\n<HDon><SHDon>7</SHDon></HDon>\n' > "$W/in.xml"
"$KYSO_BUILD/tests/api_mem" AP0001 "$USER_PIN" "$W/in.pdf" "$W/out.pdf" "$W/in.xml" "$W/out.xml" \
  || fail "api_mem failed"
pdfsig_ok "$W/out.pdf" 1
qpdf_ok "$W/out.pdf"
cms_of "$W/out.pdf" 1
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/sig.der" -content "$W/signed.bin" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl: $(cat "$W/e")"
openssl cms -verify -binary -inform DER -in "$W/out.pdf.p7s" -content "$W/in.pdf" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl (.p7s): $(cat "$W/e")"
xmlsec1 --verify --trusted-pem "$W/root.pem" --untrusted-pem "$W/int.pem" "$W/out.xml" >"$W/e" 2>&1 \
  || fail "xmlsec1: $(cat "$W/e")"
pass
