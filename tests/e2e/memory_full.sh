#!/usr/bin/env bash
# Token memory full at activation (issue 8), with the real kyso-ra: a
# token too small for the key pair and certificate is said before the CA
# issues anything (the code stays good); a token that fills up between
# the check and the installation (another program wrote to it while the
# subscriber read the details, tmux) keeps the issued certificate, and
# running register again installs it without a new code.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../ra_lib.sh"

. "$(dirname "$0")/../tmux_lib.sh"
free_mem() { "$KT" info --token "$1" --json | jq -r .free_memory; }
lookup_status() {
  curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Content-Type: application/json" \
    --data "{\"code\":\"$1\"}" "$RA_URL/api/v1/activation/lookup"
}

ra_start
W=$KYSO_HOME/work
mkdir -p "$W"
curl -fsS "$RA_URL/ca.pem" -o "$W/chain.pem"
PERSON='{"type":"personal","name":"Nguyễn Văn An","id_number":"001099012345","province":"Hà Nội","email":"an@example.vn","phone":"0912345678","profile":"sign","key_type":"rsa2048","validity_years":1}'

note "a token too small: said before the CA issues; the code stays good"
make_token MF0001 --label "small token" --capacity 4096
change_default_pin MF0001
op_post /api/v1/registrations "$PERSON" >/dev/null
code=$(last_mail_value "Activation code")
assert_exit 1 "$KT" register --ra "$RA_URL" --token MF0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$OUT" "the token's memory is full"
assert_contains "$OUT" "your activation code is still valid"
assert_eq "$(free_mem MF0001)" 4096 "something was written to the full token"
assert_eq "$(lookup_status "$code")" 200 "the code was spent"

note "the token fills up while the details are read: the certificate is kept"
make_token MF0002 --label "busy token"
change_default_pin MF0002
run_in_tmux "$KT" register --ra $RA_URL --token MF0002
wait_screen "Token PIN: "
type_line "$USER_PIN"
wait_screen "Activation code"
type_line "$code"
wait_screen "[Y/n]"
# Another program fills the token, leaving room for the RSA key pair
# (about 3.1 KB) but not for the certificate (about 1.3 KB).
fill() {  # fill NAME BYTES
  head -c "$2" /dev/urandom >"$W/$1"
  ext pkcs11-tool --module "$MOD" --token-label "busy token" --login --pin "$USER_PIN" \
    --write-object "$W/$1" --type data --label "$1" >/dev/null 2>&1 ||
    fail "pkcs11-tool could not fill the token"
}
f0=$(free_mem MF0002)
fill filler0 100
over=$(( f0 - $(free_mem MF0002) - 100 ))
i=1
while :; do
  left=$(( $(free_mem MF0002) - 3700 - over ))
  [ "$left" -gt 0 ] || break
  fill "filler$i" $(( left > 16000 ? 16000 : left ))
  i=$((i + 1))
done
type_line y
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "The CA issued the certificate, but the token's memory is full"
assert_contains "$s" "It was kept on this computer"
assert_contains "$s" "'kyso-token register' again"
assert_contains "$s" "EXIT=1"
[ -s "$KYSO_HOME/pending/MF0002.json" ] || fail "no certificate was kept"
[ "$(stat -c %a "$KYSO_HOME/pending/MF0002.json")" = 600 ] || fail "the kept certificate is readable by others"
assert_eq "$(lookup_status "$code")" 404 "the code should be spent by the issuance"

note "make room, run register again: installed without a code"
for ((k = 0; k < i; k++)); do
  ext pkcs11-tool --module "$MOD" --token-label "busy token" --login --pin "$USER_PIN" \
    --delete-object --type data --label "filler$k" >/dev/null 2>&1 ||
    fail "pkcs11-tool could not delete filler$k"
done
assert_exit 0 "$KT" register --ra "$RA_URL" --token MF0002 --yes --pin-fd 3 3<<<"$USER_PIN" </dev/null
assert_contains "$OUT" "no activation code was needed"
assert_contains "$OUT" "The certificate was installed on the token."
[ ! -e "$KYSO_HOME/pending/MF0002.json" ] || fail "the kept certificate was not forgotten"
"$KT" export --token MF0002 --label "Nguyễn Văn An" -o "$W/c.pem" >/dev/null 2>&1 || fail "nothing to export"
openssl verify -CAfile "$W/chain.pem" "$W/c.pem" >/dev/null || fail "openssl does not verify the installed certificate"
# The certificate belongs to the key on the token: pkcs11-tool signs with
# it and openssl verifies with the certificate's key.
id=$("$KT" certs --token MF0002 --json | jq -r '[.[] | select(.ca == false)][0].id')
printf 'hop dong' >"$W/msg"
ext pkcs11-tool --module "$MOD" --token-label "busy token" --login --pin "$USER_PIN" \
  --sign --mechanism SHA256-RSA-PKCS --id "$id" \
  -i "$W/msg" -o "$W/sig" >/dev/null 2>&1 || fail "pkcs11-tool cannot sign with the key"
openssl x509 -in "$W/c.pem" -pubkey -noout >"$W/pub.pem"
openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig" "$W/msg" >/dev/null ||
  fail "the installed certificate is not for the key on the token"
# Nothing is kept any more: a new run asks the code again, which is spent.
assert_exit 1 "$KT" register --ra "$RA_URL" --token MF0002 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$OUT" "already used"
pass
