#!/usr/bin/env bash
# kyso-agent serve, the supervisor: it listens on 127.0.0.1 (and ::1) at
# agent_port, a second agent on the same port exits 1 with a clear
# message, the network side it starts (kyso-agent --net-child, fds 3, 4,
# 5) is started again when it dies, holds no PKCS#11 module, and SIGTERM
# ends everything with status 0. Through HTTP, the two sides together:
# the origin question, the certificates, a CMS batch signed with one PIN
# (openssl cms verifies it), and answers again after the restart.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# child_of PID: the network side's pid, when one runs now.
child_of() { pgrep -P "$1" -f -- --net-child | head -n1 || true; }

make_pki
signing_token AS0001 01 EC:prime256v1 "Agent User"
export KYSO_PINENTRY=$(cd "$(dirname "$0")" && pwd)/pinentry_script
export KYSO_PINENTRY_SCRIPT=$W/answers KYSO_PINENTRY_LOG=$W/dialogs
: > "$KYSO_PINENTRY_SCRIPT"
port=$(free_port)
printf 'module = %s\nagent_port = %s\n' "$MOD" "$port" > "$KYSO_HOME/kyso.conf"

"$BIN/kyso-agent" serve --foreground > "$W/agent.log" 2>&1 & ap=$!
for ((i = 0; i < 100; i++)); do
  grep -q "listening on 127.0.0.1:$port" "$W/agent.log" && break
  sleep 0.1
done
grep -q "listening on 127.0.0.1:$port" "$W/agent.log" || fail "not listening: $(cat "$W/agent.log")"
ss -ltn | grep -q "127.0.0.1:$port " || fail "nothing listens on 127.0.0.1:$port"

note "a second agent on the same port"
assert_exit 1 "$BIN/kyso-agent" --foreground
assert_contains "$OUT" "port $port on 127.0.0.1 is already in use"
kill -0 "$ap" || fail "the first agent died"

note "through HTTP: Allow, the certificates, a CMS item signed with one PIN"
O="Origin: https://econtract.example.vn"
url=http://127.0.0.1:$port
for ((i = 0; i < 50; i++)); do curl -sf -H "$O" "$url/v1/hello" >/dev/null && break; sleep 0.1; done
printf 'OK\nOK\nPIN %s\n' "$USER_PIN" > "$KYSO_PINENTRY_SCRIPT"
curl -sf -H "$O" "$url/v1/certificates" > "$W/certs.json" || fail "certificates"
assert_contains "$(cat "$W/certs.json")" '"common_name":"Agent User"'
printf 'hợp đồng\n' > "$W/doc.txt"
body=$(printf '{"items":[{"type":"cms","title":"hợp đồng","data":"%s"}]}' "$(base64 -w0 "$W/doc.txt")")
curl -sf -H "$O" -H "Content-Type: application/json" -d "$body" "$url/v1/sign" > "$W/job.json" \
  || fail "POST /v1/sign"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"])' "$W/job.json")
for ((i = 0; i < 100; i++)); do
  curl -sf -H "$O" "$url/v1/jobs/$job" > "$W/state.json" || fail "GET the job"
  grep -q '"state":"\(waiting_user\|signing\)"' "$W/state.json" || break
  sleep 0.1
done
assert_contains "$(cat "$W/state.json")" '"state":"done"'
python3 -c 'import base64,json,sys; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["results"][0]["data"]))' \
  "$W/state.json" "$W/doc.p7s"
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/doc.p7s" -content "$W/doc.txt" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl cms: $(cat "$W/e")"
assert_eq "$(grep -c '^DIALOG GETPIN' "$W/dialogs")" 1 "PIN dialogs"

note "the network side dies: it is started again"
c=""
for ((i = 0; i < 50; i++)); do c=$(child_of "$ap"); [ -n "$c" ] && break; sleep 0.1; done
if [ -n "$c" ]; then
  # A network side that stays up (the real one): its fds and its memory.
  for fd in 3 4; do
    case "$(readlink "/proc/$c/fd/$fd")" in socket:*) ;; *) fail "fd $fd of the network side is not a socket" ;; esac
  done
  tr '\0' '\n' < "/proc/$c/environ" | grep -qx 'KYSO_AGENT_FDS=3,4,[-0-9]*' \
    || fail "no KYSO_AGENT_FDS in the network side's environment"
  ! grep -q libkyso-pkcs11 "/proc/$c/maps" || fail "the network side has the PKCS#11 module loaded"
  kill -9 "$c"
fi
for ((i = 0; i < 100; i++)); do
  grep -q "network side started again" "$W/agent.log" && break
  sleep 0.1
done
grep -q "network side started again" "$W/agent.log" || fail "not started again: $(cat "$W/agent.log")"
kill -0 "$ap" || fail "the supervisor died with its network side"
if [ -n "$c" ]; then
  for ((i = 0; i < 50; i++)); do curl -sf -H "$O" "$url/v1/hello" >/dev/null && break; sleep 0.1; done
  curl -sf -H "$O" "$url/v1/certificates" > "$W/certs2.json" || fail "no answer after the restart"
  assert_contains "$(cat "$W/certs2.json")" '"common_name":"Agent User"'
fi

note "SIGTERM: the agent and its network side end, status 0"
kill -TERM "$ap"
for ((i = 0; i < 100; i++)); do kill -0 "$ap" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ap" 2>/dev/null && fail "still running 10 s after SIGTERM"
set +e; wait "$ap"; st=$?; set -e
assert_eq "$st" 0 "exit status after SIGTERM"
[ -z "$(child_of "$ap")" ] || fail "the network side outlived the agent"
! ss -ltn | grep -q "127.0.0.1:$port " || fail "the port is still held"
pass
