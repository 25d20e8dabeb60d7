#!/usr/bin/env bash
# The PKCS#11 client API of src/p11 (tests/token/p11_client.c), one call at
# a time against our module: p11_login's error codes and PIN facts (the
# PIN wiped, the tries left from the token's flags, the factory PIN), the
# key-pair generator, the object finder and the certificate writer.
. "$(dirname "$0")/../lib.sh"

PC=$KYSO_BUILD/tests/p11_client
pc() { "$PC" "$@" 2>&1 || true; }

make_token PC0001 --user-retries 3

note "the factory PIN logs in, says it must be changed, and makes no key"
assert_eq "$(pc login "$MOD" PC0001 12345678)" \
  "r=0 rv=CKR_OK tries=-1 low=0 change=1" "factory PIN"
assert_eq "$(pc keygen "$MOD" PC0001 12345678 p256)" \
  "r=-18 objects=0 spki=0 left=0" "a key pair under the factory PIN"
change_default_pin PC0001

note "key pairs of every type, found by CKA_ID and destroyed again"
for t in p256 p384 rsa2048; do
  assert_eq "$(pc keygen "$MOD" PC0001 "$USER_PIN" $t)" \
    "r=0 objects=2 spki=1 left=0" "key type $t"
done
assert_eq "$(pc keygen "$MOD" PC0001 "$USER_PIN" dsa1024)" \
  "r=-3 objects=0 spki=0 left=0" "an unknown key type"

note "a certificate is written once, however often it is given"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$KYSO_HOME/ca.key" -subj "/CN=p11 client CA" -days 30 \
  -outform DER -out "$KYSO_HOME/ca.der" 2>/dev/null
assert_eq "$(pc certwrite "$MOD" PC0001 "$USER_PIN" "$KYSO_HOME/ca.der")" \
  "r=0 r2=0 certs=1" "the same CA certificate twice"
head -c 100 "$KYSO_HOME/ca.der" >"$KYSO_HOME/cut.der"
assert_eq "$(pc certwrite "$MOD" PC0001 "$USER_PIN" "$KYSO_HOME/cut.der")" \
  "r=-3 r2=0 certs=0" "a cut certificate"

note "wrong PINs: count low, the final try, locked (3 tries)"
assert_eq "$(pc login "$MOD" PC0001 00000000)" \
  "r=-10 rv=CKR_PIN_INCORRECT tries=-1 low=1 change=0" "first wrong PIN"
assert_eq "$(pc login "$MOD" PC0001 00000000)" \
  "r=-10 rv=CKR_PIN_INCORRECT tries=1 low=1 change=0" "second wrong PIN"
assert_eq "$(pc login "$MOD" PC0001 00000000)" \
  "r=-10 rv=CKR_PIN_INCORRECT tries=0 low=0 change=0" "third wrong PIN locks"
assert_eq "$(pc login "$MOD" PC0001 "$USER_PIN")" \
  "r=-11 rv=CKR_PIN_LOCKED tries=0 low=0 change=0" "the right PIN, locked"

pass
