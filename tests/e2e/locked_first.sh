#!/usr/bin/env bash
# A token locked before its first activation (issue 8): the CA registered
# the subscriber with the token it handed over (token_serial), the PIN
# got locked before any certificate was installed; forgot-pin by OTP
# resets it, and the activation then works. A token no registration
# names gets no OTP, and kyso-token says what to do instead. The OTP's
# lifetime said is the server's (--otp-ttl 120: 2 minutes), and none is
# said when a server does not give it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../ra_lib.sh"

ra_start --otp-ttl 120
W=$KYSO_HOME/work
mkdir -p "$W"
make_token LF0001 --label "first token" --admin-master "$RA_HOME/admin-master.key"
make_token LF0002 --label "other token" --admin-master "$RA_HOME/admin-master.key"

note "the operator registers the subscriber with the token handed over"
reg=$(op_post /api/v1/registrations '{"type":"organization","name":"Công ty TNHH An Phát","tax_code":"0101234567","representative":"Trần Văn Bình","province":"Hà Nội","email":"ketoan@anphat.vn","phone":"0243123456","profile":"sign","key_type":"p256","validity_years":1,"token_serial":"LF0001"}')
rid=$(jq -r .id <<<"$reg")
code=$(last_mail_value "Activation code")
[ -n "$code" ] || fail "no activation code in the outbox"
st=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $RA_OP" \
  -H "Content-Type: application/json" --data '{"type":"personal","name":"X","id_number":"001099012345","province":"Hà Nội","email":"x@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1,"token_serial":"bad serial!"}' \
  "$RA_URL/api/v1/registrations")
assert_eq "$st" 400 "a malformed token_serial was accepted"

note "the PIN locks before the first activation"
for t in LF0001 LF0002; do
  for i in 1 2 3 4 5; do
    "$KT" change-pin --token "$t" --pin-fd 3 --new-pin-fd 4 3<<<"99999999" \
      4<<<$'11223344\n11223344' >/dev/null 2>&1 || true
  done
  assert_exit 13 "$KT" check --token "$t" --batch
done

note "forgot-pin: the OTP comes for the token the registration names"
mails=$(ls "$RA_HOME"/outbox/*.eml | wc -l)
mkfifo "$W/otp"
"$KT" forgot-pin --ra "$RA_URL" --token LF0001 --type organization \
  --id 0101234567 --email ketoan@anphat.vn --otp-fd 5 5<>"$W/otp" >"$W/fp.out" 2>&1 &
fp=$!
for i in $(seq 1 100); do
  [ "$(ls "$RA_HOME"/outbox/*.eml | wc -l)" -gt "$mails" ] && grep -qs "^OTP:" "$(newest_mail)" && break
  sleep 0.1
done
[ "$(ls "$RA_HOME"/outbox/*.eml | wc -l)" -gt "$mails" ] ||
  fail "no OTP mail for a token locked before its first activation"
otp=$(last_mail_value OTP)
grep -q "^To: <ketoan@anphat.vn>" "$(newest_mail)" || fail "the OTP went elsewhere"
echo "$otp" >"$W/otp"
wait "$fp" || fail "forgot-pin failed: $(cat "$W/fp.out")"
assert_contains "$(cat "$W/fp.out")" "reset to the factory PIN 12345678"
assert_contains "$(cat "$W/fp.out")" "It is valid for 2 minutes."
assert_not_contains "$(cat "$W/fp.out")" "5 minutes"
assert_exit 10 "$KT" check --token LF0001 --batch
change_default_pin LF0001

note "then the first activation installs the certificate on that token"
assert_exit 0 "$KT" register --ra "$RA_URL" --token LF0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
assert_contains "$OUT" "The certificate was installed on the token."
curl -fsS -H "Authorization: Bearer $RA_OP" "$RA_URL/api/v1/registrations/$rid" >"$W/reg.json"
assert_eq "$(jq -r .token_serial "$W/reg.json")" LF0001
assert_eq "$(jq -r .status "$W/reg.json")" active

note "a token no registration names: no OTP, and the way out is said"
mails=$(ls "$RA_HOME"/outbox/*.eml | wc -l)
assert_exit 2 "$KT" forgot-pin --ra "$RA_URL" --token LF0002 --type organization \
  --id 0101234567 --email ketoan@anphat.vn --otp-fd 3 3</dev/null
assert_contains "$OUT" "If no e-mail comes within a few minutes"
assert_contains "$OUT" "kyso-token unblock"
assert_eq "$(ls "$RA_HOME"/outbox/*.eml | wc -l)" "$mails" "an OTP went out for a token no registration names"
assert_contains "$OUT" "It is valid for 2 minutes."
assert_exit 2 env LANG=vi_VN.UTF-8 "$KT" forgot-pin --ra "$RA_URL" --token LF0002 \
  --type organization --id 0101234567 --email ketoan@anphat.vn --otp-fd 3 3</dev/null
assert_contains "$OUT" "Mã có hiệu lực trong 2 phút."

note "an older server gives no lifetime: none is said"
port=$(free_port)
python3 - "$port" >"$W/old.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"status": "accepted"}'
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
old_ra=$!
for i in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
assert_exit 2 "$KT" forgot-pin --ra "http://127.0.0.1:$port" --token LF0002 --type organization \
  --id 0101234567 --email ketoan@anphat.vn --otp-fd 3 3</dev/null
kill "$old_ra"
assert_contains "$OUT" "Request sent."
assert_not_contains "$OUT" "valid for"
pass
