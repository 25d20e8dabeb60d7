#!/usr/bin/env bash
# OpenSSL through libp11's pkcs11 engine (libengine-pkcs11-openssl), with
# MODULE_PATH set to the kyso module in an openssl.cnf, signs a file with
# a token key (PIN from the URI's pin-value, or from the environment);
# plain openssl verifies with the public key. It decrypts on the token
# what plain openssl encrypted to the public key (PKCS#1 v1.5, OAEP), and
# what it encrypted itself.
. "$(dirname "$0")/../cli/helpers.bash"

ABS=$(realpath "$MOD")
ENGINE=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')/pkcs11.so
[ -f "$ENGINE" ] || fail "no pkcs11 engine at $ENGINE (libengine-pkcs11-openssl)"
cat > "$WORK/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $ABS
init = 0
CNF
# Only the token side uses the engine; verification is plain openssl.
eng() { OPENSSL_CONF=$WORK/openssl.cnf ext openssl "$@" </dev/null; }
plain() { OPENSSL_CONF=/dev/null openssl "$@"; }

make_token OE0001 --label "openssl token"
change_default_pin OE0001
ext pkcs11-tool --module "$MOD" --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 \
  --id 01 --label rsa-key >/dev/null 2>&1 || fail "RSA key generation failed"
ext pkcs11-tool --module "$MOD" --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 \
  --id 02 --label ec-key >/dev/null 2>&1 || fail "EC key generation failed"
URI="pkcs11:serial=OE0001"

note "the public keys, exported by the engine"
for k in rsa-key ec-key; do
  eng pkey -engine pkcs11 -inform engine -pubin -in "$URI;object=$k;type=public" -pubout \
    -out "$WORK/$k.pub.pem" 2>"$WORK/err" || fail "engine could not load $k's public key: $(cat "$WORK/err")"
done
plain pkey -pubin -in "$WORK/rsa-key.pub.pem" -noout -text | grep -q "Public-Key: (2048 bit)" ||
  fail "RSA public key is not 2048 bits"
plain pkey -pubin -in "$WORK/ec-key.pub.pem" -noout -text | grep -q "NIST CURVE: P-256" ||
  fail "EC public key is not P-256"

head -c 100000 /dev/urandom > "$WORK/contract.pdf"
plain dgst -sha256 -binary -out "$WORK/contract.sha256" "$WORK/contract.pdf"

note "pkeyutl: RSA PKCS#1 v1.5 over SHA-256, PIN in the URI"
eng pkeyutl -engine pkcs11 -keyform engine -sign \
  -inkey "$URI;object=rsa-key;type=private;pin-value=$USER_PIN" \
  -pkeyopt digest:sha256 -in "$WORK/contract.sha256" -out "$WORK/rsa.sig" 2>"$WORK/err" ||
  fail "engine RSA signing failed: $(cat "$WORK/err")"
plain pkeyutl -verify -pubin -inkey "$WORK/rsa-key.pub.pem" -pkeyopt digest:sha256 \
  -in "$WORK/contract.sha256" -sigfile "$WORK/rsa.sig" | grep -q "Signature Verified Successfully" ||
  fail "openssl did not verify the RSA signature"
plain dgst -sha256 -verify "$WORK/rsa-key.pub.pem" -signature "$WORK/rsa.sig" "$WORK/contract.pdf" |
  grep -q "Verified OK" || fail "openssl dgst did not verify the RSA signature of the file"

note "pkeyutl: RSA-PSS, PIN from the environment"
KPIN=$USER_PIN eng pkeyutl -engine pkcs11 -keyform engine -sign -passin env:KPIN \
  -inkey "$URI;object=rsa-key;type=private" \
  -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 \
  -in "$WORK/contract.sha256" -out "$WORK/pss.sig" 2>"$WORK/err" ||
  fail "engine RSA-PSS signing failed: $(cat "$WORK/err")"
plain pkeyutl -verify -pubin -inkey "$WORK/rsa-key.pub.pem" -pkeyopt digest:sha256 \
  -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 \
  -in "$WORK/contract.sha256" -sigfile "$WORK/pss.sig" | grep -q "Signature Verified Successfully" ||
  fail "openssl did not verify the RSA-PSS signature"

note "dgst -sign: ECDSA P-256 over the file"
eng dgst -sha256 -engine pkcs11 -keyform engine \
  -sign "$URI;object=ec-key;type=private;pin-value=$USER_PIN" \
  -out "$WORK/ec.sig" "$WORK/contract.pdf" 2>"$WORK/err" || fail "engine ECDSA signing failed: $(cat "$WORK/err")"
plain dgst -sha256 -verify "$WORK/ec-key.pub.pem" -signature "$WORK/ec.sig" "$WORK/contract.pdf" |
  grep -q "Verified OK" || fail "openssl did not verify the ECDSA signature"

note "pkeyutl: RSA decryption on the token (PKCS#1 v1.5, OAEP SHA-1 and SHA-256) of what"
note "plain openssl encrypted to the public key, and the engine's own encryption back"
ext pkcs11-tool --module "$MOD" --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 \
  --id 03 --label enc-key --usage-decrypt >/dev/null 2>&1 || fail "RSA decryption key generation failed"
eng pkey -engine pkcs11 -inform engine -pubin -in "$URI;object=enc-key;type=public" -pubout \
  -out "$WORK/enc-key.pub.pem" 2>"$WORK/err" || fail "engine could not load enc-key: $(cat "$WORK/err")"
head -c 190 /dev/urandom > "$WORK/secret"
DEC="$URI;object=enc-key;type=private;pin-value=$USER_PIN"
for pad in pkcs1 oaep:sha1 oaep:sha256; do
  opts=()
  if [ "$pad" != pkcs1 ]; then
    opts=(-pkeyopt rsa_padding_mode:oaep -pkeyopt "rsa_oaep_md:${pad#*:}" -pkeyopt "rsa_mgf1_md:${pad#*:}")
  fi
  head -c 64 "$WORK/secret" > "$WORK/msg"
  plain pkeyutl -encrypt -pubin -inkey "$WORK/enc-key.pub.pem" "${opts[@]}" -in "$WORK/msg" \
    -out "$WORK/msg.enc"
  rm -f "$WORK/msg.dec"
  eng pkeyutl -engine pkcs11 -keyform engine -decrypt -inkey "$DEC" "${opts[@]}" \
    -in "$WORK/msg.enc" -out "$WORK/msg.dec" 2>"$WORK/err" || fail "engine $pad decryption: $(cat "$WORK/err")"
  cmp -s "$WORK/msg" "$WORK/msg.dec" || fail "the token decrypted other bytes ($pad)"
done
eng pkeyutl -engine pkcs11 -keyform engine -encrypt -pubin -inkey "$URI;object=enc-key;type=public" \
  -in "$WORK/msg" -out "$WORK/msg.enc2" 2>"$WORK/err" || fail "engine encryption: $(cat "$WORK/err")"
rm -f "$WORK/msg.dec"
eng pkeyutl -engine pkcs11 -keyform engine -decrypt -inkey "$DEC" -in "$WORK/msg.enc2" \
  -out "$WORK/msg.dec" 2>"$WORK/err" || fail "engine decryption of its encryption: $(cat "$WORK/err")"
cmp -s "$WORK/msg" "$WORK/msg.dec" || fail "the engine's encryption decrypted to other bytes"
printf 'x' >> "$WORK/msg.enc"
if eng pkeyutl -engine pkcs11 -keyform engine -decrypt -inkey "$DEC" -in "$WORK/msg.enc" \
  -out "$WORK/bad.dec" >/dev/null 2>&1; then
  fail "a damaged ciphertext decrypted"
fi

note "signatures do not verify for another file or another key"
printf 'x' >> "$WORK/contract.pdf"
if plain dgst -sha256 -verify "$WORK/ec-key.pub.pem" -signature "$WORK/ec.sig" "$WORK/contract.pdf" >/dev/null 2>&1; then
  fail "a changed file still verified"
fi
if plain pkeyutl -verify -pubin -inkey "$WORK/ec-key.pub.pem" -in "$WORK/contract.sha256" \
  -sigfile "$WORK/rsa.sig" >/dev/null 2>&1; then
  fail "an RSA signature verified under the EC key"
fi

note "a wrong PIN signs nothing"
rm -f "$WORK/bad.sig"
if eng pkeyutl -engine pkcs11 -keyform engine -sign \
  -inkey "$URI;object=rsa-key;type=private;pin-value=00000000" -pkeyopt digest:sha256 \
  -in "$WORK/contract.sha256" -out "$WORK/bad.sig" >"$WORK/err" 2>&1; then
  fail "the engine signed with a wrong PIN"
fi
grep -q "PIN incorrect" "$WORK/err" || fail "no 'PIN incorrect' from the engine: $(cat "$WORK/err")"
[ ! -s "$WORK/bad.sig" ] || fail "a signature was written with a wrong PIN"
pass
