#!/usr/bin/env bash
# Issue 15 item 7: long legal names and stuck registrations. A
# registration an older kyso-ra took with a 74-character company name and
# a 130-character e-mail (no common_name) failed every lookup and
# completion: `kyso-ra registration edit` (POST registrations/ID/edit)
# gives it a shortened CN and a valid e-mail, its pending code then
# issues, and the certificate keeps the full legal name in kyso's
# legal-name extension (non-critical, UTF8String). `registration cancel`
# closes one that holds no valid certificate: its code stops working.
# Both are audited; openssl reads the certificate.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
ra_serve main
LEGAL_OID=2.25.132565008011904647417962619961560147753
long="Công ty Trách nhiệm Hữu hạn Thương mại và Dịch vụ Kỹ thuật Số Việt Nam An"
short="Công ty TNHH Kỹ thuật Số Việt Nam An"
bigmail="$(head -c 118 /dev/zero | tr '\0' k)@example.vn"
ORG='{"type":"organization","name":"Công ty An","tax_code":"0101234567","representative":"Trần Văn Bình","province":"Hà Nội","email":"ketoan@example.vn","phone":"0243123456","key_type":"p256"}'
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
raop() { "$RA" registration "$@" --server "$URL" --token-fd 3 3<<<"$RA_OP"; }

note "a registration as an older kyso-ra took it: name over 64, e-mail over 128, no common_name"
op POST /api/v1/registrations "$ORG"; expect 201
rid=$(jqo .id)
code=$(mail_value "Activation code")
sql_q "UPDATE registrations SET name = '$long', email = '$bigmail' WHERE id = $rid"
det=$(sql_q "SELECT details FROM activations WHERE registration_id = $rid")
det=$(jq -c --arg n "$long" --arg e "$bigmail" '.name = $n | .email = $e' <<<"$det")
sql_q "UPDATE activations SET details = '$det' WHERE registration_id = $rid"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"
[ "$STATUS" -ge 500 ] || fail "the stuck registration's lookup answered $STATUS"

note "edit: refused details are refused, nothing changes"
assert_exit 1 raop edit "$rid" --email "$bigmail"
assert_exit 1 raop edit "$rid" --email an@example.vn   # the name still needs a CN
assert_contains "$OUT" "common_name"
assert_exit 1 raop edit "$rid" --name "An" --organization "An"
assert_exit 2 raop edit "$rid"
assert_eq "$(sql_q "SELECT email FROM registrations WHERE id = $rid")" "$bigmail"

note "edit --common-name --email: the pending code now issues"
assert_exit 0 raop edit "$rid" --common-name "$short" --email ketoan@example.vn
assert_contains "$OUT" "ketoan@example.vn"
op GET "/api/v1/registrations/$rid"; expect 200
assert_eq "$(jqo .name)" "$long"
assert_eq "$(jqo .common_name)" "$short"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(jqo .subject.CN)" "$short"
assert_eq "$(jqo .subject.emailAddress)" ketoan@example.vn
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"ED0001\"}"
expect 200
jqo .certificate > "$W/c1.pem"
subj=$(openssl x509 -in "$W/c1.pem" -noout -subject -nameopt utf8,sep_comma_plus)
assert_contains "$subj" "CN=$short"
assert_contains "$subj" "O=$short"
note "the full legal name in kyso's legal-name extension, not critical"
der=$(openssl x509 -in "$W/c1.pem" -outform DER | xxd -p | tr -d '\n')
oidhex=$(openssl asn1parse -genstr "OID:$LEGAL_OID" -out /dev/stdout -noout | xxd -p | tr -d '\n')
[[ $der == *"$oidhex"* ]] || fail "no legal-name extension"
[[ $der == *"${oidhex}01"* ]] && fail "the legal-name extension is critical"
openssl x509 -in "$W/c1.pem" -outform DER -out "$W/c1.der"
ext=$(openssl asn1parse -inform DER -in "$W/c1.der" 2>/dev/null | grep -A1 ":$LEGAL_OID" | tail -n 1)
off=$(sed 's/^ *\([0-9]*\):.*/\1/' <<<"$ext")
assert_contains "$(openssl asn1parse -inform DER -in "$W/c1.der" -strparse "$off" 2>/dev/null)" "UTF8STRING        :$long"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE 'POST /api/v1/registrations/$rid/edit' AND status = 200")" 1
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action LIKE 'POST /api/v1/registrations/$rid/edit' AND status = 400")" 3

note "a name that fits: no legal-name extension"
op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
pid=$(jqo .id)
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"ED0002\"}"
expect 200
[[ $(jqo .certificate | openssl x509 -outform DER | xxd -p | tr -d '\n') == *"$oidhex"* ]] &&
  fail "a legal-name extension for a name the subject holds"
assert_exit 1 raop edit "$pid" --organization "Công ty"

note "cancel: refused while a certificate is valid; a pending one is closed, its code dead"
assert_exit 1 raop cancel "$pid"
assert_contains "$OUT" "revoke"
op POST /api/v1/registrations "$(jq -c '.key_type = "p256" | .id_number = "001099000555" | .email = "binh@example.vn"' <<<"$PERSON")"; expect 201
cid=$(jqo .id)
ccode=$(mail_value "Activation code")
assert_exit 0 raop cancel "$cid"
assert_contains "$OUT" "cancelled"
sub POST /api/v1/activation/lookup "{\"code\":\"$ccode\"}"; expect 404 code_invalid
op GET "/api/v1/registrations/$cid"; assert_eq "$(jqo .status)" cancelled
op POST "/api/v1/registrations/$cid/reissue"; expect 409 nothing_pending
op POST "/api/v1/registrations/$cid/edit" '{"email":"x@example.vn"}'; expect 409 cancelled
assert_exit 1 raop cancel "$cid"
assert_eq "$(sql_q "SELECT count(*) FROM audit WHERE action = 'POST /api/v1/registrations/$cid/cancel' AND status = 200")" 1
note "revoked, the active one can be cancelled too"
op POST "/api/v1/certificates/$(sql_q "SELECT serial FROM certificates WHERE registration_id = $pid")/revoke" '{}'; expect 200
assert_exit 0 raop cancel "$pid"

note "the routes: operators only, POST only"
api POST "$URL/api/v1/registrations/$rid/edit" '{"email":"a@example.vn"}'; expect 401
api GET "$URL/api/v1/registrations/$rid/cancel" '' -H "Authorization: Bearer $RA_OP"; expect 405
op POST "/api/v1/registrations/$rid/edit" '{"phone":"0912345678"}'; expect 400 unknown_field
op POST "/api/v1/registrations/999/cancel"; expect 404 not_found
# The opening edit, cancel, reissue, renew and update share: the body's
# fields are checked first, then an unknown registration is 404.
for verb in edit reissue renew update; do
  op POST "/api/v1/registrations/999/$verb" '{"email":"a@example.vn"}'
  case $verb in
    edit|update) expect 404 not_found ;;
    *) expect 400 unknown_field ;;
  esac
done
op POST "/api/v1/registrations/999/reissue"; expect 404 not_found
op POST "/api/v1/registrations/999/renew"; expect 404 not_found
op POST "/api/v1/registrations/$rid/cancel" '{"reason":"x"}'; expect 400 unknown_field
op POST "/api/v1/registrations/$rid/edit"; expect 400 bad_json
assert_exit 1 "$RA" registration cancel "$rid" --server "$URL" --token-fd 3 3<<<"0000"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
