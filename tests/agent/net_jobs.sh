#!/usr/bin/env bash
# kyso-agent's jobs through the network side, with curl against the real
# agent, a virtual token and the scripted pinentry: 20 parallel batches
# (one runs, 19 get 409 BUSY), a job is its origin's (another origin gets
# 404), cancel while the dialog is open (USER_CANCELLED, no PIN asked, the
# result fetched once then gone), a batch signed with one PIN whose
# results verify, and the network side killed: the agent starts it again
# and serves.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/browser_helpers.bash"

AG=$BIN/kyso-agent
A=http://app.test:8080
B=https://other.test
make_pki
nss_db
signing_token NJ0001 01 EC:prime256v1 "Net Jobs User"
port=$(free_port)
U=http://127.0.0.1:$port
HOST="Host: 127.0.0.1:$port"
assert_exit 0 "$AG" origins allow "$A"
assert_exit 0 "$AG" origins allow "$B"
start_agent "$port"

req() {
  ST=$(curl -s -m 20 -D "$W/h" -o "$W/b" -w '%{http_code}' "$@" || true)
}
code_is() { assert_contains "$(cat "$W/b")" "\"code\":\"$1\"" "$2"; }
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/b" "$1"; }
# wait_state ORIGIN JOB STATE: polls the job (up to 20 s) until STATE.
wait_state() {
  local i s
  for ((i = 0; i < 200; i++)); do
    req -H "$HOST" -H "Origin: $1" "$U/v1/jobs/$2"
    [ "$ST" = 200 ] || fail "job $2: $ST $(cat "$W/b")"
    s=$(json 'd["state"]')
    [ "$s" = "$3" ] && return 0
    case "$s" in done|failed|cancelled) fail "job $2 ended $s, not $3: $(cat "$W/b")" ;; esac
    sleep 0.1
  done
  fail "job $2 never $3: $(cat "$W/b")"
}

D64=$(printf 'hello' | base64)
note "20 parallel batches: one runs, the others 409 BUSY"
printf 'SLEEP 15\nCANCEL\n' > "$KYSO_PINENTRY_SCRIPT"
: > "$KYSO_PINENTRY_LOG"
pids=()
for i in $(seq 20); do
  curl -s -m 20 -H "$HOST" -H "Origin: $A" -H "Content-Type: application/json" \
    -d '{"items":[{"type":"cms","title":"doc '"$i"'","data":"'"$D64"'"}]}' \
    -o "$W/r$i" -w '%{http_code}' "$U/v1/sign" > "$W/s$i" &
  pids+=($!)
done
wait "${pids[@]}"
ok=0; busy=0
for i in $(seq 20); do
  case "$(cat "$W/s$i")" in
    202) ok=$((ok + 1)); cp "$W/r$i" "$W/job.json" ;;
    409) busy=$((busy + 1)); assert_contains "$(cat "$W/r$i")" '"code":"BUSY"' ;;
    *) fail "request $i: $(cat "$W/s$i") $(cat "$W/r$i")" ;;
  esac
done
assert_eq "$ok/$busy" "1/19" "accepted/busy"
cp "$W/job.json" "$W/b"
J=$(json 'd["job"]')
assert_eq "$(json 'd["total"]')" 1 "total"
[[ $J =~ ^[0-9a-f]{32}$ ]] || fail "job id $J"
wait_state "$A" "$J" waiting_user

note "the job is its origin's: another origin gets 404"
req -H "$HOST" -H "Origin: $B" "$U/v1/jobs/$J"
assert_eq "$ST" 404 "another origin's job"
code_is NOT_FOUND "another origin's job"
req -X POST -H "$HOST" -H "Origin: $B" -H "Content-Type: application/json" -d '{}' "$U/v1/jobs/$J/cancel"
assert_eq "$ST" 404 "another origin cancels"
req -H "$HOST" -H "Origin: $A" "$U/v1/jobs/0123456789abcdef0123456789abcdef"
assert_eq "$ST" 404 "no such job"

note "cancel while the dialog is open: USER_CANCELLED, no PIN asked"
req -X POST -H "$HOST" -H "Origin: $A" -H "Content-Type: application/json" -d '{}' "$U/v1/jobs/$J/cancel"
assert_eq "$ST" 200 "cancel: $(cat "$W/b")"
assert_eq "$(json 'd["job"]')" "$J"
for ((i = 0; i < 100; i++)); do
  req -H "$HOST" -H "Origin: $A" "$U/v1/jobs/$J"
  [ "$(json 'd["state"]')" = cancelled ] && break
  sleep 0.1
done
assert_eq "$(json 'd["state"]')" cancelled "state after cancel: $(cat "$W/b")"
assert_eq "$(json 'd["error"]["code"]')" USER_CANCELLED
req -H "$HOST" -H "Origin: $A" "$U/v1/jobs/$J"
assert_eq "$ST" 404 "a final job fetched once is gone"
grep -q '^DIALOG GETPIN' "$KYSO_PINENTRY_LOG" && fail "a PIN was asked"

note "a batch signed with one PIN"
printf 'OK\nPIN %s\n' "$USER_PIN" > "$KYSO_PINENTRY_SCRIPT"
: > "$KYSO_PINENTRY_LOG"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in.pdf" -c showpage >/dev/null 2>&1
printf 'contract text' > "$W/cms.in"
python3 - "$W" > "$W/batch.json" <<'PY'
import base64, json, sys
w = sys.argv[1]
b = lambda p: base64.b64encode(open(w + "/" + p, "rb").read()).decode()
print(json.dumps({"items": [
    {"type": "pdf", "title": "Hợp đồng số 1", "data": b("in.pdf"),
     "options": {"level": "B-B", "visible": False}},
    {"type": "cms", "title": "data", "data": b("cms.in")}]}))
PY
req -H "$HOST" -H "Origin: $A" -H "Content-Type: application/json" --data-binary @"$W/batch.json" "$U/v1/sign"
assert_eq "$ST" 202 "sign: $(cat "$W/b")"
J=$(json 'd["job"]')
for ((i = 0; i < 300; i++)); do
  req -H "$HOST" -H "Origin: $A" "$U/v1/jobs/$J"
  s=$(json 'd["state"]')
  [ "$s" = done ] || [ "$s" = failed ] || [ "$s" = cancelled ] && break
  sleep 0.1
done
assert_eq "$s" done "batch: $(head -c 600 "$W/b")"
assert_eq "$(json 'd["done"]')/$(json 'd["total"]')" 2/2 "done/total"
python3 - "$W" <<'PY'
import base64, json, sys
w = sys.argv[1]
d = json.load(open(w + "/b"))
r = {x["index"]: x for x in d["results"]}
assert r[0]["ok"] and r[1]["ok"], d
open(w + "/out.pdf", "wb").write(base64.b64decode(r[0]["data"]))
open(w + "/out.p7s", "wb").write(base64.b64decode(r[1]["data"]))
PY
pdfsig_ok "$W/out.pdf" 1
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/out.p7s" -content "$W/cms.in" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl cms: $(cat "$W/e")"
assert_eq "$(grep -c '^DIALOG GETPIN' "$KYSO_PINENTRY_LOG")" 1 "PIN dialogs for the batch"
assert_contains "$(cat "$KYSO_PINENTRY_LOG")" "$A"

note "the network side killed: the agent starts it again and serves"
c=$(pgrep -P "$AGENT_PID" -f -- --net-child | head -n1 || true)
[ -n "$c" ] || fail "no network side under the agent"
! grep -q libkyso-pkcs11 "/proc/$c/maps" || fail "the network side has the PKCS#11 module loaded"
kill -9 "$c"
for ((i = 0; i < 100; i++)); do
  c2=$(pgrep -P "$AGENT_PID" -f -- --net-child | head -n1 || true)
  if [ -n "$c2" ] && [ "$c2" != "$c" ]; then
    req -H "$HOST" -H "Origin: $A" "$U/v1/hello"
    [ "$ST" = 200 ] && break
  fi
  sleep 0.1
done
assert_eq "$ST" 200 "hello after the restart"
kill -0 "$AGENT_PID" || fail "the agent died with its network side"
req -H "$HOST" -H "Origin: $A" "$U/v1/certificates"
assert_eq "$ST" 200 "certificates after the restart"
assert_contains "$(cat "$W/b")" "Net Jobs User"

stop_agent
pass
