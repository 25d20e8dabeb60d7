# Shared by the browser tests and bench/agent (sourced after lib.sh): what
# they need installed, a free loopback port, kyso-agent started on it.
AGENT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# browser_prereqs: passes at once under ASan (chromium and node are not
# ours to sanitize: label browser), fails where deps.sh was not run.
browser_prereqs() {
  if [ "${KYSO_SANITIZE:-0}" = 1 ]; then
    note "the browser tests run in the normal build only"
    pass
  fi
  [ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium: run scripts/deps.sh"
  [ -f "$AGENT_SRC/node_modules/playwright-core/package.json" ] \
    || fail "no playwright-core in $AGENT_SRC/node_modules: run scripts/deps.sh"
}

# free_port: a loopback port nothing listens on now (another test or the
# user's own agent may hold the default).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_agent PORT: kyso.conf for our module and PORT, the scripted
# pinentry (answers from $KYSO_PINENTRY_SCRIPT, dialogs logged to
# $KYSO_PINENTRY_LOG, both in $W), kyso-agent --foreground in the
# background ($AGENT_PID, its log $W/agent.log), up when hello answers.
start_agent() {
  local port=$1 i
  [ -x "$BIN/kyso-agent" ] || fail "no $BIN/kyso-agent"
  printf 'module = %s\nagent_port = %s\n' "$MOD" "$port" > "$KYSO_HOME/kyso.conf"
  export KYSO_PINENTRY=$AGENT_SRC/tests/agent/pinentry_script
  export KYSO_PINENTRY_SCRIPT=$W/pinentry.script
  export KYSO_PINENTRY_LOG=$W/pinentry.log
  : > "$KYSO_PINENTRY_SCRIPT"
  : > "$KYSO_PINENTRY_LOG"
  "$BIN/kyso-agent" --foreground >"$W/agent.log" 2>&1 &
  AGENT_PID=$!
  for ((i = 0; i < 100; i++)); do
    curl -sf -H "Origin: http://127.0.0.1:1" "http://127.0.0.1:$port/v1/hello" >/dev/null 2>&1 && return 0
    kill -0 "$AGENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "kyso-agent did not answer on port $port: $(cat "$W/agent.log")"
}

# stop_agent: SIGTERM, and its exit.
stop_agent() {
  kill "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
}
