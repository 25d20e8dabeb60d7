#!/usr/bin/env bash
# The whole certificate life on a token, the way a CA and its subscriber
# run it: operator registers → activation code by mail → kyso-token
# register → certificate on the token, verified by openssl; renewal (new
# serial, old still good), change of details, forgot PIN by OTP, revocation
# (CRL and OCSP say so).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../ra_lib.sh"

ra_start
make_token E2E0001 --label "Nguyen Van A" --admin-master "$RA_HOME/admin-master.key"
change_default_pin E2E0001
W=$KYSO_HOME/work; mkdir -p "$W"
curl -fsS "$RA_URL/ca.pem" -o "$W/chain.pem"

note "the operator registers a subscriber; the activation code comes by mail"
reg=$(op_post /api/v1/registrations '{"type":"personal","name":"Nguyễn Văn A","id_number":"001099012345","province":"Hà Nội","email":"a@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}')
rid=$(jq -r .id <<<"$reg")
code=$(last_mail_value "Activation code")
[ -n "$code" ] || fail "no activation code in the outbox"

note "kyso-token register: PIN, code, details, key on the token, certificate installed"
assert_exit 0 "$KT" register --ra "$RA_URL" --token E2E0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$OUT" "Serial number"
certs=$("$KT" certs --token E2E0001 --json)
serial1=$(jq -r '[.[] | select(.ca == false)][0].serial' <<<"$certs")
assert_contains "$(jq -r '.[].subject' <<<"$certs")" "CCCD:001099012345"
"$KT" export --token E2E0001 --label "Nguyễn Văn A" -o "$W/c1.pem"
openssl verify -CAfile "$W/chain.pem" "$W/c1.pem" >/dev/null || fail "openssl does not verify the installed certificate"
openssl x509 -in "$W/c1.pem" -noout -text > "$W/c1.txt"
assert_contains "$(cat "$W/c1.txt")" "Digital Signature, Non Repudiation"

note "a spent code is refused, and nothing more is installed"
n_before=$(jq length <<<"$certs")
assert_exit 1 "$KT" register --ra "$RA_URL" --token E2E0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$OUT" "the activation code is wrong, already used or expired"
assert_eq "$("$KT" certs --token E2E0001 --json | jq length)" "$n_before" "a refused code changed the token"
assert_exit 1 env LANG=vi_VN.UTF-8 "$KT" register --ra "$RA_URL" --token E2E0001 --yes --pin-fd 3 \
  --code-fd 4 3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$OUT" "mã kích hoạt sai, đã dùng hoặc đã hết hạn"

note "renewal (TH1): a new serial; the old certificate stays valid"
op_post "/api/v1/registrations/$rid/renew" '{}' >/dev/null
code=$(last_mail_value "Activation code")
assert_exit 0 "$KT" renew --ra "$RA_URL" --token E2E0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
serial2=$("$KT" certs --token E2E0001 --json | jq -r "[.[] | select(.ca == false and .serial != \"$serial1\")][0].serial")
[ -n "$serial2" ] && [ "$serial2" != null ] && [ "$serial2" != "$serial1" ] || fail "renewal did not install a new serial"
openssl x509 -in "$W/chain.pem" -out "$W/issuer.pem" 2>/dev/null  # the issuing CA comes first
ocsp=$(openssl ocsp -issuer "$W/issuer.pem" -cert "$W/c1.pem" -url "$RA_URL/ocsp" -CAfile "$W/chain.pem" 2>&1)
assert_contains "$ocsp" ": good" "the old certificate is not good after renewal"

note "change of details (TH2)"
op_post "/api/v1/registrations/$rid/update" '{"province":"Đà Nẵng"}' >/dev/null
code=$(last_mail_value "Activation code")
assert_exit 0 "$KT" update --ra "$RA_URL" --token E2E0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$("$KT" certs --token E2E0001 --json | jq -r '.[].subject')" "Đà Nẵng"

note "forgot PIN: lock it, OTP by mail, PIN reset to the factory PIN, change forced"
for i in 1 2 3 4 5; do
  "$KT" change-pin --token E2E0001 --pin-fd 3 --new-pin-fd 4 3<<<"99999999" 4<<<$'11223344\n11223344' >/dev/null 2>&1 || true
done
assert_exit 13 "$KT" check --token E2E0001 --batch
mkfifo "$W/otp"
"$KT" forgot-pin --ra "$RA_URL" --token E2E0001 --type personal \
  --id 001099012345 --email a@example.vn --otp-fd 5 5<>"$W/otp" >"$W/fp.out" 2>&1 &
fp=$!
for i in $(seq 1 100); do
  grep -qs "^OTP:" "$(newest_mail)" && break
  sleep 0.1
done
otp=$(last_mail_value OTP)
[ -n "$otp" ] || fail "no OTP in the outbox"
echo "$otp" >"$W/otp"
wait "$fp" || fail "forgot-pin failed: $(cat "$W/fp.out")"
fp_out=$(cat "$W/fp.out")
assert_contains "$fp_out" "12345678"
assert_exit 10 "$KT" check --token E2E0001 --batch
change_default_pin E2E0001

note "revocation: CRL and OCSP both say revoked"
op_post "/api/v1/certificates/$serial1/revoke" '{"reason":"superseded"}' >/dev/null
ocsp=$(openssl ocsp -issuer "$W/issuer.pem" -cert "$W/c1.pem" -url "$RA_URL/ocsp" -CAfile "$W/chain.pem" 2>&1)
assert_contains "$ocsp" ": revoked"
curl -fsS "$RA_URL/crl" -o "$W/crl.der"
crl=$(openssl crl -inform DER -in "$W/crl.der" -noout -text)
assert_contains "$(tr 'a-f' 'A-F' <<<"$crl")" "$(tr 'a-f' 'A-F' <<<"$serial1")"
pass
