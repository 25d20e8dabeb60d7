#!/usr/bin/env bash
# Issue 15 items 6 and 7: names in subjects. Bidi overrides, zero-width
# and C0/C1 control characters are refused; Vietnamese typed decomposed
# (NFD) is stored and certified NFC. RFC 5280's upper bounds are checked
# at registration: a 74-character company name is registered whole with
# the CN (and O) shortened as agreed (common_name), instead of being taken
# and then failing every lookup and completion; an e-mail over 128 or a
# province over 128 characters is refused at once.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main
P256=$(jq -c '.key_type = "p256"' <<<"$PERSON")
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
with() { jq -c --arg v "$2" ".$1 = \$v" <<<"${3:-$P256}"; }

note "refused: bidi, zero-width, C0 and C1 characters"
for bad in $'Nguy\u1ec5n \u202eAn' $'Nguy\u1ec5n\u200bAn' $'Nguy\u1ec5n\u200dAn' $'An\u2066x\u2069' \
    $'\ufeffAn' $'An\u200f' $'An\u0085' $'An\u009b31m' $'An\tB' $'An\x1b[2J' $'An\u2028B'; do
  op POST /api/v1/registrations "$(with name "$bad")"; expect 400 invalid_field
done
op POST /api/v1/registrations "$(with province $'H\u00e0 N\u1ed9i\u202e')"; expect 400 invalid_field
assert_eq "$(sql_q "SELECT count(*) FROM registrations")" 0

note "Vietnamese typed decomposed (NFD) is stored and certified as NFC"
nfd=$(printf 'Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An')
nfc=$(printf 'Nguy\xe1\xbb\x85n V\xc4\x83n An')
[ "$nfd" != "$nfc" ] || fail "the test's NFD text is NFC"
op POST /api/v1/registrations "$(with name "$nfd")"; expect 201
rid=$(jqo .id)
op GET "/api/v1/registrations/$rid"; assert_eq "$(jqo .name)" "$nfc"
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"NM0001\"}"
expect 200
jqo .certificate > "$W/c1.pem"
assert_contains "$(openssl x509 -in "$W/c1.pem" -noout -subject -nameopt utf8,sep_comma_plus)" "CN=$nfc"

note "a 74-character company name: refused without a shortened CN"
long="Công ty Trách nhiệm Hữu hạn Thương mại và Dịch vụ Kỹ thuật Số Việt Nam An"
[ "$(printf %s "$long" | wc -m)" -gt 64 ] || fail "the test's long name is short"
ORG='{"type":"organization","tax_code":"0101234567","representative":"Trần Văn Bình","province":"Hà Nội","email":"ketoan@example.vn","phone":"0243123456","key_type":"p256"}'
op POST /api/v1/registrations "$(with name "$long" "$ORG")"; expect 400 name_too_long
op POST /api/v1/registrations "$(jq -c --arg n "$long" '.name = $n | .common_name = ("x" * 65)' <<<"$ORG")"
expect 400 invalid_field
note "with common_name: registered whole, certified with the short CN and O"
op POST /api/v1/registrations "$(jq -c --arg n "$long" '.name = $n | .common_name = "Công ty TNHH Kỹ thuật Số Việt Nam An"' <<<"$ORG")"
expect 201
oid=$(jqo .id)
code=$(mail_value "Activation code")
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(jqo .subject.CN)" "Công ty TNHH Kỹ thuật Số Việt Nam An"
assert_eq "$(jqo .subject.O)" "Công ty TNHH Kỹ thuật Số Việt Nam An"
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"NM0002\"}"
expect 200
jqo .certificate > "$W/c2.pem"
t=$(openssl x509 -in "$W/c2.pem" -noout -subject -nameopt utf8,sep_comma_plus)
assert_contains "$t" "CN=Công ty TNHH Kỹ thuật Số Việt Nam An"
assert_contains "$t" "UID=MST:0101234567"
op GET "/api/v1/registrations/$oid"; expect 200
assert_eq "$(jqo .name)" "$long"
assert_eq "$(jqo .common_name)" "Công ty TNHH Kỹ thuật Số Việt Nam An"
note "renewal keeps the shortened CN"
op POST "/api/v1/registrations/$oid/renew" ''; expect 200
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"NM0002\"}"
expect 200
assert_contains "$(jqo .certificate | openssl x509 -noout -subject -nameopt utf8,sep_comma_plus)" \
  "CN=Công ty TNHH Kỹ thuật Số Việt Nam An"

note "a legal name that fits goes whole into O, the CN shortened"
mid="Công ty Cổ phần Đầu tư Phát triển Hạ tầng Hà Nội"
op POST /api/v1/registrations "$(jq -c --arg n "$mid" '.name = $n | .tax_code = "0109876543" | .common_name = "Hạ tầng Hà Nội"' <<<"$ORG")"
expect 201
code=$(mail_value "Activation code")
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(jqo .subject.O)" "$mid"
assert_eq "$(jqo .subject.CN)" "Hạ tầng Hà Nội"

note "upper bounds: e-mail and province"
op POST /api/v1/registrations "$(with email "$(head -c 118 /dev/zero | tr '\0' a)@example.vn")"; expect 400 invalid_field
op POST /api/v1/registrations "$(with province "$(head -c 129 /dev/zero | tr '\0' a)")"; expect 400 invalid_field
op POST /api/v1/registrations "$(with email "$(head -c 117 /dev/zero | tr '\0' a)@example.vn" "$(with id_number 001099000777)")"
expect 201
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"NM0003\"}"
expect 200
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
