#!/usr/bin/env bash
# Runs the token file fuzz target for a bounded time, seeded with real
# token files made by kyso-token (with objects from pkcs11-tool); fails on
# any crash, leak or sanitizer report.
set -euo pipefail
bin=$1; build=$2; secs=${3:-20}
. "$(dirname "$0")/lib.bash"
fuzz_setup tok
export KYSO_HOME=$work/home
kt=$build/bin/kyso-token
"$kt" vtoken create --serial FZ1 --kdf-cost 10 --plug --so-pin-fd 3 3<<<"87654321" >/dev/null
"$kt" vtoken create --serial FZ2 --kdf-cost 10 --so-pin-fd 3 --admin-master /dev/null 3<<<"87654321" >/dev/null 2>&1 || true
"$kt" change-pin --token FZ1 --pin-fd 3 --new-pin-fd 4 3<<<"12345678" 4<<<$'11223344\n11223344' >/dev/null
if [ "${KYSO_SANITIZE:-0}" != 1 ]; then
  pkcs11-tool --module "$build/lib/libkyso-pkcs11.so" --login --pin 11223344 \
    --keypairgen --key-type EC:prime256v1 --id 01 >/dev/null 2>&1
  printf 'hello' >"$work/d"
  pkcs11-tool --module "$build/lib/libkyso-pkcs11.so" --login --pin 11223344 \
    --write-object "$work/d" --type data --label d >/dev/null 2>&1
fi
for f in "$KYSO_HOME"/tokens/*.tok; do
  # The harness appends the checksum itself.
  head -c -32 "$f" >"$c/$(basename "$f")"
done
fuzz_run fuzz_tokfile 16384
