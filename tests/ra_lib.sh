# Starting the real RA/CA server for a test: source after lib.sh.
# ra_start [serve options...] sets RA_URL, RA_PID, RA_OP (an operator's
# API token) and RA_HOME.
RA=$BIN/kyso-ra
RA_HOME=$KYSO_HOME/ra

# RA_TEST_SETUP may name a tests/ra/setup_*.bash that puts the database
# (PostgreSQL) or the CA key (SoftHSM2, our token) elsewhere: it sets
# RA_INIT_ARGS and RA_CA_PIN (given on a descriptor) or RA_CA_PIN_FILE.
RA_INIT_ARGS=()
RA_CA_PIN=
RA_CA_PIN_FILE=
if [ -n "${RA_TEST_SETUP:-}" ]; then
  . "$RA_TEST_SETUP"
fi

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(shuf -i 20000-32767 -n 1)
    ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
  fail "no free port"
}

ra_start() {
  local pin=()
  [ -n "$RA_CA_PIN" ] && pin=(--ca-pin-fd 3)
  [ -n "$RA_CA_PIN_FILE" ] && pin=(--ca-pin-file "$RA_CA_PIN_FILE")
  [ -d "$RA_HOME" ] || "$RA" init --ca-key-type "${RA_KEY_TYPE:-p256}" --name "kyso Test CA" \
    "${RA_INIT_ARGS[@]}" 3<<<"$RA_CA_PIN" >/dev/null || fail "kyso-ra init failed"
  RA_OP=$("$RA" operator add "op-$$" | tail -n 1 | awk '{print $NF}')
  local port i try
  # A random port may be taken between the check and the bind: try again.
  for try in 1 2 3 4 5; do
    port=${RA_PORT:-$(free_port)} # RA_PORT: a port named at init too
    RA_URL=http://127.0.0.1:$port
    # Started directly (not through a subshell) so that $! is the server
    # and the test's cleanup stops it.
    "$RA" serve --listen "127.0.0.1:$port" --insecure-http --public-url "$RA_URL" \
      "${pin[@]}" "$@" >"$KYSO_HOME/ra.log" 2>&1 3<<<"$RA_CA_PIN" &
    RA_PID=$!
    for i in $(seq 1 100); do
      curl -fs "$RA_URL/ca.pem" -o /dev/null && return 0
      kill -0 "$RA_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$RA_PID" 2>/dev/null || true
    wait "$RA_PID" 2>/dev/null || true
  done
  cat "$KYSO_HOME/ra.log" >&2
  fail "kyso-ra did not answer on $RA_URL"
}

# op_post PATH JSON: an operator call; prints the body, fails on non-2xx.
op_post() {
  curl -fsS -X POST -H "Authorization: Bearer $RA_OP" -H "Content-Type: application/json" \
    --data "$2" "$RA_URL$1"
}

# newest_mail: the outbox file written last (names sort by time).
newest_mail() { ls "$RA_HOME"/outbox/*.eml 2>/dev/null | sort | tail -n 1; }

# last_mail_value LABEL: the value after "LABEL:" in the newest outbox mail.
last_mail_value() {
  local f
  f=$(newest_mail)
  grep -m1 "^$1:" "$f" | sed "s/^$1:[[:space:]]*//" | tr -d '\r'
}
