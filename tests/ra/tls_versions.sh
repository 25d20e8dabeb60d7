#!/usr/bin/env bash
# Issue 15 item 5: HTTPS takes TLS 1.2 and 1.3 with AEAD suites only.
# openssl s_client (told to allow anything) is refused with TLS 1.0, 1.1
# and TLS 1.2 CBC-SHA suites, served with TLS 1.2 GCM/ChaCha20 and TLS
# 1.3; --tls-priorities replaces the rule (here one that takes CBC again).
. "$(dirname "$0")/helpers.bash"

ra_init
start() {  # start NAME [serve options]
  local name=$1; shift
  rm -f "$W/port"
  "$RA" serve --listen 127.0.0.1:0 --port-file "$W/port" "$@" >"$W/ra-$name.log" 2>&1 &
  SPID=$!
  for _ in $(seq 1 600); do [ -s "$W/port" ] && break; sleep 0.05; done
  [ -s "$W/port" ] || { cat "$W/ra-$name.log" >&2; fail "kyso-ra did not start"; }
  PORT=$(cat "$W/port")
}
hs() {  # hs s_client options...: 0 when the handshake succeeds
  openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$RA_HOME/tls.pem" "$@" </dev/null >"$W/hs" 2>&1 &&
    grep -q "^New, TLSv1\.[0-9], Cipher is [A-Z]" "$W/hs"
}
start default
for v in -tls1 -tls1_1; do
  hs "$v" -cipher 'ALL:@SECLEVEL=0' && fail "a $v handshake succeeded"
done
for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES128-SHA256 AES128-SHA AES128-GCM-SHA256; do
  hs -tls1_2 -cipher "$c:@SECLEVEL=0" && fail "TLS 1.2 with $c succeeded"
done
for c in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
  hs -tls1_2 -cipher "$c" || fail "TLS 1.2 with $c refused: $(cat "$W/hs")"
done
hs -tls1_3 || fail "TLS 1.3 refused: $(cat "$W/hs")"
curl -fsS --cacert "$RA_HOME/tls.pem" "https://127.0.0.1:$PORT/healthz" -o /dev/null || fail "curl over HTTPS"
kill "$SPID"; wait "$SPID" || fail "kyso-ra did not stop cleanly"

note "--tls-priorities replaces the rule"
start cbc --tls-priorities "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1"
hs -tls1_2 -cipher "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0" || fail "the configured CBC suite was refused: $(cat "$W/hs")"
kill "$SPID"; wait "$SPID" || fail "kyso-ra did not stop cleanly"
assert_exit 1 timeout 20 "$RA" serve --listen 127.0.0.1:0 --tls-priorities "NOT-A-PRIORITY"
assert_contains "$OUT" "cannot start the HTTP server"
pass
