#!/usr/bin/env bash
# DES3, for legacy applications (p11_sym des3), on a general token:
# CKM_DES3_KEY_GEN (parity bits set), C_CreateObject (wrong parity
# refused), CKM_DES3_ECB / CBC / CBC_PAD single- and multi-part equal to
# OpenSSL's, CBC_PAD wrapping; the token decrypts what `openssl enc
# -des-ede3-cbc` encrypted and OpenSSL what the token encrypted. A ca
# token makes DES3 keys too (pkcs11-tool --keygen).
. "$(dirname "$0")/../lib.sh"

SYM=$KYSO_BUILD/tests/p11_sym
d=$KYSO_HOME/work/d; mkdir -p "$d"

# A DES3 key with its parity bits set (each byte an odd count of ones).
key=""
for b in $(openssl rand -hex 24 | fold -w2); do
  v=$((16#$b)); c=0; x=$v
  while ((x)); do c=$((c + (x & 1))); x=$((x >> 1)); done
  ((c % 2 == 1)) || v=$((v ^ 1))
  key+=$(printf %02x "$v")
done
iv=$(openssl rand -hex 8)
printf '%s\n' "$key" > "$d/key"; printf '%s\n' "$iv" > "$d/iv"
head -c 1000 /dev/urandom | base64 | head -c 203 > "$d/plain"
openssl enc -des-ede3-cbc -K "$key" -iv "$iv" -in "$d/plain" -out "$d/theirs"

for profile in general ca; do
  note "profile $profile"
  serial=D3000${profile:0:1}
  if [ "$profile" = general ]; then
    make_token "$serial" --label "des3-$profile" --profile general
  else
    make_token "$serial" --label "des3-$profile"
  fi
  change_default_pin "$serial"
  if [ "$profile" = general ]; then
    "$SYM" des3 "$MOD" "des3-$profile" "$USER_PIN" "$d" > "$d/out" 2>&1 \
      || fail "p11_sym des3: $(cat "$d/out")"
    assert_contains "$(cat "$d/out")" "des3: ok"
    cmp -s "$d/plain" "$d/back" || fail "the token did not decrypt openssl enc's DES3"
    openssl enc -d -des-ede3-cbc -K "$key" -iv "$iv" -in "$d/cipher" -out "$d/dec" \
      || fail "openssl enc could not decrypt the token's DES3"
    cmp -s "$d/plain" "$d/dec" || fail "openssl's decryption is not the plaintext"
  else
    # A ca token generates DES3 keys (pkcs11-tool 0.23 has no DES3
    # encryption; p11_sym's run above is the same code).
    out=$(ext pkcs11-tool --module "$MOD" --login --pin "$USER_PIN" --keygen \
      --key-type DES3:24 --id 33 --label des3 --private 2>&1) \
      || fail "pkcs11-tool --keygen DES3 on a ca token: $out"
    assert_contains "$out" "DES3 length 24"
  fi
done
pass
