#!/usr/bin/env bash
# The desktop test harness itself, before and apart from kyso-manager: a
# small GTK 4 window is found and driven through the accessibility bus
# (type into a password entry, press a button, read a label), its
# notification reaches the recorder with its "Renew" action, and the
# recorder's ActionInvoked reaches the application.
. "$(dirname "$0")/lib.bash"

DRIVE_APP=demo_window.py APP_LOG=$KYSO_HOME/demo.log
"$PY" "$MGR_TESTS/demo_window.py" >"$APP_LOG" 2>&1 &
drive wait "Demo window" frame
drive type "New PIN" 13572468
drive click Accept
drive wait-text "Typed 13572468" >/dev/null
assert_eq "$(drive text "New PIN")" "" "the entry was not cleared"
note=$(notification "Certificate expiring soon")
assert_eq "$(jq -r '.actions["app.renew::0A1B2C"]' <<<"$note")" "Renew" "the Renew action: $note"
assert_contains "$(jq -r .body <<<"$note")" "expires in 10 days"
invoke_action "$(jq -r .id <<<"$note")" "app.renew::0A1B2C"
wait_line "$APP_LOG" "renew 0A1B2C"
shot harness
pass
