#!/usr/bin/env bash
# An expired first activation code, and a lost activation mail (issue 8):
# the operator reissues the code (POST registrations/ID/reissue, or
# `kyso-ra reissue ID`), a new code is mailed, the old one stops working
# at once, and the new one installs the certificate with kyso-token. A
# renewal not yet installed is reissued as a renewal; a registration with
# nothing pending is told so.
. "$(dirname "$0")/helpers.bash"

ra_init --ca-key-type p256
# Two servers on one CA and database: codes from "short" expire in 2 s.
ra_serve main
ra_serve short --code-ttl 2
lookup() { api POST "$1/api/v1/activation/lookup" "{\"code\":\"$2\"}"; }

note "an expired first code: reissued; the new code works, the old does not"
api POST "$URL_short/api/v1/registrations" "$PERSON" -H "Authorization: Bearer $RA_OP"
expect 201
rid=$(jqo .id)
code1=$(mail_value "Activation code")
sleep 3
lookup "$URL" "$code1"; expect 404 code_invalid
# Before this change the only answer was 409 "the first activation code
# still applies".
n=$(mails)
op POST "/api/v1/registrations/$rid/reissue"; expect 200
assert_eq "$(jqo .kind)" new
assert_eq "$(jqo .status)" reissued
assert_eq "$(mails)" $((n + 1)) "no new mail"
code2=$(mail_value "Activation code")
[ "$code2" != "$code1" ] || fail "the reissued code is the old one"
assert_eq "$(mail_value "Mã kích hoạt")" "$code2"
grep -q "^To: <an@example.vn>" "$(newest_mail)" || fail "the new code went elsewhere"
grep -q "kyso-token register" "$(newest_mail)" || fail "the first code's mail does not name kyso-token register"
grep -q '^Message-ID: <[0-9a-f]*@[^>]*>' "$(newest_mail)" || fail "no Message-ID"
grep -q '^Message-ID: <[^>]*@kyso-ra>' "$(newest_mail)" && fail "the Message-ID names a program, not the sender's domain"
lookup "$URL" "$code2"; expect 200
assert_eq "$(jqo .kind)" new
lookup "$URL" "$code1"; expect 404 code_invalid

note "a lost mail: kyso-ra reissue ID; the code from the first reissue stops working"
assert_exit 0 "$RA" reissue "$rid" --server "$URL" --token-fd 3 3<<<"$RA_OP"
assert_contains "$OUT" "Registration $rid: a new activation code for the first certificate"
assert_contains "$OUT" "The old code no longer works."
code3=$(mail_value "Activation code")
[ "$code3" != "$code2" ] || fail "kyso-ra reissue mailed the old code"
lookup "$URL" "$code2"; expect 404 code_invalid
lookup "$URL" "$code3"; expect 200

note "the reissued code installs the certificate with kyso-token"
make_token RI0001 --label "reissue token"
change_default_pin RI0001
assert_exit 0 "$KT" register --ra "$URL" --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" 4<<<"$code3"
assert_contains "$OUT" "The certificate was installed on the token."
"$KT" export --token RI0001 --label "Nguyễn Văn An" -o "$W/c1.pem" >/dev/null 2>&1 ||
  fail "no certificate to export"
curl -fsS "$URL/ca.pem" -o "$W/chain.pem"
openssl verify -CAfile "$W/chain.pem" "$W/c1.pem" >/dev/null || fail "openssl does not verify it"

note "nothing pending once installed: 409, and kyso-ra says what to do"
op POST "/api/v1/registrations/$rid/reissue"; expect 409 nothing_pending
assert_exit 1 "$RA" reissue "$rid" --server "$URL" --token-fd 3 3<<<"$RA_OP"
assert_contains "$OUT" "has no activation pending"
assert_exit 1 env LANG=vi_VN.UTF-8 "$RA" reissue "$rid" --server "$URL" --token-fd 3 3<<<"$RA_OP"
assert_contains "$OUT" "không có mã kích hoạt nào đang chờ"

note "a renewal not yet installed is reissued as a renewal"
op POST "/api/v1/registrations/$rid/renew" '{}'; expect 200
rcode1=$(mail_value "Activation code")
assert_exit 0 env KYSO_RA_TOKEN="$RA_OP" "$RA" reissue "$rid" --server "$URL"
assert_contains "$OUT" "for the renewal"
rcode2=$(mail_value "Activation code")
grep -q "kyso-token renew" "$(newest_mail)" || fail "the renewal mail does not name kyso-token renew"
grep -q '"Gia hạn chứng thư số"' "$(newest_mail)" || fail "the renewal mail does not name the Token Manager's renewal screen"
lookup "$URL" "$rcode1"; expect 404 code_invalid
lookup "$URL" "$rcode2"; expect 200
assert_eq "$(jqo .kind)" renew
assert_exit 0 "$KT" renew --ra "$URL" --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" 4<<<"$rcode2"

note "refusals: no token, a wrong token, no such registration, usage"
api POST "$URL/api/v1/registrations/$rid/reissue" ''; expect 401
api GET "$URL/api/v1/registrations/$rid/reissue" '' -H "Authorization: Bearer $RA_OP"; expect 405
assert_exit 1 "$RA" reissue "$rid" --server "$URL" --token-fd 3 3<<<"0000"
assert_contains "$OUT" "refused the operator token"
assert_exit 1 "$RA" reissue 999999 --server "$URL" --token-fd 3 3<<<"$RA_OP"
assert_contains "$OUT" "no registration 999999"
assert_exit 2 "$RA" reissue --server "$URL"
assert_exit 2 "$RA" reissue abc --server "$URL"
assert_exit 0 "$RA" reissue --help
assert_contains "$OUT" "The old"
assert_exit 0 "$RA" --help
assert_contains "$OUT" "reissue"
kill "$PID_short"
wait "$PID_short" 2>/dev/null || true
assert_exit 1 "$RA" reissue "$rid" --server "$URL_short" --token-fd 3 3<<<"$RA_OP"
assert_contains "$OUT" "cannot reach the server"
pass
