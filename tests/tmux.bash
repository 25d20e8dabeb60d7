# A person at a terminal, for the tests that drive prompts (source it
# after lib.sh): run_in_tmux CMD..., screen, wait_screen TEXT, type_line.
command -v tmux >/dev/null || fail "tmux is not installed (scripts/deps.sh)"
SOCK=$KYSO_HOME/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null || true; _cleanup' EXIT

# run_in_tmux CMD...: a fresh session running CMD, then its exit status.
# The new session starts before the old one is killed (killing the last
# session ends the tmux server).
RUN=0
S=
run_in_tmux() {
  local old=$S
  RUN=$((RUN + 1))
  S=kyso$RUN
  tm -f /dev/null new-session -d -s "$S" -x 150 -y 50 \
    "$*; echo \"EXIT=\$?\"; sleep 60"
  [ -z "$old" ] || tm kill-session -t "$old"
}
screen() { tm capture-pane -p -J -S - -t "$S"; }
# wait_screen TEXT: up to 15 s for TEXT to show.
wait_screen() {
  local i
  for i in $(seq 150); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed '$1'; it shows:
$(screen)"
}
type_line() { tm send-keys -t "$S" -l -- "$1"; tm send-keys -t "$S" Enter; }
