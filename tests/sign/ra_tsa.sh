#!/usr/bin/env bash
# B-T with kyso-ra's own RFC 3161 time-stamp endpoint (POST /tsa), the TSA
# certificate kyso-ra's CA issued: PAdES and CAdES; kyso-sign verify checks
# the token against kyso-ra's root.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../ra_lib.sh"

[ -x "$RA" ] || fail "kyso-ra is not built"
make_pki
signing_token RT0001 01 rsa:2048 "Dang Van G"
nss_db
ra_start
cat "$W/root.pem" "$RA_HOME/root.pem" > "$W/anchors.pem"

gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/doc.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Bien ban) show showpage" >/dev/null 2>&1

note "PAdES B-T from kyso-ra"
ks pdf "$W/doc.pdf" -o "$W/bt.pdf" --tsa "$RA_URL/tsa" --token RT0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null || fail "signing with kyso-ra's TSA failed"
pdfsig_ok "$W/bt.pdf" 1
qpdf_ok "$W/bt.pdf"
cms_of "$W/bt.pdf" 1
openssl_verify_ok
assert_exit 0 ks verify "$W/bt.pdf" --trust "$W/anchors.pem"
assert_contains "$OUT" "level:     B-T"
assert_contains "$OUT" "(valid)"
# Without kyso-ra's root among the anchors the time-stamp is intact but its
# TSA is not trusted: not established (INDETERMINATE), not broken.
assert_exit 4 ks verify "$W/bt.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "(TSA not trusted)"
assert_contains "$OUT" "result:    INDETERMINATE"
assert_contains "$OUT" "the time-stamp's authority (TSA) does not chain to a trust anchor"
assert_exit 4 ks verify "$W/bt.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"timestamp_tsa_untrusted": true'
# A time-stamp that does not match the signature stays INVALID: one byte of
# the token's imprint changed.
python3 - "$W/bt.pdf" "$W/badts.pdf" <<'PY'
import re, sys
d = bytearray(open(sys.argv[1], "rb").read())
m = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", bytes(d))
hexs = m.group(1)
raw = bytes.fromhex(hexs.decode())
# the TSTInfo's message imprint: the last 32 bytes of the first SHA-256
# OID-prefixed OCTET STRING after the time-stamp token's eContent type.
i = raw.find(bytes.fromhex("0609608648016503040201050004 20".replace(" ", "")))
assert i > 0
j = i + 16
raw = raw[:j] + bytes([raw[j] ^ 1]) + raw[j + 1:]
d[m.start(1):m.end(1)] = raw.hex().upper().encode()
open(sys.argv[2], "wb").write(bytes(d))
PY
assert_exit 1 ks verify "$W/badts.pdf" --trust "$W/anchors.pem"
assert_contains "$OUT" "integrity: intact"
assert_contains "$OUT" "(INVALID)"
assert_contains "$OUT" "result:    INVALID"

note "CAdES B-T from kyso-ra"
printf 'to khai hai quan\n' > "$W/decl.txt"
ks cms "$W/decl.txt" --tsa "$RA_URL/tsa" --token RT0001 --pin-fd 3 --chain "$W/int.pem" \
  3<<<"$USER_PIN" >/dev/null
assert_exit 0 ks verify "$W/decl.txt.p7s" --trust "$W/anchors.pem"
assert_contains "$OUT" "level:     B-T"
pass
