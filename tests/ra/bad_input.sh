#!/usr/bin/env bash
# Bad input to the RA: wrong, spent and expired codes; weak, mismatched and
# forged CSRs; wrong OTPs; malformed, oversized and unknown JSON; SQL
# metacharacters in every field; missing or wrong operator tokens; rate
# limits. Each gets a clear error and changes nothing else.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type rsa2048
ra_serve main
ra_serve short --code-ttl 0
ra_serve limited --rate-limit 3 --pin-reset-limit 2

state() {  # registrations, certificates, activations, otps (and their states)
  sql_q "SELECT id, status, coalesce(token_serial, '') FROM registrations ORDER BY id"
  sql_q "SELECT serial, status FROM certificates ORDER BY serial"
  sql_q "SELECT id, coalesce(spent_at, -1) FROM activations ORDER BY id"
  sql_q "SELECT id, tries, spent FROM otps ORDER BY id"
}

op POST /api/v1/registrations "$PERSON"; expect 201
rid=$(jqo .id)
code=$(mail_value "Activation code")
assert_contains "$(state)" "${rid}|pending|" "the state query sees the registration"

note "wrong, malformed and SQL-laden codes: the same 404"
for c in "AAAAA-AAAAA-AAAAA-AAAAA" "short" "' OR '1'='1" "$code'; --" ""; do
  sub POST /api/v1/activation/lookup "$(jq -cn --arg c "$c" '{code:$c}')"
  expect 404 code_invalid
done
sub POST /api/v1/activation/lookup '{"code":12345}'; expect 400 missing_field
sub POST /api/v1/activation/lookup '{}'; expect 400 missing_field

note "CSRs: weak key, wrong type, forged signature, garbage"
before=$(state)
csr "$W/weak.pem" "$W/weak.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:1024
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/weak.csr"),\"token_serial\":\"T1\"}"
expect 400 key_unacceptable
csr "$W/ec.pem" "$W/ec.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/ec.csr"),\"token_serial\":\"T1\"}"
expect 400 key_type_mismatch
csr "$W/k.pem" "$W/good.csr" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
# flip one bit in the last byte of the signature
openssl req -in "$W/good.csr" -outform DER -out "$W/good.der"
n=$(stat -c %s "$W/good.der")
last=$(xxd -s $((n - 1)) -l 1 -p "$W/good.der")
{ head -c $((n - 1)) "$W/good.der"; printf "\\x$(printf %02x $((0x$last ^ 1)))"; } > "$W/bad.der"
openssl req -inform DER -in "$W/bad.der" -out "$W/bad.csr"
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/bad.csr"),\"token_serial\":\"T1\"}"
expect 400 csr_signature
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\\n\",\"token_serial\":\"T1\"}"
expect 400 csr_invalid
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/good.csr"),\"token_serial\":\"T1'; DROP TABLE certificates; --\"}"
expect 400 invalid_field
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/good.csr")}"
expect 400 missing_field
assert_eq "$(state)" "$before" "a refused completion changed the database"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200   # still unspent

note "the code is spent once"
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/good.csr"),\"token_serial\":\"T1\"}"
expect 200
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/good.csr"),\"token_serial\":\"T1\"}"
expect 404 code_invalid

note "a token already holding another subscriber's certificate is refused, the code kept"
op POST /api/v1/registrations "$(echo "$PERSON" | sed -e 's/001099012345/001099054321/' -e 's/an@example.vn/binh@example.vn/' -e 's/Nguyễn Văn An/Trần Thị Bình/')"
expect 201
c3=$(mail_value "Activation code")
before=$(state)
sub POST /api/v1/activation/complete "{\"code\":\"$c3\",\"csr\":$(json_str "$W/good.csr"),\"token_serial\":\"T1\"}"
expect 409 token_in_use
assert_eq "$(state)" "$before" "a refused completion changed the database"
sub POST /api/v1/activation/complete "{\"code\":\"$c3\",\"csr\":$(json_str "$W/good.csr"),\"token_serial\":\"T2\"}"
expect 200
# The database keeps serials apart too (two servers completing at once).
if sql_q "UPDATE registrations SET token_serial = 'T1' WHERE token_serial = 'T2'" 2>/dev/null; then
  fail "the database let two active registrations hold one token"
fi

note "an expired code (a server whose codes live 0 s)"
api POST "$URL_short/api/v1/registrations" "$PERSON" -H "Authorization: Bearer $RA_OP"; expect 201
c2=$(mail_value "Activation code")
api POST "$URL_short/api/v1/activation/lookup" "{\"code\":\"$c2\"}"; expect 404 code_invalid
sub POST /api/v1/activation/lookup "{\"code\":\"$c2\"}"; expect 404 code_invalid

note "a new code for the same registration spends the old one"
op POST "/api/v1/registrations/$rid/renew" ''; expect 200
old=$(mail_value "Activation code")
op POST "/api/v1/registrations/$rid/renew" '{"validity_years":3}'; expect 200
sub POST /api/v1/activation/lookup "{\"code\":\"$old\"}"; expect 404 code_invalid
newc=$(mail_value "Activation code")
sub POST /api/v1/activation/lookup "{\"code\":\"$newc\"}"; expect 200
assert_eq "$(jqo .validity_years)" 3

note "wrong OTP three times spends it"
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001099012345","email":"an@example.vn","token_serial":"T1"}'
expect 202
otp=$(mail_value OTP)
wrong=$(printf %06d $(( (10#$otp + 1) % 1000000 )))
chal=$(openssl rand -hex 32)
for i in 1 2 3; do
  sub POST /api/v1/pin-reset/confirm "{\"token_serial\":\"T1\",\"otp\":\"$wrong\",\"challenge\":\"$chal\"}"
  expect 403 otp_invalid
done
sub POST /api/v1/pin-reset/confirm "{\"token_serial\":\"T1\",\"otp\":\"$otp\",\"challenge\":\"$chal\"}"
expect 403 otp_invalid
sub POST /api/v1/pin-reset/confirm "{\"token_serial\":\"T1\",\"otp\":\"$otp\",\"challenge\":\"xyz\"}"
expect 400 invalid_field
sub POST /api/v1/pin-reset/confirm "{\"token_serial\":\"NOPE\",\"otp\":\"123456\",\"challenge\":\"$chal\"}"
expect 403 otp_invalid
# requests per subscriber are limited, silently
n=$(mails)
for i in 1 2 3 4; do
  sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"001099012345","email":"an@example.vn","token_serial":"T1"}'
  expect 202
done
assert_eq "$(mails)" $((n + 2)) "OTP mails per subscriber per window"
sub POST /api/v1/pin-reset/request '{"type":"personal","id_number":"12","email":"an@example.vn","token_serial":"T1"}'
expect 400 invalid_field

note "malformed, oversized and unknown JSON"
before=$(state)
op POST /api/v1/registrations '{"type":"personal",'; expect 400 bad_json
op POST /api/v1/registrations '[1,2]'; expect 400 bad_json
op POST /api/v1/registrations 'null'; expect 400 bad_json
op POST /api/v1/registrations '{"type":"personal","type":"organization"}'; expect 400 bad_json
op POST /api/v1/registrations "$(jq -c '. + {is_admin:true}' <<<"$PERSON")"; expect 400 unknown_field
op POST /api/v1/registrations "$(jq -c '.validity_years = 4' <<<"$PERSON")"; expect 400 invalid_field
op POST /api/v1/registrations "$(jq -c '.validity_years = "1"' <<<"$PERSON")"; expect 400 invalid_field
op POST /api/v1/registrations "$(jq -c '.key_type = "rsa1024"' <<<"$PERSON")"; expect 400 invalid_field
op POST /api/v1/registrations "$(jq -c '.id_number = "12345"' <<<"$PERSON")"; expect 400 invalid_field
op POST /api/v1/registrations "$(jq -c '.email = "a@b.vn\r\nBcc: x@y.vn"' <<<"$PERSON")"; expect 400 invalid_field
op POST /api/v1/registrations "$(jq -c '.name = "A\u0000B"' <<<"$PERSON")"; expect 400 bad_json
op POST /api/v1/registrations "$(jq -c 'del(.email)' <<<"$PERSON")"; expect 400 missing_field
op POST /api/v1/registrations '{"type":"organization","name":"Công ty A","tax_code":"0101234567","province":"Hà Nội","email":"a@a.vn","phone":"0243999999"}'
expect 400 missing_field   # representative
head -c 70000 /dev/zero | tr '\0' a > "$W/big"
op POST /api/v1/registrations "{\"name\":\"$(cat "$W/big")\"}"; expect 413 too_large
sub POST /api/v1/activation/lookup "{\"code\":\"$(cat "$W/big")\"}"; expect 413 too_large
# without a Content-Length (chunked) the cap holds too
api POST "$URL/api/v1/activation/lookup" "{\"code\":\"$(cat "$W/big")\"}" -H "Transfer-Encoding: chunked"
expect 413 too_large
assert_eq "$(state)" "$before" "refused requests changed the database"

note "SQL metacharacters in every field are data"
sq="x'); DROP TABLE registrations; --"
org=$(jq -cn --arg s "$sq" '{type:"organization", name:("Công ty " + $s), tax_code:"0101234567-001",
  representative:("Trần " + $s), province:("Hà Nội " + $s), email:"o'"'"'brien@example.vn", phone:"024 3999 9999",
  profile:"sign", key_type:"p256", validity_years:2}')
op POST /api/v1/registrations "$org"; expect 201
oid=$(jqo .id)
op GET "/api/v1/registrations/$oid"; expect 200
assert_eq "$(jqo .name)" "Công ty $sq"
assert_eq "$(jqo .representative)" "Trần $sq"
assert_eq "$(jqo .tax_code)" "0101234567-001"
assert_eq "$(jqo .email)" "o'brien@example.vn"
code=$(mail_value "Activation code")
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(jqo .subject.O)" "Công ty $sq"
assert_eq "$(jqo .subject.UID)" "MST:0101234567-001"
for q in "'" "%" "_" "\\" "' OR 1=1 --" "%' OR '1'='1"; do
  op GET "/api/v1/registrations?q=$(jq -rn --arg q "$q" '$q|@uri')"; expect 200
done
op GET "/api/v1/registrations?q=$(jq -rn --arg q "DROP TABLE" '$q|@uri')"; expect 200
assert_eq "$(jqo '.items | length')" 1
op GET "/api/v1/registrations/1%20OR%201=1"; expect 404 not_found
op GET "/api/v1/registrations/$oid'"; expect 404 not_found
op POST "/api/v1/certificates/'%20OR%201=1/revoke" '{"reason":"keyCompromise"}'; expect 404 not_found
op POST "/api/v1/registrations/$oid/update" "$(jq -cn --arg s "$sq" '{province:$s, type:"personal"}')"
expect 400 unknown_field
sub POST /api/v1/pin-reset/request "$(jq -cn --arg s "$sq" '{type:"organization",tax_code:"0101234567-001",email:$s,token_serial:"T1"}')"
expect 400 invalid_field
op GET /api/v1/registrations; expect 200
assert_eq "$(jqo '.items | length')" 4 "all registrations still there"

note "operators must authenticate; every call is audited"
api GET "$URL/api/v1/registrations" ''; expect 401 unauthorized
# the token with its last digit changed
if [ "${RA_OP: -1}" = 0 ]; then bad_tok=${RA_OP%?}1; else bad_tok=${RA_OP%?}0; fi
api GET "$URL/api/v1/registrations" '' -H "Authorization: Bearer $bad_tok"; expect 401 unauthorized
api GET "$URL/api/v1/registrations" '' -H "Authorization: Basic $RA_OP"; expect 401 unauthorized
# refused unauthenticated calls are counted per address and minute, not
# kept one row each (issue 15: a flood of 401s filled the disk)
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE actor = 'anonymous'")" 0
assert_eq "$(sql_q "SELECT sum(n) FROM audit_counts WHERE status = 401")" 3
op GET /api/v1/nothing; expect 404 not_found
api GET "$URL/nothing" ''; expect 404 not_found

note "rate limits per address"
for i in 1 2 3; do
  api POST "$URL_limited/api/v1/activation/lookup" '{"code":"AAAAA-AAAAA-AAAAA-AAAAA"}'; expect 404
done
api POST "$URL_limited/api/v1/activation/lookup" '{"code":"AAAAA-AAAAA-AAAAA-AAAAA"}'; expect 429 rate_limited

note "plain HTTP only on loopback; options checked"
assert_exit 2 "$RA" serve --listen 0.0.0.0:0 --insecure-http
assert_exit 2 "$RA" serve --listen nowhere
assert_exit 2 "$RA" serve --code-ttl -1
# select() takes descriptors below 1024: more connections are refused at start
assert_exit 2 "$RA" serve --listen 127.0.0.1:0 --insecure-http --max-connections 801
assert_exit 2 "$RA" frobnicate
assert_exit 3 env KYSO_HOME="$W/empty" "$RA" serve --insecure-http --listen 127.0.0.1:0
assert_exit 0 "$RA" serve --help
assert_contains "$OUT" "--insecure-http"
assert_exit 0 "$RA" init --help
assert_exit 0 "$RA" operator --help
assert_exit 1 "$RA" operator add "op-$$"
note "a removed operator's token stops working"
tok2=$("$RA" operator add "temp-$$")
api GET "$URL/api/v1/registrations" '' -H "Authorization: Bearer $tok2"; expect 200
assert_exit 0 "$RA" operator list
assert_contains "$OUT" "temp-$$"
assert_exit 0 "$RA" operator remove "temp-$$"
api GET "$URL/api/v1/registrations" '' -H "Authorization: Bearer $tok2"; expect 401 unauthorized
assert_exit 1 "$RA" operator remove "temp-$$"
assert_exit 2 "$RA" operator frob
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE 'operator %'")" 3
for p in "$PID_main" "$PID_short" "$PID_limited"; do
  kill "$p"; wait "$p" || fail "kyso-ra did not stop cleanly (see $W/ra-*.log)"
done
pass
