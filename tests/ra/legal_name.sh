#!/usr/bin/env bash
# Issue 15 item 7: a company's legal name longer than the subject holds
# (74 characters; CN and O take 64) goes into the certificate in kyso's
# legal-name extension, and the subscriber's tools show it where they show
# the subject: `kyso-token certs` (and --json legal_name) after the
# certificate is installed with `kyso-token register`, and `kyso-sign
# verify` (and --json signer_legal_name) on a file signed with it. A
# certificate without the extension shows no such line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../ra_lib.sh"

W=$KYSO_HOME/work; mkdir -p "$W"
ra_start
long="Công ty Trách nhiệm Hữu hạn Thương mại và Dịch vụ Kỹ thuật Số Việt Nam An"
short="Công ty TNHH Kỹ thuật Số Việt Nam An"
make_token LN0001 --label "Cong ty An" --admin-master "$RA_HOME/admin-master.key"
change_default_pin LN0001
op_post /api/v1/registrations "$(jq -nc --arg n "$long" --arg c "$short" '{type:"organization",name:$n,common_name:$c,tax_code:"0101234567",representative:"Trần Văn Bình",province:"Hà Nội",email:"ketoan@example.vn",phone:"0243123456",key_type:"p256"}')" >/dev/null
code=$(last_mail_value "Activation code")
assert_exit 0 "$KT" register --ra "$RA_URL" --token LN0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"

note "kyso-token certs shows the legal name under the subject"
assert_exit 0 "$KT" certs --token LN0001
assert_contains "$OUT" "Legal name: $long"
assert_contains "$OUT" "CN=$short"
assert_eq "$("$KT" certs --token LN0001 --json | jq -r '[.[] | select(.ca == false)][0].legal_name')" "$long"
assert_eq "$("$KT" certs --token LN0001 --json | jq -r '[.[] | select(.ca == true)][0] | has("legal_name")')" false

note "kyso-sign verify shows it for the signer"
printf 'to khai thue\n' > "$W/decl.txt"
"$BIN/kyso-sign" cms "$W/decl.txt" --token LN0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null ||
  fail "signing the file"
OUT=$("$BIN/kyso-sign" verify "$W/decl.txt.p7s" --trust "$RA_HOME/root.pem" 2>&1) || true
assert_contains "$OUT" "legal name: $long"
j=$("$BIN/kyso-sign" verify "$W/decl.txt.p7s" --trust "$RA_HOME/root.pem" --json 2>/dev/null) || true
assert_eq "$(jq -r '.[0].signatures[0].signer_legal_name' <<<"$j")" "$long"

note "a signer without the extension: no legal-name line"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
  -subj "/CN=Plain Signer" -days 2 -out "$W/c.pem" 2>/dev/null
cp "$W/decl.txt" "$W/plain.txt"
openssl cms -sign -binary -in "$W/plain.txt" -signer "$W/c.pem" -inkey "$W/k.pem" \
  -outform DER -out "$W/plain.txt.p7s" 2>/dev/null
OUT=$("$BIN/kyso-sign" verify "$W/plain.txt.p7s" --trust "$W/c.pem" 2>&1) || true
assert_contains "$OUT" "Plain Signer"
assert_not_contains "$OUT" "legal name"
pass
