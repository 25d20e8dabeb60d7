#!/usr/bin/env bash
# Prompts a person can live with (issue 8), typed at a terminal (tmux)
# against the real kyso-ra: the activation code is echoed and a typo is
# caught by its check character before anything is sent, and asked again;
# forgot-pin in Vietnamese takes "ca nhan", asks again after a wrong
# answer (type, ID number, e-mail) and after a wrong OTP, within the
# run; a server that does not answer is explained, not curl's English.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../ra_lib.sh"

. "$(dirname "$0")/../tmux_lib.sh"

ra_start
make_token PR0001 --label "prompts token" --admin-master "$RA_HOME/admin-master.key"
change_default_pin PR0001
op_post /api/v1/registrations '{"type":"personal","name":"Nguyễn Văn An","id_number":"001099012345","province":"Hà Nội","email":"an@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}' >/dev/null
code=$(last_mail_value "Activation code")
[ ${#code} = 23 ] || fail "no activation code in the outbox"
# One character changed: the check character must catch it.
c3=${code:2:1}
if [ "$c3" = 7 ]; then r3=8; else r3=7; fi
typo=${code:0:2}$r3${code:3}

note "a script's mistyped code is refused before anything is sent"
assert_exit 2 "$KT" register --ra "$RA_URL" --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" 4<<<"$typo"
assert_contains "$OUT" "This activation code has a typo"
assert_not_contains "$OUT" "refused"
assert_not_contains "$OUT" "No activation code was given"
# Every API call is audited: a lookup (successful or not) as a count per
# address and minute (kyso-ra keeps no row per lookup); none here.
lookups() {
  sqlite3 "$RA_HOME/ra.db" "SELECT coalesce(sum(n), 0) FROM audit_counts WHERE first_action LIKE '%activation/lookup%'"
}
lookups=$(lookups)
assert_eq "$lookups" 0 "the mistyped code reached the server"

note "register at the terminal: the code shows as typed; a typo and a short code are asked again"
run_in_tmux "$KT" register --ra "$RA_URL"
wait_screen "Token PIN: "
type_line "$USER_PIN"
wait_screen "Activation code (from the CA's e-mail): "
type_line "$typo"
wait_screen "This activation code has a typo"
assert_contains "$(screen)" "$typo" "the activation code was not echoed"
wait_count "Activation code (from the CA's e-mail): " 2
type_line "ABCDE-12345"
wait_screen "An activation code has 20 letters and digits"
wait_count "Activation code (from the CA's e-mail): " 3
# Lower case, no dashes: still the code.
type_line "$(tr -d - <<<"$code" | tr 'A-Z' 'a-z')"
wait_screen "[Y/n]"
type_line y
wait_screen "EXIT="
s=$(screen)
lookups=$(lookups)
assert_eq "$lookups" 1 "the typed codes went to the server more than once"
assert_contains "$s" "The certificate was installed on the token."
assert_contains "$s" "EXIT=0"
assert_not_contains "$s" "$USER_PIN" "the PIN showed on the screen"
"$KT" certs --token PR0001 --json | jq -e '[.[] | select(.ca == false)] | length == 1' >/dev/null ||
  fail "no certificate on the token after register"

note "forgot-pin in Vietnamese: wrong answers are asked again, a wrong OTP too"
for i in 1 2 3 4 5; do
  "$KT" change-pin --pin-fd 3 --new-pin-fd 4 3<<<"99999999" 4<<<$'11223344\n11223344' >/dev/null 2>&1 || true
done
assert_exit 13 "$KT" check --batch
mails=$(ls "$RA_HOME"/outbox/*.eml | wc -l)
run_in_tmux env LANG=vi_VN.UTF-8 "$KT" forgot-pin --ra "$RA_URL"
wait_screen "Cá nhân hay tổ chức? [cá nhân/tổ chức]: "
type_line "không biết"
wait_screen "Hãy trả lời cá nhân"
type_line "ca nhan"
wait_screen "Số CCCD/CMND: "
type_line "12345"
wait_screen "12 chữ số (CCCD)"
wait_count "Số CCCD/CMND: " 2
type_line "001099012345"
wait_screen "E-mail liên hệ: "
type_line "an-at-example.vn"
wait_screen "ten@example.vn"
wait_count "E-mail liên hệ: " 2
type_line "an@example.vn"
wait_screen "Mã OTP trong e-mail: "
for i in $(seq 1 100); do
  [ "$(ls "$RA_HOME"/outbox/*.eml | wc -l)" -gt "$mails" ] && grep -qs "^OTP:" "$(newest_mail)" && break
  sleep 0.1
done
otp=$(last_mail_value OTP)
[ ${#otp} = 6 ] || fail "no OTP in the outbox"
if [ "${otp:0:1}" = 1 ]; then wrong=2${otp:1}; else wrong=1${otp:1}; fi
type_line "$wrong"
wait_screen "còn 2 lần thử"
assert_contains "$(screen)" "$wrong" "the OTP was not echoed"
wait_count "Mã OTP trong e-mail: " 2
type_line "$otp"
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "12345678"
assert_contains "$s" "EXIT=0"
assert_exit 10 "$KT" check --batch
change_default_pin PR0001

note "--type takes the Vietnamese words too; a malformed number is said before the request"
assert_exit 2 "$KT" forgot-pin --ra "$RA_URL" --type "tổ chức" --id 0101234567 \
  --email ketoan@example.vn --otp-fd 3 3</dev/null
assert_contains "$OUT" "Request sent."
assert_contains "$OUT" "No OTP was given"
assert_exit 2 "$KT" forgot-pin --ra "$RA_URL" --type "to chuc" --id 12345 --email ketoan@example.vn
assert_contains "$OUT" "A tax code (MST) has 10 or 13 digits"
assert_not_contains "$OUT" "Request sent."

note "a server that does not answer: explained with what to do, in Vietnamese too"
port=$(free_port)
assert_exit 1 "$KT" forgot-pin --ra "http://127.0.0.1:$port" --type personal --id 001099012345 \
  --email an@example.vn
assert_contains "$OUT" "nothing answers at that address"
assert_contains "$OUT" "Check the Internet connection"
assert_not_contains "$OUT" "Failed to connect"
assert_exit 1 env LANG=vi_VN.UTF-8 "$KT" forgot-pin --ra "http://127.0.0.1:$port" --type "cá nhân" \
  --id 001099012345 --email an@example.vn
assert_contains "$OUT" "không có gì trả lời tại địa chỉ đó"
assert_not_contains "$OUT" "Failed to connect"
pass
