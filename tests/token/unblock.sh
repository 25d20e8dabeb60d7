#!/usr/bin/env bash
# The remote unblock, end to end with pkcs11-tool and openssl only: the
# user PIN is locked; the "RA" derives the token's admin key from the
# master key file and the serial, reads the challenge object, answers it
# with HMAC-SHA256, logs in as SO with the answer and sets the user PIN
# back to 12345678 (to be changed). A replayed answer fails, since the
# challenge changes after every attempt, and wrong answers count against
# the SO retries.
. "$(dirname "$0")/../lib.sh"

tmp=$KYSO_HOME/work; mkdir -p "$tmp"
head -c 32 /dev/urandom > "$tmp/master"
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# admin_key SERIAL: HMAC-SHA256(master, "kyso-token-admin-v1:" || serial), hex.
admin_key() {
  printf 'kyso-token-admin-v1:%s' "$1" > "$tmp/msg"
  openssl mac -digest SHA256 -macopt "hexkey:$(hexof "$tmp/master")" \
    -in "$tmp/msg" HMAC | tr 'A-F' 'a-f'
}
# challenge LABEL: the token's current challenge, hex.
challenge() {
  rm -f "$tmp/chal"
  ext pkcs11-tool --module "$MOD" --token-label "$1" --read-object --type data \
    --label kyso-unblock-challenge -o "$tmp/chal" >/dev/null 2>&1 \
    || fail "could not read the challenge object"
  [ "$(stat -c %s "$tmp/chal")" = 32 ] || fail "the challenge is not 32 bytes"
  hexof "$tmp/chal"
}
# response ADMINKEY_HEX: HMAC-SHA256(admin key, challenge), lower-case hex.
response() {
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" "$tmp/chal" \
    | sed 's/^.*= *//' | tr 'A-F' 'a-f'
}
flags() {
  "$KT" info --token "$1" --json | grep -o '"flags": *[0-9]*' | grep -o '[0-9]*$'
}
bit() { if (( ($1 & $2) != 0 )); then echo 1; else echo 0; fi; }
USER_LOCKED=$((0x40000)) USER_TBC=$((0x80000))
SO_COUNT_LOW=$((0x100000)) SO_FINAL=$((0x200000)) SO_LOCKED=$((0x400000))

"$KT" vtoken create --serial UB0001 --label unblock --kdf-cost 10 --plug \
  --admin-master "$tmp/master" --so-pin-fd 3 3<<<"$SO_PIN" >/dev/null
change_default_pin UB0001
p11() { ext pkcs11-tool --module "$MOD" --token-label unblock "$@"; }
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 01 \
  >/dev/null 2>&1 || fail "key generation failed"

note "the challenge object is public, read-only and not destroyable"
out=$(p11 --list-objects --type data 2>&1)
assert_contains "$out" "kyso-unblock-challenge"
c1=$(challenge unblock)
assert_eq "$(challenge unblock)" "$c1" "the challenge changed without an attempt"
assert_exit 1 p11 --login --pin "$USER_PIN" --delete-object --type data \
  --label kyso-unblock-challenge
assert_eq "$(challenge unblock)" "$c1" "the challenge after a delete attempt"

note "lock the user PIN"
for i in 1 2 3 4 5; do
  assert_exit 1 p11 --login --pin 00000000 --list-objects
done
assert_eq "$(bit "$(flags UB0001)" $USER_LOCKED)" 1 "user PIN locked"
assert_exit 1 p11 --login --pin "$USER_PIN" --list-objects
assert_contains "$OUT" "CKR_PIN_LOCKED"

AK=$(admin_key UB0001)
[ ${#AK} = 64 ] || fail "admin key: '$AK'"

note "a wrong answer: refused, counted, and the challenge changes"
c1=$(challenge unblock)
WRONG=$(openssl rand -hex 32)
assert_exit 1 p11 --login --login-type so --so-pin "$WRONG" --init-pin --new-pin 12345678
assert_contains "$OUT" "CKR_PIN_INCORRECT"
assert_eq "$(bit "$(flags UB0001)" $SO_COUNT_LOW)" 1 "SO count low after a wrong answer"
c2=$(challenge unblock)
[ "$c1" != "$c2" ] || fail "the challenge did not change after a failed attempt"

note "an answer under another serial's key is refused"
OTHER=$(admin_key UB0002)
assert_exit 1 p11 --login --login-type so --so-pin "$(response "$OTHER")" \
  --init-pin --new-pin 12345678
assert_contains "$OUT" "CKR_PIN_INCORRECT"

note "the right answer: SO login, C_InitPIN to the factory PIN"
challenge unblock >/dev/null
RESP=$(response "$AK")
[ ${#RESP} = 64 ] || fail "response: '$RESP'"
p11 --login --login-type so --so-pin "$RESP" --init-pin --new-pin 12345678 \
  >"$tmp/out" 2>&1 || fail "the unblock was refused: $(cat "$tmp/out")"
f=$(flags UB0001)
assert_eq "$(bit "$f" $USER_LOCKED)" 0 "user PIN locked after the unblock"
assert_eq "$(bit "$f" $USER_TBC)" 1 "user PIN to be changed after the unblock"
assert_eq "$(bit "$f" $SO_COUNT_LOW)" 0 "SO count reset by the good answer"
out=$(ext pkcs11-tool --module "$MOD" -L 2>&1)
assert_contains "$out" "user PIN to be changed"
json=$("$KT" info --token UB0001 --json)
assert_contains "$json" '"pin_state": "default-pin"'

note "the replayed answer fails: the challenge has changed"
assert_exit 1 p11 --login --login-type so --so-pin "$RESP" --init-pin --new-pin 12345678
assert_contains "$OUT" "CKR_PIN_INCORRECT"
assert_eq "$(bit "$(flags UB0001)" $SO_COUNT_LOW)" 1 "SO count after a replay"

note "the factory PIN logs in, cannot sign until changed, and the key survived"
p11 --login --pin 12345678 --list-objects >/dev/null 2>&1 || fail "login with 12345678"
head -c 100 /dev/urandom > "$tmp/data"
assert_exit 1 p11 --login --pin 12345678 --sign --id 01 -m ECDSA-SHA256 -i "$tmp/data" -o "$tmp/sig"
assert_contains "$OUT" "CKR_PIN_EXPIRED"
change_default_pin UB0001
p11 --login --pin "$USER_PIN" --sign --id 01 -m ECDSA-SHA256 -i "$tmp/data" \
  -o "$tmp/sig" >/dev/null 2>&1 || fail "the old key does not sign after the unblock"
assert_exit 0 "$KT" check --token UB0001 --batch

note "one answer sent by four processes at once unblocks exactly once"
challenge unblock >/dev/null
RESP=$(response "$AK")
pids=()
for i in 1 2 3 4; do
  p11 --login --login-type so --so-pin "$RESP" --init-pin --new-pin 12345678 \
    >"$tmp/race.$i" 2>&1 &
  pids+=($!)
done
ok=0
for pid in "${pids[@]}"; do
  if wait "$pid"; then ok=$((ok + 1)); fi
done
assert_eq "$ok" 1 "SO logins that succeeded with one answer"
assert_eq "$(cat "$tmp"/race.* | grep -c CKR_PIN_INCORRECT)" 3 "replays refused"
change_default_pin UB0001

note "wrong answers use up the SO retries; then even the right one is refused"
"$KT" vtoken create --serial UB0003 --label unblock3 --kdf-cost 10 --plug \
  --admin-master "$tmp/master" --so-retries 3 --so-pin-fd 3 3<<<"$SO_PIN" >/dev/null
AK3=$(admin_key UB0003)
p13() { ext pkcs11-tool --module "$MOD" --token-label unblock3 "$@"; }
for i in 1 2 3; do
  assert_exit 1 p13 --login --login-type so --so-pin "$(openssl rand -hex 32)" \
    --init-pin --new-pin 12345678
  f=$(flags UB0003)
  case $i in
    1) assert_eq "$(bit "$f" $SO_COUNT_LOW)$(bit "$f" $SO_FINAL)$(bit "$f" $SO_LOCKED)" 100 "after 1" ;;
    2) assert_eq "$(bit "$f" $SO_FINAL)$(bit "$f" $SO_LOCKED)" 10 "after 2" ;;
    3) assert_eq "$(bit "$f" $SO_LOCKED)" 1 "after 3" ;;
  esac
done
challenge unblock3 >/dev/null
assert_exit 1 p13 --login --login-type so --so-pin "$(response "$AK3")" \
  --init-pin --new-pin 12345678
assert_contains "$OUT" "CKR_PIN_LOCKED"
json=$("$KT" info --token UB0003 --json)
assert_contains "$json" '"so_pin_locked": true'
# The SO PIN itself is locked out as well.
assert_exit 1 p13 --login --login-type so --so-pin "$SO_PIN" --init-pin --new-pin 12345678
assert_contains "$OUT" "CKR_PIN_LOCKED"

note "a token made without a master key has no challenge and takes no answer"
make_token UB0004 --label plain
out=$(ext pkcs11-tool --module "$MOD" --token-label plain --list-objects --type data 2>&1)
assert_not_contains "$out" "kyso-unblock-challenge"
assert_exit 1 ext pkcs11-tool --module "$MOD" --token-label plain --login --login-type so \
  --so-pin "$(openssl rand -hex 32)" --init-pin --new-pin 12345678
pass
