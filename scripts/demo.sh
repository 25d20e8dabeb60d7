#!/usr/bin/env bash
# The main story on embedded defaults, in a throwaway $KYSO_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
KT=$B/bin/kyso-token
MOD=$B/lib/libkyso-pkcs11.so
export KYSO_HOME=${KYSO_DEMO_HOME:-$(mktemp -d /tmp/kyso-demo.XXXXXX)}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "The CA manufactures a token for its subscriber"
"$KT" vtoken create --label "Nguyen Van A" --serial DEMO0001 --plug --so-pin-fd 3 3<<<"87654321"
"$KT" info

step "Plugged in for the first time: the Token Manager's checks"
"$KT" check --batch || echo "(exit $?: the factory PIN must be changed)"

step "The subscriber changes the PIN (old, new, confirmation)"
"$KT" change-pin --pin-fd 3 --new-pin-fd 4 3<<<"12345678" 4<<<$'20242024\n20242024'
"$KT" check --batch

step "A key pair is generated on the token"
pkcs11-tool --module "$MOD" --login --pin 20242024 --keypairgen --key-type EC:prime256v1 \
  --id 01 --label "Nguyen Van A" >/dev/null 2>&1
pkcs11-tool --module "$MOD" --list-objects 2>/dev/null | sed -n '1,12p'

echo
echo "Demo home: $KYSO_HOME"
