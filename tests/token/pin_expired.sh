#!/usr/bin/env bash
# The factory PIN 12345678 logs in but cannot sign, decrypt or make keys
# (CKR_PIN_EXPIRED) until it is changed; kyso-token change-pin changes it,
# and a mismatched confirmation or a wrong old PIN changes nothing.
. "$(dirname "$0")/../lib.sh"

p11() { ext pkcs11-tool --module "$MOD" --token-label expiry "$@"; }
to_be_changed() {
  "$KT" info --token EX0001 --json | grep -o '"pin_to_be_changed": *[a-z]*' | grep -o '[a-z]*$'
}
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
head -c 3000 /dev/urandom > "$tmp/data"

make_token EX0001 --label expiry
assert_eq "$(to_be_changed)" true "a new token's PIN"

note "factory PIN: login works, key generation is refused"
p11 --login --pin 12345678 --list-objects >/dev/null 2>&1 || fail "factory PIN login failed"
assert_exit 1 p11 --login --pin 12345678 --keypairgen --key-type rsa:2048 --id 01
assert_contains "$OUT" "CKR_PIN_EXPIRED"
assert_exit 1 p11 --login --pin 12345678 --keypairgen --key-type EC:prime256v1 --id 02
assert_contains "$OUT" "CKR_PIN_EXPIRED"
out=$(p11 --list-objects 2>&1)
assert_not_contains "$out" "Public Key Object" "a refused key generation left a key"

note "change-pin with two different new PINs: exit 6, nothing changes"
assert_exit 6 "$KT" change-pin --token EX0001 --pin-fd 3 --new-pin-fd 4 \
  3<<<"12345678" 4<<<"$USER_PIN"$'\n'"13572468"
assert_eq "$(to_be_changed)" true "after a mismatch"
assert_exit 1 p11 --login --pin "$USER_PIN" --list-objects
assert_contains "$OUT" "CKR_PIN_INCORRECT"
assert_exit 1 p11 --login --pin 13572468 --list-objects
assert_contains "$OUT" "CKR_PIN_INCORRECT"
p11 --login --pin 12345678 --list-objects >/dev/null 2>&1 \
  || fail "the factory PIN stopped working after a mismatched change"

note "change-pin with a wrong old PIN: exit 4, nothing changes"
assert_exit 4 "$KT" change-pin --token EX0001 --pin-fd 3 --new-pin-fd 4 \
  3<<<"11111111" 4<<<"$USER_PIN"$'\n'"$USER_PIN"
assert_eq "$(to_be_changed)" true "after a wrong old PIN"
assert_exit 1 p11 --login --pin "$USER_PIN" --list-objects
assert_contains "$OUT" "CKR_PIN_INCORRECT"

note "the factory PIN cannot be the new PIN"
assert_exit 7 "$KT" change-pin --token EX0001 --pin-fd 3 --new-pin-fd 4 \
  3<<<"12345678" 4<<<"12345678"$'\n'"12345678"
assert_eq "$(to_be_changed)" true "after refusing the factory PIN"

note "after the change: keys, signing and decryption work"
change_default_pin EX0001
assert_eq "$(to_be_changed)" false "after change-pin"
assert_exit 1 p11 --login --pin 12345678 --list-objects
assert_contains "$OUT" "CKR_PIN_INCORRECT"
p11 --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 --id 01 --label rsa \
  --usage-sign --usage-decrypt >/dev/null 2>&1 || fail "RSA key generation failed after the change"
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 02 --label ec \
  >/dev/null 2>&1 || fail "EC key generation failed after the change"
p11 --login --pin "$USER_PIN" --sign --id 01 -m SHA256-RSA-PKCS -i "$tmp/data" \
  -o "$tmp/sig" >/dev/null 2>&1 || fail "signing failed after the change"
p11 --read-object --type pubkey --id 01 -o "$tmp/pub.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$tmp/pub.der" -out "$tmp/pub.pem"
openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig" "$tmp/data" \
  | grep -q "Verified OK" || fail "the signature does not verify"
printf 'secret message' > "$tmp/msg"
openssl pkeyutl -encrypt -pubin -inkey "$tmp/pub.pem" -in "$tmp/msg" -out "$tmp/enc"
p11 --login --pin "$USER_PIN" --decrypt --id 01 -m RSA-PKCS -i "$tmp/enc" \
  -o "$tmp/dec" >/dev/null 2>&1 || fail "decryption failed after the change"
cmp -s "$tmp/msg" "$tmp/dec" || fail "decryption gave other bytes"

note "the SO resets the user PIN to the factory PIN: expired again"
p11 --login --login-type so --so-pin "$SO_PIN" --init-pin --new-pin 12345678 \
  >/dev/null 2>&1 || fail "C_InitPIN by the SO failed"
assert_eq "$(to_be_changed)" true "after C_InitPIN to the factory PIN"
out=$(ext pkcs11-tool --module "$MOD" -L 2>&1)
assert_contains "$out" "user PIN to be changed"
assert_exit 1 p11 --login --pin 12345678 --sign --id 01 -m SHA256-RSA-PKCS \
  -i "$tmp/data" -o "$tmp/sig2"
assert_contains "$OUT" "CKR_PIN_EXPIRED"
assert_exit 1 p11 --login --pin 12345678 --sign --id 02 -m ECDSA-SHA256 \
  -i "$tmp/data" -o "$tmp/sig2"
assert_contains "$OUT" "CKR_PIN_EXPIRED"
assert_exit 1 p11 --login --pin 12345678 --decrypt --id 01 -m RSA-PKCS \
  -i "$tmp/enc" -o "$tmp/dec2"
assert_contains "$OUT" "CKR_PIN_EXPIRED"
assert_exit 1 p11 --login --pin 12345678 --keypairgen --key-type EC:prime256v1 --id 03
assert_contains "$OUT" "CKR_PIN_EXPIRED"
assert_exit 10 "$KT" check --token EX0001 --batch

note "C_SetPIN (pkcs11-tool --change-pin) also ends the expiry"
p11 --login --pin 12345678 --change-pin --new-pin 13572468 >/dev/null 2>&1 \
  || fail "C_SetPIN from the factory PIN failed"
assert_eq "$(to_be_changed)" false "after C_SetPIN"
p11 --login --pin 13572468 --sign --id 02 -m ECDSA-SHA256 -i "$tmp/data" \
  -o "$tmp/sig3" >/dev/null 2>&1 || fail "signing failed after C_SetPIN"
assert_exit 0 "$KT" check --token EX0001 --batch
pass
