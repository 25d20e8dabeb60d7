# Shared by the tests/ra scripts (not a test itself: only *.sh files are
# registered). Source it instead of lib.sh: the real kyso-ra on loopback,
# curl for the API, openssl for everything a CA's users would check.
. "$(dirname "$0")/../lib.sh"

RA=$BIN/kyso-ra
RA_HOME=$KYSO_HOME/ra
W=$KYSO_HOME/work
mkdir -p "$W"

# A setup script (setup_*.bash) may put the database or the CA key
# elsewhere: it sets RA_INIT_ARGS (an array), RA_CA_PIN and sql_q.
RA_INIT_ARGS=()
RA_CA_PIN=
# sql_q QUERY: one query against the RA's database, rows as text.
sql_q() { sqlite3 "$RA_HOME/ra.db" "$1"; }
if [ -n "${RA_TEST_SETUP:-}" ]; then
  . "$RA_TEST_SETUP"
fi

# ra_init [init options...]
ra_init() {
  "$RA" init --name "kyso Test CA" "${RA_INIT_ARGS[@]}" "$@" 3<<<"$RA_CA_PIN" >/dev/null ||
    fail "kyso-ra init failed"
  RA_OP=$("$RA" operator add "op-$$") || fail "operator add failed"
}

# ra_serve NAME [serve options...]: a server on a free loopback port
# (port 0, read back from --port-file); sets URL_<NAME> and PID_<NAME>,
# and URL/PID for the first one.
ra_serve() {
  local name=$1; shift
  local pf=$W/port-$name i
  rm -f "$pf"
  local pin=()
  [ -n "$RA_CA_PIN" ] && pin=(--ca-pin-fd 3)
  [ -n "${RA_CA_PIN_FILE:-}" ] && pin=(--ca-pin-file "$RA_CA_PIN_FILE")
  "$RA" serve --listen 127.0.0.1:0 --insecure-http --port-file "$pf" \
    --rate-limit 0 "${pin[@]}" "$@" >"$W/ra-$name.log" 2>&1 3<<<"$RA_CA_PIN" &
  local pid=$!
  for i in $(seq 1 600); do
    [ -s "$pf" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$W/ra-$name.log" >&2; fail "kyso-ra $name did not start"; }
    sleep 0.05
  done
  [ -s "$pf" ] || fail "kyso-ra $name did not start"
  printf -v "URL_$name" 'http://127.0.0.1:%s' "$(cat "$pf")"
  printf -v "PID_$name" '%s' "$pid"
  if [ -z "${URL:-}" ]; then
    URL=http://127.0.0.1:$(cat "$pf")
    PID=$pid
  fi
}

# api METHOD URL JSON [curl options...]: sets STATUS and OUT (the body);
# an empty JSON sends no body.
api() {
  local m=$1 u=$2 d=$3; shift 3
  local data=()
  [ -n "$d" ] && data=(--data-binary "$d")
  STATUS=$(curl -sS -o "$W/body" -w '%{http_code}' -X "$m" \
    -H "Content-Type: application/json" "${data[@]}" "$@" "$u") ||
    fail "curl $m $u failed"
  OUT=$(cat "$W/body")
}
# op METHOD PATH [JSON]: an operator call against $URL.
op() {
  api "$1" "$URL$2" "${3:-}" -H "Authorization: Bearer $RA_OP"
}
# sub METHOD PATH JSON: a subscriber call against $URL.
sub() { api "$1" "$URL$2" "$3"; }

expect() {  # expect STATUS [error-code]
  [ "$STATUS" = "$1" ] || fail "HTTP $STATUS, want $1: $OUT"
  if [ $# -gt 1 ]; then
    assert_eq "$(jq -r .error <<<"$OUT")" "$2" "error code"
  fi
}
jqo() { jq -r "$1" <<<"$OUT"; }

mails() { ls "$RA_HOME"/outbox/*.eml 2>/dev/null | wc -l; }
# newest_mail: the last mail written (the outbox names sort by time).
newest_mail() { ls "$RA_HOME"/outbox/*.eml | sort | tail -n 1; }
# mail_value LABEL: the value after "LABEL:" in the newest mail.
mail_value() {
  local f
  f=$(newest_mail)
  grep -m1 "^$1:" "$f" | sed "s/^$1:[[:space:]]*//" | tr -d '\r'
}

# csr KEYFILE OUT [openssl genpkey options]: a CSR with a throwaway key and
# a subject the server must ignore.
csr() {
  local key=$1 out=$2; shift 2
  openssl genpkey "$@" -out "$key" 2>/dev/null || fail "genpkey $*"
  openssl req -new -key "$key" -subj "/CN=Mallory/O=Not Me/C=US" -out "$out" \
    2>/dev/null || fail "openssl req"
}
# json_str FILE: a file's text as a JSON string.
json_str() { jq -Rs . <"$1"; }

# ra_in_busy PID: a thread of kyso-ra PID is in SQLite's busy handler,
# waiting for a write lock another process holds (a thread in nanosleep;
# kyso-ra's other threads wait in futex, poll and epoll): the kernel's
# wait channel, else the system call's number (x86-64 35 and 230, arm64
# 101 and 115). ra_wait_busy PID: waits up to 30 s for that.
ra_in_busy() {
  local t sleeps='35 230'
  [ "$(uname -m)" = aarch64 ] && sleeps='101 115'
  for t in /proc/"$1"/task/*; do
    [[ $(cat "$t/wchan" 2>/dev/null) == *nanosleep* ]] && return 0
    [[ " $sleeps " == *" $(cut -d' ' -f1 "$t/syscall" 2>/dev/null) "* ]] && return 0
  done
  return 1
}
ra_wait_busy() {
  local i
  for i in $(seq 1 600); do ra_in_busy "$1" && return 0; sleep 0.05; done
  return 1
}

# pending_p256 TOKEN: a P-256 key and request ($W/k.pem, $W/r.csr) and a
# new registration ($rid) whose activation code ($code) the body $req
# completes onto TOKEN.
pending_p256() {
  csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
  op POST /api/v1/registrations "$(jq -c '.key_type = "p256"' <<<"$PERSON")"; expect 201
  rid=$(jqo .id)
  code=$(mail_value "Activation code")
  req="{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"$1\"}"
}

PERSON='{"type":"personal","name":"Nguyễn Văn An","id_number":"001099012345","province":"Hà Nội","email":"an@example.vn","phone":"0912345678","profile":"sign","key_type":"rsa2048","validity_years":1}'
