#!/usr/bin/env bash
# A .p7s's signing-time signed attribute (CAdES B-B) is the report's
# claimed signing time: the text line (labelled the signer's own word,
# not proven, when no time-stamp proves it) and JSON claimed_time, the
# same instant openssl cms -cmsout -print reads. For kyso-sign's .p7s and
# for openssl cms -sign's; with a verified time-stamp (B-T) the label
# goes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token CT0001 01 rsa:2048 "Le Thi C"
head -c 3000 /dev/urandom > "$W/hop-dong.bin"

# signing_time P7S: openssl's reading of the signing-time attribute, as
# the report's ISO UTC form.
signing_time() {
  openssl cms -cmsout -print -inform DER -in "$1" | python3 -c '
import re, sys, datetime
t = sys.stdin.read()
m = re.search(r"object: signingTime.*?(UTCTIME|GENERALIZEDTIME):(\w+ +\d+ [\d:]+ \d+) GMT", t, re.S)
d = datetime.datetime.strptime(" ".join(m.group(2).split()), "%b %d %H:%M:%S %Y")
print(d.strftime("%Y-%m-%dT%H:%M:%SZ"))'
}
# check P7S CONTENT: the claimed time in JSON and text, labelled.
check() {
  local want
  want=$(signing_time "$1")
  [ -n "$want" ] || fail "openssl finds no signing-time in $1"
  assert_exit 0 ks verify "$1" --content "$2" --trust "$W/root.pem" --json
  assert_contains "$OUT" "\"claimed_time\": \"$want\""
  assert_exit 0 env TZ=UTC "$KS" verify "$1" --content "$2" --trust "$W/root.pem"
  assert_contains "$OUT" "claimed:   ${want:0:10} ${want:11:8} +0000 (claimed by the signer, not proven by a time-stamp)"
  assert_contains "$OUT" "result:    VALID"
}

note "kyso-sign's .p7s: the signing time it carries is the claimed time"
ks cms "$W/hop-dong.bin" --token CT0001 --pin-fd 3 --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/hop-dong.bin.p7s" -content "$W/hop-dong.bin" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl: $(cat "$W/e")"
check "$W/hop-dong.bin.p7s" "$W/hop-dong.bin"
assert_exit 0 env LANG=vi_VN.UTF-8 "$KS" verify "$W/hop-dong.bin.p7s" --trust "$W/root.pem"
assert_contains "$OUT" "do người ký tự ghi, không có dấu thời gian chứng minh"

note "openssl cms -sign's .p7s too"
openssl req -newkey rsa:2048 -nodes -keyout "$W/o.key" -out "$W/o.csr" -subj "/CN=OpenSSL Signer" 2>/dev/null
openssl x509 -req -in "$W/o.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial -days 30 \
  -extfile "$W/ee.ext" -out "$W/o.pem" 2>/dev/null
openssl cms -sign -binary -in "$W/hop-dong.bin" -signer "$W/o.pem" -inkey "$W/o.key" \
  -certfile "$W/int.pem" -outform DER -out "$W/o.p7s"
check "$W/o.p7s" "$W/hop-dong.bin"

note "without a signing-time: none claimed"
openssl cms -sign -binary -noattr -in "$W/hop-dong.bin" -signer "$W/o.pem" -inkey "$W/o.key" \
  -certfile "$W/int.pem" -outform DER -out "$W/noattr.p7s"
assert_exit 0 ks verify "$W/noattr.p7s" --content "$W/hop-dong.bin" --trust "$W/root.pem" --json
assert_contains "$OUT" '"claimed_time": ""'

note "B-T: a verified time-stamp, the claimed time without the label"
tsa_conf
python3 "$(dirname "$0")/tsa_server.py" "$W/tsa.cnf" "$W/port" &
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || fail "the TSA did not start"
ks cms "$W/hop-dong.bin" -o "$W/bt.p7s" --token CT0001 --pin-fd 3 --chain "$W/int.pem" \
  --tsa "http://127.0.0.1:$(cat "$W/port")/tsa" 3<<<"$USER_PIN" >/dev/null
want=$(signing_time "$W/bt.p7s")
assert_exit 0 env TZ=UTC "$KS" verify "$W/bt.p7s" --content "$W/hop-dong.bin" --trust "$W/root.pem"
assert_contains "$OUT" "claimed:   ${want:0:10} ${want:11:8} +0000"
assert_not_contains "$OUT" "not proven"
assert_contains "$OUT" "(valid)"
pass
