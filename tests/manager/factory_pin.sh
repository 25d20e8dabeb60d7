#!/usr/bin/env bash
# The monitor forces the factory PIN change: a factory token plugged in
# while `kyso-manager --monitor` runs opens "Change the factory PIN" at
# once; filled in, pkcs11-tool logs in with the new PIN (and not the old).
# A token already plugged in when the monitor starts is checked too.
. "$(dirname "$0")/lib.bash"
need_manager
NEW_PIN=13572468

note "a factory token already plugged in at start"
make_token MGR0001 --label "Token Early"
manager_start --monitor
drive wait "Change the factory PIN"
shot en-factory-pin
change_pin_form 12345678 "$NEW_PIN"
drive gone "Change the factory PIN"
p11_login "Token Early" "$NEW_PIN" || fail "pkcs11-tool cannot log in with the new PIN$(manager_log)"

note "a factory token plugged in later"
make_token MGR0002 --label "Token Late"
drive wait "Change the factory PIN"
change_pin_form 12345678 "$NEW_PIN"
p11_login "Token Late" "$NEW_PIN" || fail "pkcs11-tool cannot log in with the new PIN$(manager_log)"
p11_login "Token Late" 12345678 && fail "the factory PIN still logs in"

note "the window closed, the monitor goes on; a plain launch opens the window in the same instance"
kill -0 "$MGR_PID" || fail "kyso-manager --monitor exited$(manager_log)"
"$MGR" >>"$KYSO_HOME/manager.log" 2>&1 &
drive wait "kyso Token Manager" frame
drive wait "Token Late (MGR0002): No certificate"
shot en-main
pass
