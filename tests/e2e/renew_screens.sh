#!/usr/bin/env bash
# The renewal and update screens (issue 8, SAFE-CA TH1/TH2): before
# "Accept" the subscriber sees the new validity dates, the current
# certificate's expiry, what changes (old -> new) and the notice to sign
# pending invoices first (24 hours before agencies accept the new one),
# typed at a terminal (tmux) against the real kyso-ra.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../ra_lib.sh"

. "$(dirname "$0")/../tmux_lib.sh"

ra_start
W=$KYSO_HOME/work
mkdir -p "$W"
make_token RS0001 --label "renew token"
change_default_pin RS0001
reg=$(op_post /api/v1/registrations '{"type":"personal","name":"Nguyễn Văn An","id_number":"001099012345","province":"Hà Nội","email":"an@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}')
rid=$(jq -r .id <<<"$reg")
assert_exit 0 "$KT" register --ra "$RA_URL" --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" \
  4<<<"$(last_mail_value "Activation code")"
assert_not_contains "$OUT" "Before you accept" "a first certificate got the renewal notice"
"$KT" export --token RS0001 --label "Nguyễn Văn An" -o "$W/c1.pem" >/dev/null 2>&1
# The dates a person should see, computed independently (openssl, date),
# in the zone kyso shows them in: $TZ, or Vietnam's (UTC+7, POSIX "UTC-7")
# when TZ is unset. In UTC, the test failed from 17:00 to midnight UTC.
showtz=${TZ:-UTC-7}
cur=$(TZ=$showtz date -d "$(openssl x509 -in "$W/c1.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%d)
today=$(TZ=$showtz date +%Y-%m-%d)
in2y=$(TZ=$showtz date -d "+2 years" +%Y-%m-%d)

note "renew at the terminal: dates, current expiry and the notice come before [Y/n]"
op_post "/api/v1/registrations/$rid/renew" '{"validity_years":2}' >/dev/null
code=$(last_mail_value "Activation code")
run_in_tmux "$KT" renew --ra $RA_URL
wait_screen "Token PIN: "
type_line "$USER_PIN"
wait_screen "Activation code"
type_line "$code"
wait_screen "[Y/n]"
s=$(screen)
assert_contains "$s" "New validity:    $today to $in2y"
assert_contains "$s" "Current certificate valid until: $cur"
assert_contains "$s" "Before you accept: sign the invoices and declarations still pending"
assert_contains "$s" "24 hours"
notice=$(grep -nF "Before you accept" <<<"$s" | head -n 1 | cut -d: -f1)
ask=$(grep -nF "[Y/n]" <<<"$s" | head -n 1 | cut -d: -f1)
[ "$notice" -lt "$ask" ] || fail "the notice came after the question:
$s"
type_line y
wait_screen "EXIT="
assert_contains "$(screen)" "EXIT=0"

note "update: what changes shows as old -> new, in Vietnamese too"
op_post "/api/v1/registrations/$rid/update" '{"province":"Đà Nẵng","email":"an.moi@example.vn"}' >/dev/null
code=$(last_mail_value "Activation code")
assert_exit 0 env LANG=vi_VN.UTF-8 "$KT" update --ra "$RA_URL" --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$OUT" "Hà Nội → Đà Nẵng"
assert_contains "$OUT" "an@example.vn → an.moi@example.vn"
assert_not_contains "$OUT" "Nguyễn Văn An →" "an unchanged name was marked as changed"
assert_contains "$OUT" "Hiệu lực mới"
assert_contains "$OUT" "Trước khi chấp nhận"
pass
