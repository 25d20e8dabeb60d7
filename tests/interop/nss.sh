#!/usr/bin/env bash
# NSS loads the module through PKCS#11 3.0's C_GetInterface (modutil
# shows the 3.0 interface) and lists a P-521 key made on the token
# (certutil -K logs in with the PIN), and uses it: certutil -R signs a
# certificate request with it, which openssl verifies, its public key the
# token's.
. "$(dirname "$0")/../lib.sh"

make_token NS0001 --label nss
change_default_pin NS0001
tmp=$KYSO_HOME/work; mkdir -p "$tmp/db"
ext pkcs11-tool --module "$MOD" --login --pin "$USER_PIN" --keypairgen --key-type EC:secp521r1 \
  --id 01 --label k521 >/dev/null 2>&1 || fail "P-521 key generation"
printf '%s\n' "$USER_PIN" > "$tmp/pw"
ext certutil -N -d "sql:$tmp/db" --empty-password
echo | ext modutil -dbdir "sql:$tmp/db" -add kyso -libfile "$(realpath "$MOD")" -force >/dev/null 2>&1 \
  || fail "modutil -add"

note "modutil: the module speaks PKCS#11 3.0"
out=$(ext modutil -dbdir "sql:$tmp/db" -list kyso 2>&1 || true)   # exits 32 when it lists
assert_contains "$out" "PKCS #11 Version 3.0"
assert_contains "$out" "Token Name: nss"

note "certutil -K lists the P-521 key"
out=$(ext certutil -K -d "sql:$tmp/db" -h nss -f "$tmp/pw" 2>&1)
assert_contains "$out" "ec       01"
assert_contains "$out" "k521"

note "certutil -R signs a request with the token's key; openssl verifies it"
ext certutil -R -d "sql:$tmp/db" -h nss -f "$tmp/pw" -k 01 -s "CN=Nguyen Van NSS" -Z SHA256 \
  -o "$tmp/req.der" >"$tmp/err" 2>&1 || fail "certutil -R: $(cat "$tmp/err")"
out=$(openssl req -inform DER -in "$tmp/req.der" -verify -noout 2>&1) || fail "openssl req -verify: $out"
assert_contains "$out" "verify OK"
openssl req -inform DER -in "$tmp/req.der" -pubkey -noout > "$tmp/req.pub"
GNUTLS_PIN=$USER_PIN ext p11tool --provider "$(realpath "$MOD")" --login \
  --export-pubkey "pkcs11:serial=NS0001;id=%01;type=public" --outfile "$tmp/tok.pub" >/dev/null 2>&1 \
  || fail "exporting the token's public key"
cmp -s <(openssl pkey -pubin -in "$tmp/req.pub" -outform DER) \
  <(openssl pkey -pubin -in "$tmp/tok.pub" -outform DER) || fail "the request's key is not the token's"
pass
