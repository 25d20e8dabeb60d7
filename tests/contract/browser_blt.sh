#!/usr/bin/env bash
# kyso-contract requiring B-LT (serve --level B-LT) signed from a real
# browser with the real kyso-agent (browser_blt.mjs drives the page, the
# scripted pinentry plays the user): the agent adds the time-stamp (the
# test TSA) and the validation data (the signer's OCSP responder, the
# root's CRL over HTTP: tests/sign/pades_blt.sh's PKI), the page uploads
# it, the server takes it. Here: the setup, then the stored PDF checked
# with independent tools (pdfsig, kyso-sign verify: level B-LT; qpdf:
# the DSS with its OCSP answer). Screenshots in
# $KYSO_BUILD/tests/contract-blt-shots. Label browser (not under ASan).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/../agent/browser_helpers.bash"
. "$(dirname "$0")/helpers.bash"
browser_prereqs

crl_pki LT "$W/lt.ext"
ocsp_signer LT0001 01 "Nguyen Van A/UID=CCCD:001099000001" 2001 "$W/lt.ext"
# The chain beside the key: the agent embeds it.
for ca in int root; do
  openssl x509 -in "$W/$ca.pem" -outform DER -out "$W/$ca.der"
  p11 --token-label sign-LT0001 --login --pin "$USER_PIN" --write-object "$W/$ca.der" \
    --type cert --id "ca$([ $ca = int ] && echo 01 || echo 02)" --label "$ca" >/dev/null 2>&1
done
exp=$(date -u -d '+1 year' +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t2001\tunknown\t/C=VN/CN=Nguyen Van A/UID=CCCD:001099000001\n' "$exp" >"$W/ocsp-index.txt"
ocsp_responder
kc_tsa
crl_pki_wait
nss_db

PORT=$(free_port)
kc_agent "$PORT"
kc_init
kc_serve --trust "$W/root.pem" --level B-LT --agent-port "$PORT"
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
identity a 001099000001
make_pdf "$W/c.pdf" "Hop dong dai han"
create owner "Hợp đồng dài hạn" "$W/c.pdf" 'a@kyso.vn'
expect 303
D=$DOC

SHOTS=$KYSO_BUILD/tests/contract-blt-shots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
set +e
KC_URL=$URL KC_DOC=$D PW_A=$PW_a KYSO_SHOTS=$SHOTS KYSO_USER_PIN=$USER_PIN \
  node "$(dirname "$0")/browser_blt.mjs" 2>&1 | tee "$W/node.out"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || fail "browser cases failed (agent: $(tail -5 "$W/agent.log"); server: $(tail -5 "$W/serve.err"))"

note "the stored contract: completed, B-LT, verified by pdfsig and kyso-sign"
assert_eq "$(sql "SELECT state FROM documents WHERE id = '$D'")" completed
fetch owner "$D" "$W/final.pdf"
pdfsig_ok "$W/final.pdf" 1
assert_contains "$PDFSIG_OUT" "Nguyen Van A"
assert_exit 0 ks verify "$W/final.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "level:     B-LT"
n=$(qpdf --json "$W/final.pdf" | jq '[.qpdf[1][] | .value? | objects | select(has("/OCSPs") or has("/CRLs"))] | length')
[ "$n" -ge 1 ] || fail "no DSS with validation data in the stored PDF"
ls "$SHOTS"/vi-blt-*.png >/dev/null || fail "no screenshots"
stop_agent
pass
