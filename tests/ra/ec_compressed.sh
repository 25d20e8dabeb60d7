#!/usr/bin/env bash
# Issue 15 item 8: a request whose EC point is compressed (02/03 X) gets a
# certificate with the point uncompressed (04 X Y): the same key, a
# subjectKeyIdentifier over the written point, a chain openssl verifies.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main
curl -fsS "$URL/ca.pem" -o "$W/chain.pem" || fail "GET /ca.pem"
openssl x509 -in "$W/chain.pem" -out "$W/issuing.pem"
i=0
for curve in P-256 P-384; do
  i=$((i + 1))
  kt=$([ "$curve" = P-256 ] && echo p256 || echo p384)
  note "$curve: a request with a compressed point"
  openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$curve" -out "$W/k$i.pem" 2>/dev/null
  openssl ec -in "$W/k$i.pem" -conv_form compressed -out "$W/kc$i.pem" 2>/dev/null
  openssl req -new -key "$W/kc$i.pem" -subj "/CN=x" -out "$W/r$i.csr" 2>/dev/null
  # BIT STRING of 1 + 33 (P-256) or 1 + 49 (P-384) bytes: 00, then 02|03 X
  der=$(openssl asn1parse -in "$W/r$i.csr" -out /dev/stdout -noout | xxd -p | tr -d '\n')
  [[ "$der" =~ 03(22|32)000[23] ]] || fail "$curve: the request's point is not compressed"
  body=$(jq -c --arg n "$(printf '%012d' "$i")" --arg k "$kt" '.id_number = $n | .key_type = $k' <<<"$PERSON")
  op POST /api/v1/registrations "$body"; expect 201
  sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r$i.csr"),\"token_serial\":\"EC000$i\"}"
  expect 200
  jqo .certificate > "$W/c$i.pem"
  # the certificate's subjectPublicKey: 04 X Y
  openssl x509 -in "$W/c$i.pem" -noout -pubkey | openssl pkey -pubin -outform DER -out "$W/spki$i.der"
  cmp -s "$W/spki$i.der" <(openssl pkey -in "$W/k$i.pem" -pubout -outform DER) ||
    fail "$curve: the certificate's SPKI is not the key's uncompressed SPKI"
  # the bytes in the certificate itself (not openssl's re-encoding)
  openssl x509 -in "$W/c$i.pem" -outform DER -out "$W/c$i.der"
  grep -qF "$(xxd -p "$W/spki$i.der" | tr -d '\n')" <(xxd -p "$W/c$i.der" | tr -d '\n') ||
    fail "$curve: the certificate does not carry the uncompressed SPKI"
  # SKI: SHA-1 of the subjectPublicKey bits as written
  bits=$(tail -c +$(( $(stat -c %s "$W/spki$i.der") - $([ "$curve" = P-256 ] && echo 65 || echo 97) + 1 )) "$W/spki$i.der" | sha1sum | cut -c1-40)
  ski=$(openssl x509 -in "$W/c$i.pem" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' :' | tr A-F a-f)
  assert_eq "$ski" "$bits" "$curve: SKI"
  ext openssl verify -CAfile "$RA_HOME/root.pem" -untrusted "$W/issuing.pem" "$W/c$i.pem" >/dev/null ||
    fail "$curve: the certificate does not verify"
done
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
