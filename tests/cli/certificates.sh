#!/usr/bin/env bash
# Certificates on the token: `certs` shows subject, issuer, serial,
# validity and days left; `check` exits 11 for one expiring within the
# warning window and 12 for an expired one; `export` writes PEM equal to
# what was written. On the kyso token and on SoftHSM2.
. "$(dirname "$0")/helpers.bash"

ca_init
now=$(utc_in 0)
issue_cert good "/O=Cong ty A/CN=Nguyen Van Good" "$(utc_in -30)" "$(utc_in 365)"
issue_cert soon "/CN=Tran Van Soon" "$(utc_in -355)" "$(utc_in 10)"
issue_cert old "/CN=Le Thi Old" 20240101000000Z 20250101000000Z
openssl x509 -in "$WORK/ca/ca.pem" -outform DER -out "$WORK/ca.der"
ser() { openssl x509 -in "$WORK/$1.pem" -noout -serial | cut -d= -f2; }
# name NAME subject|issuer: as openssl prints it in RFC 2253 form.
name() { openssl x509 -in "$WORK/$1.pem" -noout -"$2" -nameopt RFC2253 | cut -d= -f2-; }
# until NAME: the certificate's notAfter as certs prints it: local time
# with its offset (TZ, else Vietnam's).
until_() {
  TZ=${TZ:-Asia/Ho_Chi_Minh} date -d "$(openssl x509 -in "$WORK/$1.pem" -noout -enddate | cut -d= -f2)" '+%Y-%m-%d %H:%M:%S %z'
}
# pretty DATE: 20250101000000Z as certs prints it (local time); utc DATE:
# as --json gives it (UTC, for scripts).
pretty() {
  TZ=${TZ:-Asia/Ho_Chi_Minh} date -d "${1:0:4}-${1:4:2}-${1:6:2} ${1:8:2}:${1:10:2}:${1:12:2} UTC" '+%Y-%m-%d %H:%M:%S %z'
}
utc() { echo "${1:0:4}-${1:4:2}-${1:6:2} ${1:8:2}:${1:10:2}:${1:12:2} UTC"; }

# run_suite MODULE TOKEN_LABEL KT-ARGS...: the whole story on one token.
run_suite() {
  local mod=$1 tl=$2; shift 2
  local A=("$@")

  note "$tl: no certificates yet"
  assert_exit 0 "$KT" certs "${A[@]}"
  assert_contains "$OUT" "There are no certificates on the token."
  assert_exit 0 "$KT" certs "${A[@]}" --json
  jq_ok '. == []'
  assert_exit 1 "$KT" export "${A[@]}"
  assert_contains "$OUT" "No certificate on the token matches."

  note "$tl: a valid certificate and the CA's"
  put_cert "$mod" "$tl" "$WORK/good.der" 01 "good cert"
  put_cert "$mod" "$tl" "$WORK/ca.der" ca "Kyso Test CA"
  assert_exit 0 "$KT" check "${A[@]}" --batch
  assert_contains "$OUT" ": OK."
  assert_exit 0 "$KT" certs "${A[@]}"
  assert_contains "$OUT" "Label:      good cert"
  assert_contains "$OUT" "ID:         01"
  assert_contains "$OUT" "Subject:    $(name good subject)"
  assert_contains "$OUT" "Issuer:     $(name good issuer)"
  assert_contains "$OUT" "Cong ty A"
  assert_contains "$OUT" "Serial:     $(ser good)"
  assert_contains "$OUT" " (certificate authority)"
  assert_exit 0 "$KT" certs "${A[@]}" --json
  json_only
  jq_ok 'length == 2'
  jq_ok '[.[] | select(.label == "good cert")][0] | .id == "01" and (.ca | not) and .days_left >= 364 and .days_left <= 365'
  jq_ok "[.[] | select(.label == \"good cert\")][0] | .subject == \"$(name good subject)\" and .serial == \"$(ser good)\""
  jq_ok '[.[] | select(.label == "Kyso Test CA")][0] | .ca and .subject == .issuer'

  note "$tl: a certificate that expires in 10 days"
  put_cert "$mod" "$tl" "$WORK/soon.der" 02 "soon cert"
  assert_exit 11 "$KT" check "${A[@]}" --batch
  assert_contains "$OUT" "The certificate of Tran Van Soon expires in"
  assert_contains "$OUT" "Renew it now"
  assert_contains "$OUT" "ask your certificate
  authority for a renewal"
  assert_not_contains "$OUT" "Nguyen Van Good"
  assert_exit 11 "$KT" check "${A[@]}" --json
  json_only
  jq_ok '.exit == 11 and (.findings | length == 1)'
  jq_ok '.findings[0] | .finding == "certificate-expiring" and .subject == "Tran Van Soon" and .days_left >= 9 and .days_left <= 10'
  # Outside a 5-day window it is fine; a 400-day window catches both.
  assert_exit 0 "$KT" check "${A[@]}" --batch --warn-days 5
  assert_exit 11 "$KT" check "${A[@]}" --json --warn-days 400
  jq_ok '[.findings[] | .subject] | sort == ["Nguyen Van Good", "Tran Van Soon"]'
  # kyso.conf's warn_days is the default window.
  echo "warn_days = 5" > "$KYSO_HOME/kyso.conf"
  assert_exit 0 "$KT" check "${A[@]}" --batch
  rm "$KYSO_HOME/kyso.conf"
  assert_exit 0 "$KT" certs "${A[@]}"
  days=$(printf '%s\n' "$OUT" | awk '/Label: +soon cert/ {f=1} f && /Days left:/ {print $3; exit}')
  [ "$days" = 9 ] || [ "$days" = 10 ] || fail "days left for the 10-day certificate: '$days'"
  assert_contains "$OUT" "Valid to:   $(until_ soon)"

  note "$tl: an expired certificate"
  put_cert "$mod" "$tl" "$WORK/old.der" 03 "old cert"
  assert_exit 12 "$KT" check "${A[@]}" --batch
  assert_contains "$OUT" "The certificate of Le Thi Old has EXPIRED"
  assert_contains "$OUT" "The certificate of Tran Van Soon expires in"
  assert_exit 12 "$KT" check "${A[@]}" --json
  jq_ok '.exit == 12 and ([.findings[] | .finding] | sort == ["certificate-expired", "certificate-expiring"])'
  jq_ok '[.findings[] | select(.finding == "certificate-expired")][0] | .subject == "Le Thi Old" and .days_left < -600'
  assert_exit 0 "$KT" certs "${A[@]}"
  assert_contains "$OUT" "Valid from: $(pretty 20240101000000Z)"
  assert_contains "$OUT" "Valid to:   $(pretty 20250101000000Z)"
  assert_contains "$OUT" "Status:     EXPIRED"
  assert_exit 0 "$KT" certs "${A[@]}" --json
  jq_ok 'length == 4'
  jq_ok "[.[] | select(.id == \"03\")][0] | .not_before == \"$(utc 20240101000000Z)\" and .not_after == \"$(utc 20250101000000Z)\" and .days_left < 0 and .serial == \"$(ser old)\""

  note "$tl: export"
  assert_exit 0 "$KT" export "${A[@]}" --id 03 --output "$WORK/old-back.pem"
  [ "$(fingerprint "$WORK/old-back.pem")" = "$(fingerprint "$WORK/old.pem")" ] ||
    fail "exported certificate 03 differs from the one written"
  assert_exit 0 "$KT" export "${A[@]}" --label "soon cert" -o "$WORK/soon-back.pem"
  [ "$(fingerprint "$WORK/soon-back.pem")" = "$(fingerprint "$WORK/soon.pem")" ] ||
    fail "exported 'soon cert' differs from the one written"
  "$KT" export "${A[@]}" --id 01 > "$WORK/good-back.pem" || fail "export to stdout failed"
  [ "$(fingerprint "$WORK/good-back.pem")" = "$(fingerprint "$WORK/good.pem")" ] ||
    fail "exported certificate 01 differs from the one written"
  [ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/good-back.pem")" = 1 ] || fail "--id 01 wrote more than one certificate"
  "$KT" export "${A[@]}" > "$WORK/all.pem" || fail "export of all certificates failed"
  [ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/all.pem")" = 4 ] || fail "export wrote $(grep -c 'BEGIN CERTIFICATE' "$WORK/all.pem") certificates, want 4"
  assert_exit 1 "$KT" export "${A[@]}" --id 99 --output "$WORK/none.pem"
  assert_contains "$OUT" "No certificate on the token matches."
  [ ! -e "$WORK/none.pem" ] || fail "an export that matched nothing left a file"
  assert_exit 1 "$KT" export "${A[@]}" --label "soon cert" --id 01
  assert_exit 1 "$KT" export "${A[@]}" --output "$WORK/no/such/dir/x.pem"
  assert_contains "$OUT" "Cannot write $WORK/no/such/dir/x.pem."
  rm -f "$WORK"/*-back.pem "$WORK/all.pem"
}

make_token CE0001 --label "cert token"
change_default_pin CE0001
run_suite "$MOD" "cert token" --token CE0001

softhsm_init "hsm certs"
run_suite "$SOFTHSM" "hsm certs" --module "$SOFTHSM" --token "hsm certs"
pass
