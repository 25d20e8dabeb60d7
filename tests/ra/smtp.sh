#!/usr/bin/env bash
# Mail over SMTP (libcurl): the activation code reaches a real SMTP server
# (a Python smtpd sink on loopback) with the right envelope, headers and
# body; nothing goes to the outbox.
. "$(dirname "$0")/helpers.bash"

mkdir -p "$W/mail"
python3 "$(dirname "$0")/smtp_sink.py" "$W/mail" "$W/smtp-port" 2>"$W/smtp.log" &
for i in $(seq 1 600); do [ -s "$W/smtp-port" ] && break; sleep 0.05; done
[ -s "$W/smtp-port" ] || { cat "$W/smtp.log" >&2; fail "the SMTP sink did not start"; }
ra_init
ra_serve main --smtp-url "smtp://127.0.0.1:$(cat "$W/smtp-port")" --smtp-from "kyso RA <ra@ca.example.vn>"
op POST /api/v1/registrations "$PERSON"; expect 201
for i in $(seq 1 100); do [ -s "$W/mail/1.eml" ] && break; sleep 0.05; done
[ -s "$W/mail/1.eml" ] || fail "no message reached the SMTP server"
assert_contains "$(cat "$W/mail/1.env")" "from ra@ca.example.vn"
assert_contains "$(cat "$W/mail/1.env")" "to an@example.vn"
m=$(tr -d '\r' < "$W/mail/1.eml")
assert_contains "$m" "From: kyso RA <ra@ca.example.vn>"
assert_contains "$m" "Subject: =?UTF-8?B?"
code=$(sed -n 's/^Activation code: //p' <<<"$m")
[[ "$code" =~ ^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$ ]] || fail "no code in the SMTP message"
assert_contains "$m" "Mã kích hoạt: $code"
[ -z "$(ls "$RA_HOME/outbox" 2>/dev/null)" ] || fail "mail also went to the outbox"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
