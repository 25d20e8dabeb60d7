#!/usr/bin/env bash
# The window works from the keyboard alone (xdotool types into it): Tab
# goes from the token list to the pages and from the pages into the page
# shown (not row by row through every page), the arrows choose a page,
# and the Change PIN form is filled and accepted with keys only;
# pkcs11-tool then logs in with the new PIN.
. "$(dirname "$0")/lib.bash"
need_manager
command -v xdotool >/dev/null || fail "xdotool is missing (scripts/deps.sh)"
make_token MGR0050 --label "Token Keys"
change_default_pin MGR0050

# keys KEY...: key presses sent to the manager's window.
keys() {
  local win
  win=$(xdotool search --onlyvisible --name "^kyso Token Manager$" | head -n 1)
  [ -n "$win" ] || fail "no kyso Token Manager window for xdotool"
  xdotool windowfocus --sync "$win" 2>/dev/null || true
  xdotool key --clearmodifiers --delay 80 "$@" || fail "xdotool could not press $*"
  sleep 0.3
}
# focus_to KEY WANT TRIES: presses KEY until WANT has the focus.
focus_to() {
  local i
  for ((i = 0; i < $3; i++)); do
    f=$(drive --timeout 3 focused 2>/dev/null || true)
    case $f in *"$2"*) return 0 ;; esac
    keys "$1"
  done
  case $(drive focused) in *"$2"*) return 0 ;; esac
  fail "$1 never reached $2 (the focus is on: $(drive focused))"
}

LANG=C.UTF-8 manager_start
drive wait "kyso Token Manager" frame
drive select "Token Keys (MGR0050)"
focus_to Tab "Hardware information" 6
focus_to Down "Change PIN" 4
keys Tab
drive focused | grep -q "Old PIN" || fail "Tab from the pages did not go into Change PIN (focus: $(drive focused))"
xdotool type --delay 60 "$USER_PIN"
keys Tab
xdotool type --delay 60 13572468
keys Tab
xdotool type --delay 60 13572468
focus_to Tab "Accept" 4
keys Return
drive wait-text "The PIN was changed" >/dev/null
shot en-keyboard
keys Return
p11_login "Token Keys" 13572468 || fail "pkcs11-tool cannot log in with the PIN typed at the keyboard$(manager_log)"

note "Tab comes round to the pages at the one shown; Shift+Tab goes back to the tokens"
focus_to Tab "list item	Change PIN" 8
keys shift+Tab
drive focused | grep -q "Token Keys" || fail "Shift+Tab did not go back to the token list (focus: $(drive focused))"
pass
