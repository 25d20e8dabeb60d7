#!/usr/bin/env bash
# kyso-contract from a real browser with the real kyso-agent: the tokens
# hold certificates naming their owners' CCCD (UID=CCCD:...), the agent
# time-stamps with a test TSA, the scripted pinentry plays the users.
# browser_sign.mjs drives the pages; here: the setup, and the final PDFs
# verified by pdfsig and kyso-sign. Screenshots (Vietnamese and English)
# are left in $KYSO_BUILD/tests/contract-shots. Label browser (not under
# ASan).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/../agent/browser_helpers.bash"
. "$(dirname "$0")/helpers.bash"
browser_prereqs

make_pki
signing_token CA0001 01 rsa:2048 "Nguyen Van A/UID=CCCD:001099000001"
signing_token CB0002 02 rsa:2048 "Tran Thi B/UID=CCCD:001099000002"
# The CA's certificates on the tokens, as the RA installs them: the agent
# takes the chain from there.
for s in CA0001 CB0002; do
  for ca in int root; do
    openssl x509 -in "$W/$ca.pem" -outform DER -out "$W/$ca.der"
    p11 --token-label "sign-$s" --login --pin "$USER_PIN" --write-object "$W/$ca.der" \
      --type cert --id "ca$([ $ca = int ] && echo 01 || echo 02)" --label "$ca" >/dev/null 2>&1
  done
done
nss_db
kc_tsa

PORT=$(free_port)
kc_agent "$PORT"
kc_init
kc_serve --trust "$W/root.pem" --agent-port "$PORT"
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
login b b@kyso.vn "$PW_b"
identity a 001099000001
identity b 001099000002
for i in 1 2 3; do make_pdf "$W/c$i.pdf" "Hop dong so $i"; done
create owner "Hợp đồng số 1" "$W/c1.pdf" $'a@kyso.vn 1 40 40 200 60\nb@kyso.vn 1 300 40 200 60' 1; D1=$DOC
create owner "Hợp đồng số 2" "$W/c2.pdf" "b@kyso.vn"; D2=$DOC
create owner "Hợp đồng số 3" "$W/c3.pdf" "b@kyso.vn"; D3=$DOC

SHOTS=$KYSO_BUILD/tests/contract-shots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
set +e
KC_URL=$URL KC_DOCS="$D1 $D2 $D3" PW_A=$PW_a PW_B=$PW_b KYSO_SHOTS=$SHOTS \
  KYSO_USER_PIN=$USER_PIN node "$(dirname "$0")/browser_sign.mjs" 2>&1 | tee "$W/node.out"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || fail "browser cases failed (agent: $(tail -5 "$W/agent.log"); server: $(tail -5 "$W/serve.err"))"

note "the final PDFs verify with independent tools"
assert_eq "$(sql "SELECT group_concat(state) FROM documents")" "completed,completed,completed"
fetch owner "$D1" "$W/final1.pdf"
pdfsig_ok "$W/final1.pdf" 2
assert_contains "$PDFSIG_OUT" "Nguyen Van A"
assert_contains "$PDFSIG_OUT" "Tran Thi B"
assert_exit 0 ks verify "$W/final1.pdf" --trust "$W/root.pem"
for d in "$D2" "$D3"; do
  fetch owner "$d" "$W/final.pdf"
  pdfsig_ok "$W/final.pdf" 1
done
ls "$SHOTS"/vi-*.png "$SHOTS"/en-*.png >/dev/null || fail "no screenshots"
stop_agent
pass
