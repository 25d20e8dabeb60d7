#!/usr/bin/env bash
# The certificate screens and the SO unblock, as a clerk uses them: a
# token holding an old and a renewed certificate shows the old one as
# superseded; Export… saves the certificate (openssl reads the same one
# back); Delete… removes the old certificate and, after the PIN, it is
# gone from the token (pkcs11-tool) while the new one stays. A PIN locked
# by wrong tries shows "PIN locked"; Unblock with SO PIN resets it to the
# factory PIN, the forced change follows, and pkcs11-tool logs in with the
# new PIN.
. "$(dirname "$0")/lib.bash"
need_manager
ca_init
make_token MGR0040 --label "Token Certs"
change_default_pin MGR0040
issue_cert old "/CN=Tran Van Old" "$(utc_in -400)" "$(utc_in 20)"
issue_cert new "/CN=Tran Van Old" "$(utc_in -2)" "$(utc_in 700)"
put_cert "$MOD" "Token Certs" "$WORK/old.der" 01 "Tran Van Old"
put_cert "$MOD" "Token Certs" "$WORK/new.der" 02 "Tran Van Old"
old_serial=$(openssl x509 -in "$WORK/old.pem" -noout -serial | cut -d= -f2)
new_serial=$(openssl x509 -in "$WORK/new.pem" -noout -serial | cut -d= -f2)

LANG=C.UTF-8 manager_start
drive wait "kyso Token Manager" frame
drive select "Token Certs (MGR0040)"
drive click Certificates
drive wait-text "superseded" >/dev/null

note "export the renewed certificate"
drive select "Tran Van Old — serial $new_serial"
drive click "Export…"
drive type "Name:" "$WORK/exported.pem"
shot en-export
drive click Save
drive wait-text "The certificate was saved to $WORK/exported.pem" >/dev/null
drive click OK
[ -f "$WORK/exported.pem" ] || fail "Export… wrote no file$(manager_log)"
[ "$(openssl x509 -in "$WORK/exported.pem" -noout -fingerprint -sha256)" = \
  "$(openssl x509 -in "$WORK/new.pem" -noout -fingerprint -sha256)" ] ||
  fail "the exported certificate is not the one chosen"

note "delete the superseded certificate"
drive select "Tran Van Old — serial $old_serial"
drive click "Delete…"
drive wait-text "Documents already signed with it stay valid" >/dev/null
shot en-delete
drive click Delete
pin_dialog "$USER_PIN"
drive --timeout 60 wait-text "were deleted from the token" >/dev/null
drive click OK
objs=$(ext pkcs11-tool --module "$MOD" --token-label "Token Certs" --login --pin "$USER_PIN" \
  --list-objects --type cert 2>&1)
left=$(printf '%s\n' "$objs" | grep -c "Certificate Object" || true)
[ "$left" = 1 ] || fail "expected one certificate left, pkcs11-tool lists: $objs"
assert_contains "$objs" "ID:         02"

note "a locked PIN, unblocked with the SO PIN"
for _ in 1 2 3 4 5 6; do
  ext pkcs11-tool --module "$MOD" --token-label "Token Certs" --login --pin 99999999 \
    --list-objects >/dev/null 2>&1 || true
done
drive click Refresh
drive select "Token Certs (MGR0040)"
drive wait-text "PIN locked" >/dev/null
drive click "Unblock with SO PIN"
drive type "SO PIN" "$SO_PIN"
shot en-unblock
drive click Unblock
drive --timeout 60 wait-text "The PIN was reset to the factory PIN" >/dev/null
drive click OK
drive wait "Change the factory PIN"
change_pin_form 12345678 13572468
p11_login "Token Certs" 13572468 || fail "pkcs11-tool cannot log in after the unblock$(manager_log)"
pass
