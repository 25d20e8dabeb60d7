#!/usr/bin/env bash
# The RA/CA server end to end on SQLite with a PEM CA key: register → code
# by mail (checkpointed into ra.db while serving) → lookup → complete
# (certificate checked by openssl against the
# chain, extensions and subject) → renew (new serial, old still good) →
# update → revoke (CRL and OCSP) → forgot-PIN OTP and the unblock response
# (checked against HMAC computed by openssl) → time-stamps.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
[ "$(stat -c %a "$RA_HOME/admin-master.key")" = 600 ] || fail "master key mode"
[ "$(stat -c %s "$RA_HOME/admin-master.key")" = 32 ] || fail "master key size"
for f in ra.db ra.conf ca-key.pem root-key.pem ocsp-key.pem tsa-key.pem; do
  [ ! -e "$RA_HOME/$f" ] || [ "$(stat -c %a "$RA_HOME/$f")" = 600 ] || fail "$f is readable by others"
done
[ "$(stat -c %a "$RA_HOME")" = 700 ] || fail "the ra folder is open to others"
assert_exit 3 "$RA" init
ra_serve main
curl -fsS "$URL/ca.pem" -o "$W/chain.pem" || fail "GET /ca.pem"
openssl x509 -in "$W/chain.pem" -out "$W/issuing.pem"
cp "$RA_HOME/root.pem" "$W/root.pem"
assert_eq "$(grep -c BEGIN "$W/chain.pem")" 2 "chain has issuing CA and root"
if [ -n "${RA_TEST_HSM:-}" ]; then
  [ ! -e "$RA_HOME/ca-key.pem" ] || fail "the CA key is on the token, not in a file"
  assert_contains "$(cat "$RA_HOME/ra.conf")" "ca_key = pkcs11"
  # the server refuses to start without the token's PIN
  assert_exit 2 "$RA" serve --insecure-http --listen 127.0.0.1:0
fi
ext openssl verify -CAfile "$W/root.pem" "$W/issuing.pem" >/dev/null || fail "issuing CA does not chain to the root"

note "register: 201 pending, one mail with the code (Vietnamese and English)"
op POST /api/v1/registrations "$PERSON"; expect 201
rid=$(jqo .id); assert_eq "$(jqo .status)" pending
assert_eq "$(mails)" 1
code=$(mail_value "Activation code")
[[ "$code" =~ ^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$ ]] || fail "code shape: $code"
assert_eq "$(mail_value "Mã kích hoạt")" "$code"
grep -q "^Content-Type: text/plain; charset=UTF-8" "$RA_HOME"/outbox/*.eml || fail "mail charset"
grep -q "^To: <an@example.vn>" "$RA_HOME"/outbox/*.eml || fail "mail To"

if [ -z "${RA_DB_URL:-}" ]; then
  note "the server checkpoints SQLite's log into ra.db while it runs (no request waits for it)"
  for i in $(seq 100); do
    grep -qaF "an@example.vn" "$RA_HOME/ra.db" && break
    sleep 0.05
  done
  grep -qaF "an@example.vn" "$RA_HOME/ra.db" || fail "the registration stayed in the WAL; nothing checkpointed it"
fi

op GET "/api/v1/registrations/$rid"; expect 200
assert_eq "$(jqo .pending_activation.kind)" new
assert_not_contains "$OUT" "$code"
note "lookup shows the registered details"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(jqo .kind)" new
assert_eq "$(jqo .type)" personal
assert_eq "$(jqo .subject.UID)" "CCCD:001099012345"
assert_eq "$(jqo .subject.CN)" "Nguyễn Văn An"
assert_eq "$(jqo .subject.ST)" "Hà Nội"
assert_eq "$(jqo .subject.C)" VN
assert_eq "$(jqo .subject.emailAddress)" an@example.vn
assert_eq "$(jqo '.subject.O // "none"')" none
assert_eq "$(jqo .key_type)" rsa2048
assert_eq "$(jqo .validity_years)" 1
assert_eq "$(jqo .profile)" sign
assert_contains "$(jqo .subject_dn)" "UID=CCCD:001099012345"
# lower case and no dashes are the same code
sub POST /api/v1/activation/lookup "{\"code\":\"$(tr -d - <<<"$code" | tr A-Z a-z)\"}"; expect 200

note "complete: the certificate, built from the registration, not the CSR"
csr "$W/k1.pem" "$W/r1.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r1.csr"),\"token_serial\":\"KT0001\"}"
expect 200
s1=$(jqo .serial)
jqo .certificate > "$W/c1.pem"
assert_eq "$(jqo '.chain | length')" 2
jqo '.chain[0]' | openssl x509 | cmp -s - "$W/issuing.pem" || fail "chain[0] is not the issuing CA"
[ ${#s1} -ge 16 ] || fail "serial too short: $s1"
ext openssl verify -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" "$W/c1.pem" >/dev/null ||
  fail "certificate does not verify against the chain"
openssl x509 -in "$W/c1.pem" -noout -text -nameopt utf8,sep_comma_plus > "$W/c1.txt"
t=$(cat "$W/c1.txt")
for want in "X509v3 Key Usage: critical" "Digital Signature, Non Repudiation" \
    "E-mail Protection, TLS Web Client Authentication" \
    "X509v3 Subject Key Identifier" "X509v3 Authority Key Identifier" \
    "URI:$URL/crl" "OCSP - URI:$URL/ocsp" "CA Issuers - URI:$URL/ca.crt" "CA:FALSE" \
    "UID=CCCD:001099012345" "CN=Nguyễn Văn An" "ST=Hà Nội" "C=VN" \
    "emailAddress=an@example.vn"; do
  assert_contains "$t" "$want"
done
assert_not_contains "$t" "Mallory"
assert_not_contains "$t" "Not Me"
assert_eq "$(openssl x509 -in "$W/c1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)" "$s1"
cmp -s <(openssl x509 -in "$W/c1.pem" -noout -pubkey) <(openssl pkey -in "$W/k1.pem" -pubout) ||
  fail "certificate is not for the CSR's key"

curl -fsS "$URL/ca.crt" -o "$W/ca.der" || fail "GET /ca.crt"
cmp -s <(openssl x509 -inform DER -in "$W/ca.der") "$W/issuing.pem" || fail "/ca.crt is not the issuing CA"

note "the code is spent"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 404 code_invalid
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r1.csr"),\"token_serial\":\"KT0001\"}"
expect 404 code_invalid

ocsp_status() {  # ocsp_status CERT -> good|revoked|unknown
  local o
  o=$(ext openssl ocsp -issuer "$W/issuing.pem" -cert "$1" -url "$URL/ocsp" \
    -CAfile "$W/chain.pem" 2>&1) || fail "openssl ocsp: $o"
  assert_contains "$o" "Response verify OK"
  sed -n "s|^$1: ||p" <<<"$o" | head -n 1
}
assert_eq "$(ocsp_status "$W/c1.pem")" good

note "operator views: details with the certificate, search"
op GET "/api/v1/registrations/$rid"; expect 200
assert_eq "$(jqo .status)" active
assert_eq "$(jqo .token_serial)" KT0001
assert_eq "$(jqo .id_number)" 001099012345
assert_eq "$(jqo '.certificates[0].serial')" "$s1"
assert_eq "$(jqo '.certificates[0].status')" good
assert_eq "$(jqo .pending_activation)" null
op GET "/api/v1/registrations?q=nguy%E1%BB%85n"; expect 200
assert_eq "$(jqo '.items | length')" 1
op GET "/api/v1/registrations?q=0912345678"; expect 200
assert_eq "$(jqo '.items[0].id')" "$rid"
op GET "/api/v1/registrations?q=nobody"; expect 200
assert_eq "$(jqo '.items | length')" 0

note "renew (TH1): a new code, a new serial, the old certificate still good"
op POST "/api/v1/registrations/$rid/renew" '{"validity_years":2}'; expect 200
assert_eq "$(jqo .kind)" renew
code=$(mail_value "Activation code")
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(jqo .kind)" renew
assert_eq "$(jqo .validity_years)" 2
csr "$W/k2.pem" "$W/r2.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r2.csr"),\"token_serial\":\"KT0001\"}"
expect 200
s2=$(jqo .serial); jqo .certificate > "$W/c2.pem"
[ "$s2" != "$s1" ] || fail "renewal kept the serial"
ext openssl verify -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" "$W/c2.pem" >/dev/null || fail "renewed cert"
nb=$(date -d "$(openssl x509 -in "$W/c2.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$W/c2.pem" -noout -enddate | cut -d= -f2)" +%s)
assert_eq "$(( (na - nb + 400) / 86400 ))" 730 "renewed validity in days"
assert_eq "$(ocsp_status "$W/c1.pem")" good
assert_eq "$(ocsp_status "$W/c2.pem")" good

note "update (TH2): changed details, mailed to the new address"
op POST "/api/v1/registrations/$rid/update" '{"province":"Đà Nẵng","email":"an.nguyen@example.vn"}'
expect 200; assert_eq "$(jqo .kind)" update
f=$(newest_mail)
grep -q "^To: <an.nguyen@example.vn>" "$f" || fail "update mail not sent to the new address"
code=$(mail_value "Activation code")
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(jqo .kind)" update
assert_eq "$(jqo .subject.ST)" "Đà Nẵng"
op GET "/api/v1/registrations/$rid"; assert_eq "$(jqo .province)" "Hà Nội" "details change only on completion"
csr "$W/k3.pem" "$W/r3.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r3.csr"),\"token_serial\":\"KT0001\"}"
expect 200
s3=$(jqo .serial); jqo .certificate > "$W/c3.pem"
t=$(openssl x509 -in "$W/c3.pem" -noout -subject -nameopt utf8,sep_comma_plus)
assert_contains "$t" "ST=Đà Nẵng"
assert_contains "$t" "emailAddress=an.nguyen@example.vn"
op GET "/api/v1/registrations/$rid"; expect 200
assert_eq "$(jqo .province)" "Đà Nẵng"
assert_eq "$(jqo '.certificates | length')" 3

note "revoke: CRL and OCSP say revoked; the others stay good"
op POST "/api/v1/certificates/$s1/revoke" '{"reason":"superseded"}'; expect 200
op POST "/api/v1/certificates/$(tr a-f A-F <<<"$s1")/revoke" '{"reason":"superseded"}'; expect 409 already_revoked
op POST "/api/v1/certificates/0abc/revoke" '{"reason":"superseded"}'; expect 404 not_found
assert_eq "$(ocsp_status "$W/c1.pem")" revoked
assert_eq "$(ocsp_status "$W/c2.pem")" good
curl -fsS "$URL/crl" -o "$W/crl.der" || fail "GET /crl"
ext openssl crl -inform DER -in "$W/crl.der" -CAfile "$W/chain.pem" -noout 2>&1 | grep -q "verify OK" ||
  fail "CRL signature"
crl=$(openssl crl -inform DER -in "$W/crl.der" -noout -text)
assert_contains "$(tr a-f A-F <<<"$crl")" "$(tr a-f A-F <<<"$s1")"
assert_contains "$crl" "Superseded"
assert_not_contains "$(tr a-f A-F <<<"$crl")" "$(tr a-f A-F <<<"$s2")"
openssl x509 -in "$W/c1.pem" -outform DER -out "$W/c1.der"
ext openssl verify -crl_check -CRLfile <(openssl crl -inform DER -in "$W/crl.der") \
  -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" "$W/c1.pem" >/dev/null 2>&1 &&
  fail "openssl verify -crl_check accepted a revoked certificate"
# OCSP over GET too (RFC 6960 A.1)
openssl ocsp -issuer "$W/issuing.pem" -cert "$W/c1.pem" -reqout "$W/q.der" -no_nonce >/dev/null 2>&1
b64=$(base64 -w0 "$W/q.der" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
curl -fsS "$URL/ocsp/$b64" -o "$W/r.der" || fail "OCSP GET"
ext openssl ocsp -respin "$W/r.der" -issuer "$W/issuing.pem" -cert "$W/c1.pem" -CAfile "$W/chain.pem" \
  -no_nonce 2>&1 | grep -q ": revoked" || fail "OCSP GET answer"

note "forgot PIN: OTP by mail, then the unblock response, as openssl computes it"
n=$(mails)
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001099012345","email":"An.Nguyen@example.vn","token_serial":"KT0001"}'
expect 202; assert_eq "$(jqo .status)" accepted
assert_eq "$(jqo .expires_in)" 300 "the OTP's lifetime (--otp-ttl's default)"
assert_eq "$(mails)" $((n + 1))
otp=$(mail_value OTP)
[[ "$otp" =~ ^[0-9]{6}$ ]] || fail "OTP shape: $otp"
assert_eq "$(mail_value "Mã OTP")" "$otp"
# no match: the same answer, no mail
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001099012345","email":"an.nguyen@example.vn","token_serial":"OTHER01"}'
expect 202; assert_eq "$(jqo .status)" accepted
assert_eq "$(jqo .expires_in)" 300 "no match: the same lifetime"
sub POST /api/v1/pin-reset/request '{"type":"organization","tax_code":"0101234567","email":"an.nguyen@example.vn","token_serial":"KT0001"}'
expect 202
assert_eq "$(mails)" $((n + 1)) "a non-matching request sent mail"
chal=$(openssl rand -hex 32)
sub POST /api/v1/pin-reset/confirm "{\"token_serial\":\"KT0001\",\"otp\":\"$otp\",\"challenge\":\"$chal\"}"
expect 200
assert_eq "$(jq -r 'keys | join(",")' <<<"$OUT")" response "the answer carries only the response"
master=$(xxd -p -c 256 "$RA_HOME/admin-master.key")
admin=$(printf 'kyso-token-admin-v1:%s' KT0001 | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$master" -r | cut -d' ' -f1)
want=$(xxd -r -p <<<"$chal" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$admin" -r | cut -d' ' -f1)
assert_eq "$(jqo .response)" "$want" "unblock response"
sub POST /api/v1/pin-reset/confirm "{\"token_serial\":\"KT0001\",\"otp\":\"$otp\",\"challenge\":\"$chal\"}"
expect 403 otp_invalid

note "time-stamps (RFC 3161) from the TSA certificate the CA issued"
echo "hợp đồng số 1" > "$W/doc.txt"
openssl ts -query -data "$W/doc.txt" -sha256 -cert -out "$W/q.tsq" 2>/dev/null
curl -fsS -H "Content-Type: application/timestamp-query" --data-binary @"$W/q.tsq" \
  "$URL/tsa" -o "$W/r.tsr" -D "$W/h.txt" || fail "POST /tsa"
grep -qi "^content-type: application/timestamp-reply" "$W/h.txt" || fail "TSA content type"
ext openssl ts -verify -in "$W/r.tsr" -queryfile "$W/q.tsq" -CAfile "$W/root.pem" \
  -untrusted "$W/issuing.pem" 2>&1 | grep -q "Verification: OK" || fail "openssl ts -verify"
openssl ts -reply -in "$W/r.tsr" -text 2>/dev/null | grep -q "Status: Granted" || fail "TSA status"

note "health check; the access log names calls, never secrets"
api GET "$URL/healthz" ''; expect 200; assert_eq "$(jqo .status)" ok
log=$(cat "$W/ra-main.log")
assert_contains "$log" "127.0.0.1 POST /api/v1/activation/complete 200"
assert_contains "$log" "127.0.0.1 POST /api/v1/activation/lookup 404"
assert_not_contains "$log" "$otp"
assert_not_contains "$log" "$code"
assert_not_contains "$log" "$RA_OP"
assert_not_contains "$log" "$chal"

note "the audit log has every call, and refuses changes"
a=$(sql_q "SELECT count(*) FROM audit WHERE actor = 'op-$$'")
[ "$a" -ge 10 ] || fail "operator calls audited: $a"
assert_contains "$(sql_q "SELECT action, remote FROM audit WHERE action LIKE '%revoke%' LIMIT 1")" "127.0.0.1"
sql_q "DELETE FROM audit" >/dev/null 2>&1 && fail "audit rows could be deleted"
sql_q "UPDATE audit SET actor = 'x'" >/dev/null 2>&1 && fail "audit rows could be changed"
assert_eq "$(sql_q "SELECT count(*) FROM otps WHERE otp_hash LIKE '%$otp%'")" 0 "the OTP is stored in the clear"
assert_eq "$(sql_q "SELECT count(*) FROM activations WHERE code_hash LIKE '%$(tr -d - <<<"$code")%'")" 0

if [ -n "${RA_TEST_TWO:-}" ]; then
  note "a second server on the same database answers for codes the first made"
  ra_serve second
  op POST "/api/v1/registrations/$rid/renew" ''; expect 200
  code=$(mail_value "Activation code")
  api POST "$URL_second/api/v1/activation/lookup" "{\"code\":\"$code\"}"; expect 200
  api POST "$URL_second/api/v1/activation/complete" "{\"code\":\"$code\",\"csr\":$(json_str "$W/r3.csr"),\"token_serial\":\"KT0001\"}"
  expect 200
  sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 404 code_invalid
  # one code sent to both servers at once: exactly one certificate
  op POST "/api/v1/registrations/$rid/renew" ''; expect 200
  code=$(mail_value "Activation code")
  body="{\"code\":\"$code\",\"csr\":$(json_str "$W/r3.csr"),\"token_serial\":\"KT0001\"}"
  n0=$(sql_q "SELECT count(*) FROM certificates")
  racers=()
  i=0
  for u in "$URL" "$URL_second" "$URL" "$URL_second"; do
    i=$((i + 1))
    curl -s -o /dev/null -w '%{http_code}\n' --data-binary "$body" \
      "$u/api/v1/activation/complete" > "$W/race.$i" &
    racers+=($!)
  done
  wait "${racers[@]}" || true
  cat "$W"/race.? > "$W/race.txt"
  assert_eq "$(grep -c '^200$' "$W/race.txt")" 1 "racing completions that issued"
  assert_eq "$(grep -c '^404$' "$W/race.txt")" 3 "racing completions refused"
  assert_eq "$(sql_q "SELECT count(*) FROM certificates")" $((n0 + 1))
  kill "$PID_second"; wait "$PID_second" || fail "the second kyso-ra did not stop cleanly"
  note "the database server restarts: kyso-ra connects again"
  pg_restart
  op GET "/api/v1/registrations/$rid"; expect 200
  op POST "/api/v1/registrations/$rid/renew" ''; expect 200
fi
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
