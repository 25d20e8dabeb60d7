#!/usr/bin/env bash
# pkcs11-tool --derive (ECDH) on a general token: pkcs11-tool 0.23 asks a
# CKK_GENERIC_SECRET allowed to encrypt, decrypt, wrap and unwrap (it
# cannot ask another type), which a general token accepts for a generic
# secret; the secret it writes out equals openssl pkeyutl -derive's on
# the peer's side, for P-256 and P-384. A ca token keeps the strict rule
# (a key allowed only what the token does with it): the same call is
# CKR_TEMPLATE_INCONSISTENT there.
. "$(dirname "$0")/../lib.sh"

tmp=$KYSO_HOME/work; mkdir -p "$tmp"
make_token DG0001 --label dgen --profile general
change_default_pin DG0001
make_token DC0001 --label dca
change_default_pin DC0001
p11() { local t=$1; shift; ext pkcs11-tool --module "$MOD" --token-label "$t" --login --pin "$USER_PIN" "$@"; }

n=0
for curve in prime256v1:P-256 secp384r1:P-384; do
  n=$((n + 1))
  note "ECDH on ${curve#*:}: pkcs11-tool --derive against openssl pkeyutl -derive"
  p11 dgen --keypairgen --key-type "EC:${curve%:*}" --id "0$n" --usage-derive >/dev/null 2>&1 \
    || fail "key generation ${curve#*:}"
  openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${curve#*:}" -out "$tmp/peer$n.pem" 2>/dev/null
  openssl pkey -in "$tmp/peer$n.pem" -pubout -outform DER -out "$tmp/peer$n.der"
  out=$(p11 dgen --derive --id "0$n" -m ECDH1-DERIVE -i "$tmp/peer$n.der" -o "$tmp/z$n.tok" 2>&1) \
    || fail "pkcs11-tool --derive (${curve#*:}): $out"
  # (pkcs11-tool 0.23 frees too early when it writes an EC public key
  # out: GnuTLS's p11tool exports it.)
  GNUTLS_PIN=$USER_PIN ext p11tool --provider "$(realpath "$MOD")" --login \
    --export-pubkey "pkcs11:serial=DG0001;id=%0$n;type=public" --outfile "$tmp/tok$n.pem" \
    >/dev/null 2>&1 || fail "exporting the token's public key"
  openssl pkeyutl -derive -inkey "$tmp/peer$n.pem" -peerkey "$tmp/tok$n.pem" -out "$tmp/z$n.ossl"
  [ -s "$tmp/z$n.tok" ] || fail "pkcs11-tool wrote no secret"
  cmp -s "$tmp/z$n.tok" "$tmp/z$n.ossl" || fail "the token's ECDH secret differs from openssl's (${curve#*:})"
done

note "a ca token refuses the generic secret that encrypts"
p11 dca --keypairgen --key-type EC:prime256v1 --id 01 --usage-derive >/dev/null 2>&1 \
  || fail "key generation on the ca token"
assert_exit 1 p11 dca --derive --id 01 -m ECDH1-DERIVE -i "$tmp/peer1.der" -o "$tmp/zc"
assert_contains "$OUT" "CKR_TEMPLATE_INCONSISTENT"
pass
