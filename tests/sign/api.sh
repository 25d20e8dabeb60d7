#!/usr/bin/env bash
# The C API in memory (pdf_sign_mem, what kyso-agent calls): the output
# starts with the input's bytes, pdfsig and openssl accept it, and an
# output buffer past its cap fails cleanly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token AP0001 01 rsa:2048 "Agent User"
nss_db
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in.pdf" -c showpage >/dev/null 2>&1
"$KYSO_BUILD/tests/api_mem" AP0001 "$USER_PIN" "$W/in.pdf" "$W/out.pdf" || fail "api_mem failed"
pdfsig_ok "$W/out.pdf" 1
qpdf_ok "$W/out.pdf"
cms_of "$W/out.pdf" 1
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/sig.der" -content "$W/signed.bin" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl: $(cat "$W/e")"
pass
