# A person at a terminal, for the tests that type at prompts: source after
# lib.sh. A private tmux server; run_in_tmux CMD starts CMD in a fresh
# session (then "EXIT=<status>" shows); screen, wait_screen TEXT,
# wait_count TEXT N and type_line TEXT drive it.
command -v tmux >/dev/null || fail "tmux is not installed (scripts/deps.sh)"
SOCK=$KYSO_HOME/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null || true; _cleanup' EXIT

# The new session starts before the old one is killed: killing the last
# session ends the tmux server, and a new-session racing that exit fails.
RUN=0
S=
run_in_tmux() {
  local old=$S
  RUN=$((RUN + 1))
  S=kyso$RUN
  tm -f /dev/null new-session -d -s "$S" -x 160 -y 60 \
    "$*; echo \"EXIT=\$?\"; sleep 60"
  [ -z "$old" ] || tm kill-session -t "$old"
}
screen() { tm capture-pane -p -J -S - -t "$S"; }
# wait_screen TEXT: up to 30 s for TEXT to show (a loaded machine).
wait_screen() {
  local i
  for i in $(seq 300); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed '$1'; it shows:
$(screen)"
}
# wait_count TEXT N: until TEXT shows N times (a prompt asked again).
wait_count() {
  local i
  for i in $(seq 300); do
    [ "$(screen | grep -cF -- "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  fail "'$1' never showed $2 times; the screen shows:
$(screen)"
}
type_line() { tm send-keys -t "$S" -l -- "$1"; tm send-keys -t "$S" Enter; }
