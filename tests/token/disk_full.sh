#!/usr/bin/env bash
# A full disk: writes to the token fail with a clear error and lose
# nothing; the token opens with every object it had; once space is back,
# everything works again and no temp file is left behind.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || fail "this test mounts a small tmpfs and needs root"
mnt=$KYSO_HOME/small
mkdir -p "$mnt"
mount -t tmpfs -o size=256k tmpfs "$mnt" || fail "cannot mount a tmpfs"
trap 'umount "$mnt" 2>/dev/null || true; _cleanup' EXIT
export KYSO_HOME=$mnt
p11() { ext pkcs11-tool --module "$MOD" "$@"; }

make_token FULL01
change_default_pin FULL01
printf 'invoice 1' >"$mnt/d1"
p11 --login --pin "$USER_PIN" --write-object "$mnt/d1" --type data --label d1 >/dev/null 2>&1
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 01 >/dev/null 2>&1
before=$(p11 --login --pin "$USER_PIN" --list-objects 2>/dev/null | grep -c "Object;")
tok=$(ls "$mnt"/tokens/FULL01.tok)
sum=$(sha256sum "$tok")

note "fill the disk"
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null || true

note "writes fail cleanly; the token file is untouched"
set +e
out=$(p11 --login --pin "$USER_PIN" --write-object "$mnt/d1" --type data --label d2 2>&1)
rc=$?
set -e
[ "$rc" != 0 ] || fail "a write on a full disk reported success: $out"
assert_eq "$(sha256sum "$tok")" "$sum" "the token file changed on a full disk"
assert_exit 1 "$KT" change-pin --token FULL01 --pin-fd 3 --new-pin-fd 4 \
  3<<<"$USER_PIN" 4<<<$'55667788\n55667788'
assert_contains "$OUT" "Check that the disk has free space"
assert_not_contains "$OUT" "memory is full" "a full disk is not a full token"
assert_eq "$(sha256sum "$tok")" "$sum" "the token file changed on a full disk"
"$KT" info --token FULL01 >/dev/null || fail "the token does not open on a full disk"

note "space back: the old PIN works, the objects are all there, writes work"
rm -f "$mnt/filler"
after=$(p11 --login --pin "$USER_PIN" --list-objects 2>/dev/null | grep -c "Object;")
assert_eq "$after" "$before" "objects changed"
p11 --login --pin "$USER_PIN" --write-object "$mnt/d1" --type data --label d3 >/dev/null 2>&1 \
  || fail "writing after the disk has room again"
[ -z "$(ls "$mnt"/tokens | grep '\.tmp\.' || true)" ] || fail "temp files left: $(ls "$mnt"/tokens)"
pass
