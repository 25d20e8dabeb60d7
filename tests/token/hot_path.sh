#!/usr/bin/env bash
# The signing hot path makes no file-system call: a signature (C_SignInit
# + C_Sign) costs at most one read of the slot watch per call, never a
# stat of the token file, an open or a getpid (strace -c counts the calls
# of two runs that differ only by 100 signatures). Another process's
# commit is still seen: the watch reports it (multiprocess.sh, seeobj).
# The last signature verifies with OpenSSL, for P-256 and RSA: the signing
# context a key keeps and reuses still signs right after many uses.
. "$(dirname "$0")/../lib.sh"

LOOP=$KYSO_BUILD/tests/p11_loop
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
command -v strace >/dev/null || fail "strace is missing (scripts/deps.sh)"
make_token HP0001 --label hot
change_default_pin HP0001
openssl rand 32 > "$tmp/digest"

# calls N: the system calls of p11_loop making N signatures, "name count"
# per line.
calls() {
  # LeakSanitizer cannot run under ptrace; leaks are other tests' job.
  ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-} \
    strace -f -c -U name,calls -o "$tmp/strace.$1" "$LOOP" sign "$MOD" HP0001 "$USER_PIN" "$1" "$tmp" > "$tmp/out.$1" 2>&1 ||
    fail "p11_loop $1: $(cat "$tmp/out.$1")"
  assert_eq "$(cat "$tmp/out.$1")" "signed $1"
}
# count N NAME: how many NAME calls the run of N signatures made.
count() {
  local c
  c=$(awk -v n="$2" '$1 == n { print $2 }' "$tmp/strace.$1")
  echo "${c:-0}"
}

note "10 and 110 signatures, system calls counted"
# A first run leaves the token as the next two find it (the journal made).
calls 1
calls 10
calls 110
for sc in stat lstat fstat newfstatat statx open openat readlink readlinkat \
    flock access inotify_add_watch; do
  a=$(count 10 "$sc"); b=$(count 110 "$sc")
  [ "$a" = "$b" ] ||
    fail "$sc per signature: $a calls for 10 signatures, $b for 110"
done
for sc in read poll; do
  a=$(count 10 "$sc"); b=$(count 110 "$sc")
  [ $((b - a)) -le 200 ] ||
    fail "$sc per signature: $a calls for 10 signatures, $b for 110 (more than one per call)"
done
# OpenSSL's random generator asks getpid() once per ECDSA nonce (its fork
# check); the module itself asks none (pthread_atfork tells it of a fork).
a=$(count 10 getpid); b=$(count 110 getpid)
[ $((b - a)) -le 100 ] ||
  fail "getpid per signature: $a calls for 10 signatures, $b for 110 (the module's own)"


# verify [OPENSSL OPTIONS]: the last signature with the last public key.
verify() {
  openssl pkeyutl -verify -pubin -keyform DER -inkey "$tmp/pub.der" \
    -in "$tmp/digest" -sigfile "$tmp/sig.der" "$@" > "$tmp/verify" 2>&1 ||
    fail "openssl: $(cat "$tmp/verify")"
  assert_contains "$(cat "$tmp/verify")" "Signature Verified Successfully"
}

note "the last of 110 P-256 signatures verifies with OpenSSL"
verify
note "the last of 20 RSA-2048 signatures too"
"$LOOP" sign "$MOD" HP0001 "$USER_PIN" 20 "$tmp" rsa2048 > "$tmp/out.rsa" 2>&1 ||
  fail "p11_loop rsa2048: $(cat "$tmp/out.rsa")"
verify -pkeyopt digest:sha256
pass
