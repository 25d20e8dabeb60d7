#!/usr/bin/env bash
# Issue 15, "Throughput": OCSP requests for one certificate without a
# nonce are answered with a response signed moments before (RFC 5019),
# as long as the database still gives the status it states. A revocation
# through another instance on the same database is answered at once; a
# request with a nonce is signed fresh and carries the nonce; a nonce must
# be 1 to 32 octets (RFC 8954: else malformedRequest). openssl ocsp
# verifies every answer. ocsp_softhsm.sh runs this with the responder's
# key on the CA's SoftHSM2 token (kyso-ra rotate ocsp): the same short
# way and cache, signed by the token.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
if [ -n "${RA_TEST_HSM:-}" ]; then
  note "the OCSP responder's key made on the CA's token"
  assert_exit 0 "$RA" rotate ocsp --ca-pin-file "$RA_CA_PIN_FILE"
fi
ra_serve a
ra_serve b
curl -fsS "$URL/ca.pem" -o "$W/chain.pem" || fail "GET /ca.pem"
openssl x509 -in "$W/chain.pem" -out "$W/issuing.pem"
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"OC0001\"}"
expect 200
jqo .certificate >"$W/c.pem"
serial=$(openssl x509 -in "$W/c.pem" -noout -serial | sed 's/^serial=//' | tr A-F a-f)

# ask URL OUT [openssl ocsp options]: the answer for c.pem, verified
# (signature, responder, nonce when one was sent); prints the status.
ask() {
  local u=$1 out=$2 o; shift 2
  o=$(ext openssl ocsp "$@" -issuer "$W/issuing.pem" -cert "$W/c.pem" -url "$u/ocsp" \
    -CAfile "$W/chain.pem" -respout "$out" 2>&1) || fail "openssl ocsp: $o"
  assert_contains "$o" "Response verify OK"
  assert_not_contains "$o" "WARNING"
  sed -n "s|^$W/c.pem: ||p" <<<"$o" | head -n 1
}
# produced FILE: the response's producedAt
produced() { openssl ocsp -respin "$1" -resp_text -noverify 2>/dev/null | sed -n 's/^ *Produced At: //p'; }

note "without a nonce: the second answer, a second later, is the first one (pre-signed)"
assert_eq "$(ask "$URL_a" "$W/g1.der" -no_nonce)" good
sleep 1.2
assert_eq "$(ask "$URL_a" "$W/g2.der" -no_nonce)" good
cmp -s "$W/g1.der" "$W/g2.der" ||
  fail "not answered from the cache: produced $(produced "$W/g1.der"), then $(produced "$W/g2.der")"
note "with a nonce: signed now, with the nonce"
assert_eq "$(ask "$URL_a" "$W/n1.der")" good
assert_eq "$(ask "$URL_a" "$W/n2.der")" good
cmp -s "$W/n1.der" "$W/n2.der" && fail "two answers with nonces are the same"
[[ $(openssl ocsp -respin "$W/n1.der" -resp_text -noverify 2>/dev/null) == *"OCSP Nonce"* ]] ||
  fail "no nonce in the answer"

note "nonces of 1 and 32 octets are echoed; 0, 33 or 128 octets: malformedRequest (RFC 8954)"
openssl ocsp -issuer "$W/issuing.pem" -cert "$W/c.pem" -no_nonce -reqout "$W/plain.req" >/dev/null 2>&1 ||
  fail "openssl ocsp -reqout"
# with_nonce N OUT: the plain request with a nonce extension of N octets
# (extnValue OCTET STRING { OCTET STRING nonce }, RFC 6960 4.4.1)
with_nonce() {
  python3 - "$W/plain.req" "$1" "$2" <<'PY'
import os, sys
def tlv(tag, body):
    n = len(body)
    ln = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + ln + body
def inner(d):
    i = 2 if d[1] < 128 else 2 + (d[1] & 0x7f)
    return d[i:]
req = open(sys.argv[1], "rb").read()
tbs = inner(inner(req))
oid = bytes.fromhex("06092b0601050507300102")
ext = tlv(0xa2, tlv(0x30, tlv(0x30, oid + tlv(0x04, tlv(0x04, os.urandom(int(sys.argv[2])))))))
open(sys.argv[3], "wb").write(tlv(0x30, tlv(0x30, tbs + ext)))
PY
}
for len in 1 32; do
  with_nonce "$len" "$W/n$len.req"
  o=$(ext openssl ocsp -reqin "$W/n$len.req" -url "$URL_a/ocsp" -CAfile "$W/chain.pem" \
    -respout "$W/n$len.der" 2>&1) || fail "openssl ocsp, nonce of $len: $o"
  assert_contains "$o" "Response verify OK"
  assert_not_contains "$o" "WARNING"
  assert_not_contains "$o" "Nonce Verify error"
  [[ $(openssl ocsp -respin "$W/n$len.der" -resp_text -noverify 2>/dev/null) == *"OCSP Nonce"* ]] ||
    fail "no nonce in the answer to a nonce of $len octets"
done
for len in 0 33 128; do
  with_nonce "$len" "$W/n$len.req"
  o=$(ext openssl ocsp -reqin "$W/n$len.req" -url "$URL_a/ocsp" -CAfile "$W/chain.pem" 2>&1 || true)
  assert_contains "$o" "Responder Error: malformedrequest"
done

note "revoked through the other instance: the cached good answer is gone at once"
api POST "$URL_b/api/v1/certificates/$serial/revoke" '{"reason":"keyCompromise"}' \
  -H "Authorization: Bearer $RA_OP"
expect 200
assert_eq "$(ask "$URL_a" "$W/r1.der" -no_nonce)" revoked
assert_eq "$(ask "$URL_a" "$W/r2.der")" revoked
[[ $(openssl ocsp -respin "$W/r1.der" -resp_text -noverify 2>/dev/null) == *"Revocation Reason: keyCompromise"* ]] ||
  fail "the revocation reason is not in the answer"
sleep 1.2
assert_eq "$(ask "$URL_a" "$W/r3.der" -no_nonce)" revoked
cmp -s "$W/r1.der" "$W/r3.der" || fail "the revoked answer was not kept"

note "SHA-256 CertIDs, and a serial this CA never issued (unknown), with and without a nonce"
assert_eq "$(ask "$URL_a" "$W/s1.der" -sha256)" revoked
assert_eq "$(ask "$URL_a" "$W/s2.der" -sha256 -no_nonce)" revoked
for nn in "" -no_nonce; do
  o=$(ext openssl ocsp -issuer "$W/issuing.pem" -serial 0x4abc0123 -url "$URL_a/ocsp" \
    -CAfile "$W/chain.pem" $nn 2>&1) || fail "openssl ocsp: $o"
  assert_contains "$o" "Response verify OK"
  assert_contains "$o" "0x4abc0123: unknown"
done
note "a request the cache does not know for: another issuer's certificate is unknown"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/o.key" \
  -subj /CN=Other -days 1 -out "$W/o.pem" 2>/dev/null
o=$(openssl ocsp -issuer "$W/o.pem" -cert "$W/o.pem" -url "$URL_a/ocsp" -no_nonce \
  -CAfile "$W/chain.pem" 2>&1 || true)
assert_contains "$o" "unknown"
kill "$PID_a" "$PID_b"; wait "$PID_a" "$PID_b" || fail "kyso-ra did not stop cleanly"
pass
