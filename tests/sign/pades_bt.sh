#!/usr/bin/env bash
# PAdES and CAdES B-T: an RFC 3161 time-stamp over the signature value as
# the unsigned attribute signatureTimeStampToken, fetched over HTTP from a
# TSA: here `openssl ts -reply` behind a small HTTP server, an independent
# implementation (ra_tsa.sh uses kyso-ra's /tsa). A changed time-stamp is
# caught; a TSA that cannot be reached leaves no output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token BT0001 01 rsa:2048 "Pham Van D"
nss_db

note "a TSA certificate from our intermediate, and the server"
tsa_conf
python3 "$(dirname "$0")/tsa_server.py" "$W/tsa.cnf" "$W/port" &
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || fail "the TSA did not start"
TSA=http://127.0.0.1:$(cat "$W/port")/tsa

gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/doc.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (To khai hai quan) show showpage" \
  >/dev/null 2>&1
qpdf --object-streams=generate "$W/doc.pdf" "$W/doc-os.pdf"

for f in doc doc-os; do
  note "PAdES B-T: $f.pdf"
  ks pdf "$W/$f.pdf" -o "$W/$f-bt.pdf" --token BT0001 --pin-fd 3 --chain "$W/int.pem" \
    --tsa "$TSA" 3<<<"$USER_PIN" >/dev/null || fail "signing with a TSA failed"
  pdfsig_ok "$W/$f-bt.pdf" 1
  qpdf_ok "$W/$f-bt.pdf"
  cms_of "$W/$f-bt.pdf" 1
  openssl_verify_ok
  attrs=$(openssl cms -cmsout -print -inform DER -in "$W/sig.der")
  assert_contains "$attrs" "id-smime-aa-timeStampToken"
  assert_exit 0 ks verify "$W/$f-bt.pdf" --trust "$W/root.pem"
  assert_contains "$OUT" "level:     B-T"
  assert_contains "$OUT" "(valid)"
done

note "a changed time-stamp token (outside the signed range) is caught"
python3 - "$W/doc-bt.pdf" "$W/ts-bad.pdf" <<'PY'
import re, sys
d = bytearray(open(sys.argv[1], 'rb').read())
m = re.search(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', d)
a, b = int(m.group(2)), int(m.group(3))
h = bytes(d[a + 1:b - 1]).decode()
der = bytearray(bytes.fromhex(h))
# the TSTInfo's genTime digits: the last GeneralizedTime in the token
# (0x18 0x0f and 14 digits and "Z": the two bytes alone also turn up in
# the signature's random bytes, now and then)
times = [t.start() for t in re.finditer(rb'\x18\x0f[0-9]{14}Z', bytes(der))]
assert times
i = times[-1]
der[i + 2 + 3] ^= 1
h2 = der.hex().upper().encode()
d[a + 1:a + 1 + len(h2)] = h2
open(sys.argv[2], 'wb').write(d)
PY
pdfsig_ok "$W/ts-bad.pdf" 1
assert_exit 1 ks verify "$W/ts-bad.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "INVALID"

note "CAdES B-T"
head -c 5000 /dev/urandom > "$W/decl.xml"
ks cms "$W/decl.xml" --token BT0001 --pin-fd 3 --chain "$W/int.pem" --tsa "$TSA" 3<<<"$USER_PIN" >/dev/null
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/decl.xml.p7s" -content "$W/decl.xml" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl: $(cat "$W/e")"
assert_exit 0 ks verify "$W/decl.xml.p7s" --trust "$W/root.pem" --json
assert_contains "$OUT" '"level": "B-T"'
assert_contains "$OUT" '"timestamp_valid": true'

note "a TSA that cannot be reached: clear error, no output"
assert_exit 1 ks pdf "$W/doc.pdf" -o "$W/none.pdf" --token BT0001 --pin-fd 3 \
  --tsa "http://127.0.0.1:9/tsa" 3<<<"$USER_PIN"
assert_contains "$OUT" "time-stamp server could not be reached"
[ ! -e "$W/none.pdf" ] || fail "an output was left"
pass
