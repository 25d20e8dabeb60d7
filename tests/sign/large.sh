#!/usr/bin/env bash
# A 200 MB PDF: kyso-sign's resident memory stays far below the file's size
# (input mapped and hashed/copied window by window, pages dropped behind),
# signing, CMS and verifying alike; pdfsig accepts the output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token LG0001 01 rsa:2048 "Big File"
nss_db
big_pdf "$W/big.pdf" 200
size=$(stat -c %s "$W/big.pdf")
[ "$size" -gt 200000000 ] || fail "the test file is only $size bytes"

rss() {   # rss CMD...: runs CMD, prints its peak resident memory in KB
  /usr/bin/time -f "%M" -o "$W/rss" "$@" >/dev/null 2>"$W/rss.err" 3<<<"$USER_PIN" \
    || fail "'$*' failed: $(cat "$W/rss.err")"
  cat "$W/rss"
}
LIMIT=65536   # KB: a third of the file
# (ASan's shadow memory and quarantine come on top: a looser bound there.)
[ "${KYSO_SANITIZE:-0}" = 1 ] && LIMIT=98304
note "sign: peak RSS"
kb=$(rss "$KS" pdf "$W/big.pdf" -o "$W/big-signed.pdf" --token LG0001 --pin-fd 3 --chain "$W/int.pem")
note "kyso-sign pdf on $((size / 1048576)) MB: $kb KB resident at most"
[ "$kb" -lt "$LIMIT" ] || fail "signing used $kb KB for a $size-byte file"
pdfsig_ok "$W/big-signed.pdf" 1
kb=$(rss "$KS" verify "$W/big-signed.pdf" --trust "$W/root.pem")
[ "$kb" -lt "$LIMIT" ] || fail "verifying used $kb KB"
kb=$(rss "$KS" cms "$W/big.pdf" -o "$W/big.p7s" --token LG0001 --pin-fd 3)
[ "$kb" -lt "$LIMIT" ] || fail "CAdES used $kb KB"
openssl cms -verify -binary -inform DER -in "$W/big.p7s" -content "$W/big.pdf" -noverify \
  -out /dev/null 2>/dev/null || fail "openssl rejects the big .p7s"
rm -f "$W/big.pdf" "$W/big-signed.pdf"
pass
