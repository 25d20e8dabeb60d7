#!/usr/bin/env bash
# kyso-token checks the RA's TLS certificate: a server it cannot verify is
# refused before any code or PIN leaves, in the user's language with what
# to do (--ra-ca); with --ra-ca (or ra_ca in kyso.conf) the same server
# is reached. The made-up code passes the local check character.
. "$(dirname "$0")/../lib.sh"
RA=$BIN/kyso-ra
"$RA" init >/dev/null
"$RA" serve --listen 127.0.0.1:0 --port-file "$KYSO_HOME/port" >"$KYSO_HOME/ra.log" 2>&1 &
for _ in $(seq 1 100); do [ -s "$KYSO_HOME/port" ] && break; sleep 0.05; done
[ -s "$KYSO_HOME/port" ] || fail "kyso-ra did not start"
URL=https://127.0.0.1:$(cat "$KYSO_HOME/port")
make_token TLS001
change_default_pin TLS001

note "an unverifiable server: refused, nothing sent"
assert_exit 1 "$KT" register --ra "$URL" --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" 4<<<"AAAAA-AAAAA-AAAAA-AAAAY"
# Said in words a subscriber can act on (issue 8), not curl's English.
assert_contains "$OUT" "its TLS certificate is"
assert_contains "$OUT" "not trusted on this computer"
assert_contains "$OUT" "--ra-ca FILE"
assert_not_contains "$OUT" "SSL certificate problem"
assert_exit 1 env LANG=vi_VN.UTF-8 "$KT" register --ra "$URL" --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"AAAAA-AAAAA-AAAAA-AAAAY"
assert_contains "$OUT" "không được tin cậy trên máy tính này"
assert_not_contains "$OUT" "SSL certificate problem"

note "with the server's CA: reached, and the bad code is refused by the server"
assert_exit 1 "$KT" register --ra "$URL" --ra-ca "$KYSO_HOME/ra/tls.pem" --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"AAAAA-AAAAA-AAAAA-AAAAY"
assert_contains "$OUT" "code_invalid"

note "the same from kyso.conf"
printf 'ra_url = %s\nra_ca = %s\n' "$URL" "$KYSO_HOME/ra/tls.pem" >"$KYSO_HOME/kyso.conf"
assert_exit 1 "$KT" register --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" 4<<<"AAAAA-AAAAA-AAAAA-AAAAY"
assert_contains "$OUT" "code_invalid"

note "plain http to another host is refused by kyso-token itself"
assert_exit 2 "$KT" register --ra "http://ca.example.vn" --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" 4<<<"x"
pass
