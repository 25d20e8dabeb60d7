# Shared by the desktop tests (tests/manager/*.sh, CTest label desktop;
# not a test itself): sourcing it runs the rest of the script again inside
# a private desktop session — an X server (xvfb-run), a session D-Bus
# (dbus-run-session), the accessibility bus, and a notification daemon
# that records what it is sent (notify_recorder.py) — with a fresh
# KYSO_HOME (lib.sh) and the cli helpers' test CA (ca_init, issue_cert,
# put_cert). The widgets are driven by their accessible names through
# drive.py; screenshots go to $KYSO_BUILD/screenshots/manager/.
PY=/usr/bin/python3   # Debian's, with gi and pyatspi (not a pyenv one)
MGR_TESTS=$(cd "$(dirname "$0")" && pwd)

if [ -z "${KYSO_DESKTOP_SESSION:-}" ]; then
  for prog in xvfb-run dbus-run-session import /usr/libexec/at-spi-bus-launcher; do
    command -v "$prog" >/dev/null ||
      { echo "FAIL [$(basename "$0" .sh)]: $prog is missing (scripts/deps.sh)" >&2; exit 1; }
  done
  "$PY" -c 'import gi, pyatspi; gi.require_version("Gtk", "4.0")' 2>/dev/null ||
    { echo "FAIL [$(basename "$0" .sh)]: python3-gi, python3-pyatspi or gir1.2-gtk-4.0 is missing (scripts/deps.sh)" >&2; exit 1; }
  export KYSO_DESKTOP_SESSION=1
  # From a random display number: tests run side by side (ctest -j).
  exec xvfb-run -a -n $((100 + RANDOM % 400)) -s "-screen 0 1280x800x24 -nolisten tcp" \
    dbus-run-session -- bash "$0" "$@"
fi

. "$MGR_TESTS/../cli/helpers.bash"

MGR=$BIN/kyso-manager
SHOTS=$KYSO_BUILD/screenshots/manager
NOTES=$KYSO_HOME/notifications.jsonl
mkdir -p "$SHOTS" "$KYSO_HOME/xdg/run" "$KYSO_HOME/xdg/config" "$KYSO_HOME/xdg/data" "$KYSO_HOME/xdg/cache"
chmod 700 "$KYSO_HOME/xdg/run"
export XDG_RUNTIME_DIR=$KYSO_HOME/xdg/run XDG_CONFIG_HOME=$KYSO_HOME/xdg/config \
  XDG_DATA_HOME=$KYSO_HOME/xdg/data XDG_CACHE_HOME=$KYSO_HOME/xdg/cache
# GTK 4 on X11, talking to the accessibility bus; no dconf. GTK 4.8's GL
# renderer on Xvfb's software GL can block in the X server once a dialog
# opens over the window: cairo draws the same pixels.
export GDK_BACKEND=x11 NO_AT_BRIDGE=0 GTK_A11Y=atspi GSETTINGS_BACKEND=memory GTK_THEME=Adwaita GSK_RENDERER=cairo
unset WAYLAND_DISPLAY DESKTOP_AUTOSTART_ID || true

# need_manager: skips the test (CTest SKIP_RETURN_CODE 77) while
# kyso-manager is not built.
need_manager() {
  [ -x "$MGR" ] || { echo "skip [$TEST_NAME]: $MGR is not built"; exit 77; }
}

# has_owner NAME: whether NAME is owned on the session bus.
has_owner() {
  gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner "$1" 2>/dev/null | grep -q true
}

# The X server answers (xvfb-run may hand over a display still starting;
# on a loaded machine that took more than the 5 s once allowed, and the
# test's first window then failed to open: manager/harness in CI).
x_ready() {
  "$PY" -c 'import sys, gi; gi.require_version("Gtk", "4.0"); from gi.repository import Gtk; sys.exit(0 if Gtk.init_check() else 1)' \
    2>/dev/null
}
for _ in $(seq 300); do x_ready && break; sleep 0.1; done
x_ready || fail "the X server (Xvfb on $DISPLAY) did not answer in 30 s"

# The accessibility bus and the notification recorder, started at once.
/usr/libexec/at-spi-bus-launcher --launch-immediately >"$KYSO_HOME/atspi.log" 2>&1 &
"$PY" "$MGR_TESTS/notify_recorder.py" "$NOTES" "$KYSO_HOME/recorder.ready" \
  >"$KYSO_HOME/recorder.log" 2>&1 &
for _ in $(seq 100); do
  has_owner org.a11y.Bus && [ -f "$KYSO_HOME/recorder.ready" ] && break
  sleep 0.1
done
has_owner org.a11y.Bus || fail "the accessibility bus did not start: $(cat "$KYSO_HOME/atspi.log")"
[ -f "$KYSO_HOME/recorder.ready" ] || fail "the notification recorder did not start: $(cat "$KYSO_HOME/recorder.log")"

# drive COMMAND ARGS...: drive.py against kyso-manager (DRIVE_APP names
# another program); its complaint, with what was showing, ends the test.
DRIVE_APP=kyso-manager
drive() {
  "$PY" "$MGR_TESTS/drive.py" --app "$DRIVE_APP" "$@" || {
    import -window root "$SHOTS/failed-$TEST_NAME.png" 2>/dev/null || true
    fail "drive $*$(manager_log) (screen: $SHOTS/failed-$TEST_NAME.png)"
  }
}
# manager_log: the program's own output so far (APP_LOG) and the
# accessibility bus's, for a failure message.
APP_LOG=$KYSO_HOME/manager.log
manager_log() {
  [ -s "$APP_LOG" ] && printf '\n-- %s said:\n%s' "$DRIVE_APP" "$(tail -n 30 "$APP_LOG")"
  [ -s "$KYSO_HOME/atspi.log" ] && printf '\n-- the accessibility bus said:\n%s' "$(tail -n 10 "$KYSO_HOME/atspi.log")"
  return 0
}

# manager_start ARGS...: kyso-manager in the background (MGR_PID), its
# output in $KYSO_HOME/manager.log.
manager_start() {
  need_manager
  "$MGR" "$@" >>"$KYSO_HOME/manager.log" 2>&1 &
  MGR_PID=$!
}

# shot NAME: a screenshot of the whole screen into $SHOTS/NAME.png, taken
# again until two in a row are the same (the last frame drawn).
shot() {
  local i
  sleep 0.3
  import -window root "$SHOTS/$1.png" || fail "import could not take $1.png"
  for ((i = 0; i < 10; i++)); do
    sleep 0.5
    import -window root "$SHOTS/.$1.png" || fail "import could not take $1.png"
    cmp -s "$SHOTS/$1.png" "$SHOTS/.$1.png" && break
    mv "$SHOTS/.$1.png" "$SHOTS/$1.png"
  done
  rm -f "$SHOTS/.$1.png"
}

# notification SUMMARY [TIMEOUT]: waits for a Notify call titled SUMMARY
# and prints its record (JSON: id, summary, body, actions {key: label}).
notification() {
  local i line
  for ((i = 0; i < ${2:-20} * 10; i++)); do
    line=$(jq -c --arg s "$1" 'select(.summary == $s)' "$NOTES" 2>/dev/null | tail -n 1)
    [ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
    sleep 0.1
  done
  fail "no notification '$1'; received: $(cat "$NOTES" 2>/dev/null)$(manager_log)"
}

# invoke_action ID KEY: the user clicks the notification's button KEY
# (the recorder emits ActionInvoked).
invoke_action() {
  gdbus call --session --dest org.freedesktop.Notifications \
    --object-path /org/freedesktop/Notifications \
    --method vn.kyso.Test.Recorder.Invoke "$1" "$2" >/dev/null || fail "could not invoke $2"
}

# p11_login LABEL PIN: whether pkcs11-tool logs in to the token LABEL with PIN.
p11_login() {
  ext pkcs11-tool --module "$MOD" --token-label "$1" --login --pin "$2" --list-objects >/dev/null 2>&1
}

# conf KEY VALUE: a line of $KYSO_HOME/kyso.conf (ra_url, warn_days...).
conf() { printf '%s = %s\n' "$1" "$2" >>"$KYSO_HOME/kyso.conf"; }

# change_pin_form OLD NEW: fills the showing Change PIN form and accepts
# it; the success message is acknowledged.
change_pin_form() {
  drive type "Old PIN" "$1"
  drive type "New PIN" "$2"
  drive type "Confirm new PIN" "$2"
  drive click Accept
  drive wait-text "The PIN was changed" >/dev/null
  drive click OK
}

# pin_dialog PIN: answers the manager's "Token PIN" question.
pin_dialog() {
  drive type "Token PIN" "$1"
  drive click "Log in"
}
