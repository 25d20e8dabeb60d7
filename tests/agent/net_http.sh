#!/usr/bin/env bash
# kyso-agent's network side at the HTTP level, with curl against the real
# agent (token side included): the Host check (DNS rebinding: 421), the
# Origin check (403, no CORS), CORS only for an approved origin (never
# '*'), preflights, 404/405, 415, 413 before the body (by Content-Length)
# and for a chunked body, request validation (400), the approval question
# (Deny is stored and never asked again; Allow is stored), and
# `kyso-agent origins list|revoke|allow`.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/browser_helpers.bash"

W=$KYSO_HOME/work; mkdir -p "$W"
AG=$BIN/kyso-agent
A=http://app.test:8080          # allowed by an administrator
D=https://denied.test           # denied by the user
port=$(free_port)
U=http://127.0.0.1:$port
HOST="Host: 127.0.0.1:$port"

note "kyso-agent origins allow, before the agent starts"
assert_exit 0 "$AG" origins allow "$A"
assert_exit 2 "$AG" origins allow "http://app.test/path"
assert_exit 2 "$AG" origins allow "null"
printf '# written by hand\ndeny %s\n' "$D" >> "$KYSO_HOME/agent/origins"
assert_eq "$(stat -c %a "$KYSO_HOME/agent/origins")" 600 "origins file mode"
start_agent "$port"

# req ARGS...: curl with headers in $W/h and body in $W/b; the status in $ST.
req() {
  ST=$(curl -s -m 20 -D "$W/h" -o "$W/b" -w '%{http_code}' "$@" || true)
}
hdr() { grep -i "^$1:" "$W/h" | sed 's/^[^:]*: *//' | tr -d '\r' || true; }
no_cors() {
  [ -z "$(hdr Access-Control-Allow-Origin)" ] || fail "$1: an ACAO header: $(cat "$W/h")"
}
code_is() { assert_contains "$(cat "$W/b")" "\"code\":\"$1\"" "$2"; }

note "hello: ACAO echoed exactly, never '*'; approved says whether"
req -H "$HOST" -H "Origin: $A" "$U/v1/hello"
assert_eq "$ST" 200 "hello"
assert_eq "$(hdr Access-Control-Allow-Origin)" "$A" "ACAO of an allowed origin"
assert_eq "$(hdr Vary)" "Origin" "Vary"
assert_contains "$(cat "$W/b")" '"approved":true'
assert_contains "$(cat "$W/b")" '"api":1'
assert_eq "$(hdr Content-Type)" "application/json" "Content-Type"
# common/mhd.c's headers, on every answer of every kyso server.
assert_eq "$(hdr Cache-Control)" "no-store" "Cache-Control"
assert_eq "$(hdr X-Content-Type-Options)" "nosniff" "X-Content-Type-Options"
req -H "$HOST" -H "Origin: https://new.test" "$U/v1/hello"
assert_eq "$ST" 200 "hello from an origin not asked yet"
assert_eq "$(hdr Access-Control-Allow-Origin)" "https://new.test"
assert_contains "$(cat "$W/b")" '"approved":false'
for h in "localhost:$port" "127.0.0.1:$port"; do
  req -H "Host: $h" -H "Origin: $A" "$U/v1/hello"
  assert_eq "$ST" 200 "Host $h"
done
if ss -ltn | grep -q "\[::1\]:$port "; then
  req -g -H "Origin: $A" "http://[::1]:$port/v1/hello"
  assert_eq "$ST" 200 "Host [::1]:$port"
fi

note "a forged Host is 421 (DNS rebinding)"
for h in "evil.test:$port" "evil.test" "127.0.0.1:1" "localhost" "127.0.0.2:$port" "LOCALHOST:$port"; do
  req -H "Host: $h" -H "Origin: $A" "$U/v1/hello"
  assert_eq "$ST" 421 "Host $h"
  code_is BAD_REQUEST "Host $h"
  no_cors "Host $h"
done

note "no Origin, or not a serialized origin: 403, no CORS"
for o in "" "null" "http://a.test/" "http://a.test/x" "ftp://a.test" "HTTP://A.TEST" \
  "http://user@a.test" "http://a.test:0" "http://a.test:65536" "http://a..test"; do
  if [ -z "$o" ]; then req -H "$HOST" "$U/v1/hello"; else req -H "$HOST" -H "Origin: $o" "$U/v1/hello"; fi
  assert_eq "$ST" 403 "Origin '$o'"
  code_is ORIGIN_DENIED "Origin '$o'"
  no_cors "Origin '$o'"
done
req -H "$HOST" -H "Origin: $A" -H "Origin: https://new.test" "$U/v1/hello"
assert_eq "$ST" 403 "two Origin headers"

note "a denied origin: 403 without ACAO everywhere, preflight too"
for p in /v1/hello /v1/certificates; do
  req -H "$HOST" -H "Origin: $D" "$U$p"
  assert_eq "$ST" 403 "denied origin on $p"
  no_cors "denied origin on $p"
done
req -X OPTIONS -H "$HOST" -H "Origin: $D" -H "Access-Control-Request-Method: POST" "$U/v1/sign"
assert_eq "$ST" 403 "preflight of a denied origin"
no_cors "preflight of a denied origin"

note "preflight"
req -X OPTIONS -H "$HOST" -H "Origin: $A" -H "Access-Control-Request-Method: POST" \
  -H "Access-Control-Request-Headers: content-type" "$U/v1/sign"
assert_eq "$ST" 204 "preflight"
assert_eq "$(hdr Access-Control-Allow-Origin)" "$A"
assert_eq "$(hdr Access-Control-Allow-Methods)" "GET, POST"
assert_eq "$(hdr Access-Control-Allow-Headers)" "Content-Type"
assert_eq "$(hdr Access-Control-Max-Age)" "600"
assert_eq "$(hdr Access-Control-Allow-Private-Network)" "" "PNA without asking"
[ -z "$(hdr Access-Control-Allow-Credentials)" ] || fail "credentials allowed"
req -X OPTIONS -H "$HOST" -H "Origin: https://new.test" -H "Access-Control-Request-Method: POST" \
  -H "Access-Control-Request-Private-Network: true" "$U/v1/sign"
assert_eq "$ST" 204 "preflight of an origin not asked yet"
assert_eq "$(hdr Access-Control-Allow-Origin)" "https://new.test"
assert_eq "$(hdr Access-Control-Allow-Private-Network)" "true"

note "404, 405"
req -H "$HOST" -H "Origin: $A" "$U/v1/nothing"
assert_eq "$ST" 404 "unknown path"
req -H "$HOST" -H "Origin: $A" "$U/v1/jobs/not-an-id"
assert_eq "$ST" 404 "a job id that is not one"
req -H "$HOST" -H "Origin: $A" "$U/v1/sign"
assert_eq "$ST" 405 "GET /v1/sign"
assert_eq "$(hdr Allow)" "POST"
req -X POST -H "$HOST" -H "Origin: $A" -H "Content-Type: application/json" -d '{}' "$U/v1/hello"
assert_eq "$ST" 405 "POST /v1/hello"
assert_eq "$(hdr Allow)" "GET"
req -X DELETE -H "$HOST" -H "Origin: $A" "$U/v1/certificates"
assert_eq "$ST" 405 "DELETE /v1/certificates"

note "415: a POST body must be application/json (no form posts)"
for ct in "text/plain" "application/x-www-form-urlencoded" "multipart/form-data; boundary=x" "application/jsonx"; do
  req -H "$HOST" -H "Origin: $A" -H "Content-Type: $ct" -d '{"items":[]}' "$U/v1/sign"
  assert_eq "$ST" 415 "Content-Type $ct"
  code_is BAD_REQUEST "Content-Type $ct"
  assert_eq "$(hdr Access-Control-Allow-Origin)" "$A" "ACAO on an allowed origin's error"
done

note "413 by Content-Length, before any of the body is sent"
python3 - "$port" > "$W/early.txt" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(("POST /v1/sign HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://app.test:8080\r\n"
           "Content-Type: application/json\r\nContent-Length: 67108865\r\n\r\n" % port).encode())
print(s.recv(4096).decode(errors="replace").split("\r\n")[0])
PY
assert_eq "$(cat "$W/early.txt")" "HTTP/1.1 413 Content Too Large" "the answer before the body"
req -H "$HOST" -H "Origin: $A" -H "Content-Type: application/json" -H "Content-Length: 70000000" \
  -d '{}' "$U/v1/sign"
assert_eq "$ST" 413 "Content-Length past 64 MiB"
code_is TOO_LARGE "Content-Length past 64 MiB"

note "413 for a chunked body past 64 MiB"
head -c $((64 * 1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' > "$W/big.json"
req -H "$HOST" -H "Origin: $A" -H "Content-Type: application/json" -H "Transfer-Encoding: chunked" \
  --data-binary @"$W/big.json" "$U/v1/sign"
assert_eq "$ST" 413 "chunked past 64 MiB"
code_is TOO_LARGE "chunked past 64 MiB"
rm -f "$W/big.json"

note "400: what a sign request may not carry"
D64=$(printf 'hello' | base64)
bad() {
  req -H "$HOST" -H "Origin: $A" -H "Content-Type: application/json" -d "$2" "$U/v1/sign"
  assert_eq "$ST" "${3:-400}" "$1"
  code_is "${4:-BAD_REQUEST}" "$1"
}
bad "not JSON" '{"items":'
bad "not an object" '[1]'
bad "no items" '{"items":[]}'
bad "a PIN" '{"pin":"123456","items":[{"type":"cms","data":"'"$D64"'"}]}'
bad "a module" '{"items":[{"type":"cms","data":"'"$D64"'","module":"/tmp/x.so"}]}'
bad "a URL option" '{"items":[{"type":"pdf","data":"'"$D64"'","options":{"tsa_url":"http://x"}}]}'
bad "a file path" '{"items":[{"type":"pdf","path":"/etc/passwd"}]}'
bad "an unknown type" '{"items":[{"type":"exe","data":"'"$D64"'"}]}'
bad "bad base64" '{"items":[{"type":"cms","data":"aGVsbG8*"}]}'
bad "base64 without padding" '{"items":[{"type":"cms","data":"aGVsbG8"}]}'
bad "empty data" '{"items":[{"type":"cms","data":""}]}'
bad "options on cms" '{"items":[{"type":"cms","data":"'"$D64"'","options":{"level":"B-B"}}]}'
bad "B-T without a TSA" '{"items":[{"type":"pdf","data":"'"$D64"'","options":{"level":"B-T"}}]}'
bad "a level" '{"items":[{"type":"pdf","data":"'"$D64"'","options":{"level":"B-X"}}]}'
bad "a rect" '{"items":[{"type":"pdf","data":"'"$D64"'","options":{"rect":"1,2,3"}}]}'
bad "a page" '{"items":[{"type":"pdf","data":"'"$D64"'","options":{"page":-1}}]}'
bad "a line break in a reason" '{"items":[{"type":"pdf","data":"'"$D64"'","options":{"reason":"a\nlevel=B-LT"}}]}'
bad "an XML Id" '{"items":[{"type":"xml","data":"'"$D64"'","options":{"id":"a b"}}]}'
bad "a certificate id" '{"certificate":"../../x","items":[{"type":"cms","data":"'"$D64"'"}]}'
bad "a duplicate key" '{"items":[],"items":[]}'
long=$(printf 'x%.0s' $(seq 201))
bad "a title past 200 bytes" '{"items":[{"type":"cms","title":"'"$long"'","data":"'"$D64"'"}]}'
many=$(python3 -c 'import sys; print(",".join(["{\"type\":\"cms\",\"data\":\"aGVsbG8=\"}"] * 101))')
bad "101 items" '{"items":['"$many"']}' 413 TOO_LARGE

note "an origin not asked yet: the question; Deny is stored, never asked again"
: > "$KYSO_PINENTRY_LOG"
echo CANCEL > "$KYSO_PINENTRY_SCRIPT"
N=https://new.test
req -H "$HOST" -H "Origin: $N" "$U/v1/certificates"
assert_eq "$ST" 403 "denied by the user"
code_is ORIGIN_DENIED "denied by the user"
no_cors "denied by the user"
assert_contains "$(cat "$KYSO_PINENTRY_LOG")" "$N wants to use your USB token"
assert_contains "$("$AG" origins list)" "deny $N"
echo OK > "$KYSO_PINENTRY_SCRIPT"
req -H "$HOST" -H "Origin: $N" -H "Content-Type: application/json" \
  -d '{"items":[{"type":"cms","data":"'"$D64"'"}]}' "$U/v1/sign"
assert_eq "$ST" 403 "a denied origin signs"
no_cors "a denied origin signs"
req -H "$HOST" -H "Origin: $N" "$U/v1/hello"
assert_eq "$ST" 403 "a denied origin's hello"
assert_eq "$(grep -c '^DIALOG' "$KYSO_PINENTRY_LOG")" 1 "dialogs for a denied origin"
grep -q '^PIN\|GETPIN' "$KYSO_PINENTRY_LOG" && fail "a PIN was asked"

note "the question closed without an answer: 403, nothing stored, asked again next time"
T=https://closed.test
echo CLOSE > "$KYSO_PINENTRY_SCRIPT"
req -H "$HOST" -H "Origin: $T" "$U/v1/certificates"
assert_eq "$ST" 403 "no answer"
code_is ORIGIN_DENIED "no answer"
no_cors "no answer"
assert_not_contains "$("$AG" origins list)" "$T"
echo CANCEL > "$KYSO_PINENTRY_SCRIPT"
req -H "$HOST" -H "Origin: $T" "$U/v1/certificates"
assert_eq "$ST" 403 "denied after no answer"
assert_eq "$(grep -c '^DIALOG' "$KYSO_PINENTRY_LOG")" 3 "dialogs: once for $N, twice for $T"
assert_contains "$("$AG" origins list)" "deny $T"

note "kyso-agent origins revoke: asked again; Allow is stored"
assert_exit 0 "$AG" origins revoke "$N"
assert_exit 1 "$AG" origins revoke "$N"
assert_not_contains "$("$AG" origins list)" "$N"
echo OK > "$KYSO_PINENTRY_SCRIPT"
req -H "$HOST" -H "Origin: $N" "$U/v1/certificates"
assert_eq "$ST" 200 "allowed by the user: $(cat "$W/b")"
assert_eq "$(hdr Access-Control-Allow-Origin)" "$N"
assert_contains "$(cat "$W/b")" '"certificates":['
assert_eq "$(grep -c '^DIALOG' "$KYSO_PINENTRY_LOG")" 4 "dialogs"
assert_contains "$("$AG" origins list)" "allow $N"
"$AG" origins list --json > "$W/list.json"
python3 - "$W/list.json" "$N" "$A" "$D" <<'PY'
import json, sys
got = {e["origin"]: e["decision"] for e in json.load(open(sys.argv[1]))}
assert got == {sys.argv[2]: "allow", sys.argv[3]: "allow", sys.argv[4]: "deny",
               "https://closed.test": "deny"}, got
PY
grep -qx '# written by hand' "$KYSO_HOME/agent/origins" || fail "the comment was lost"
assert_eq "$(stat -c %a "$KYSO_HOME/agent/origins")" 600 "origins file mode"

stop_agent
pass
