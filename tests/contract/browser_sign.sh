#!/usr/bin/env bash
# kyso-contract's whole story from real browsers with the real kyso-agent
# (browser_sign.mjs drives the pages): the tokens hold certificates naming
# their owners' CCCD (UID=CCCD:...), the agent time-stamps with a test
# TSA, the scripted pinentry plays the users. Here: the setup, then the
# results checked with independent tools: the stamps' widget /Rect where
# the owner clicked (qpdf), the downloaded PDF (pdfsig, kyso-sign), the
# states, refusals and mail in the database and outbox. Screenshots
# (Vietnamese and English) are left in $KYSO_BUILD/tests/contract-shots.
# Label browser (not under ASan).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/../agent/browser_helpers.bash"
. "$(dirname "$0")/helpers.bash"
browser_prereqs

make_pki
kc_token CA0001 01 "Nguyen Van A/UID=CCCD:001099000001"
kc_token CB0002 02 "Tran Thi B/UID=CCCD:001099000002"
nss_db
kc_tsa

PORT=$(free_port)
kc_agent "$PORT"
kc_init
kc_serve --trust "$W/root.pem" --agent-port "$PORT"
PW_c=$("$KC" account kyso c@kyso.vn | sed -n 's/.*(shown once): //p')
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
login b b@kyso.vn "$PW_b"
login c c@kyso.vn "$PW_c"
identity a 001099000001
identity b 001099000002
identity c 001099000003   # nobody's token carries it
for i in 1 2 3 4 5 6 7 8 9; do make_pdf "$W/c$i.pdf" "Hop dong so $i"; done
for i in 2 3 4 5 6 8 9; do
  create owner "Hợp đồng số $i" "$W/c$i.pdf" "b@kyso.vn"; declare "D$i=$DOC"
done
create owner "Hợp đồng số 7" "$W/c7.pdf" "c@kyso.vn"; D7=$DOC
OUTD=$W/out
mkdir -p "$OUTD"

SHOTS=$KYSO_BUILD/tests/contract-shots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
set +e
KC_URL=$URL KC_DOCS="$D2 $D3 $D4 $D5 $D6 $D7 $D8 $D9" KC_PDF1=$W/c1.pdf KC_OUT=$OUTD \
  PW_OWNER=$PW_owner PW_A=$PW_a PW_B=$PW_b PW_C=$PW_c KYSO_SHOTS=$SHOTS \
  KYSO_USER_PIN=$USER_PIN node "$(dirname "$0")/browser_sign.mjs" 2>&1 | tee "$W/node.out"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || fail "browser cases failed (agent: $(tail -5 "$W/agent.log"); server: $(tail -5 "$W/serve.err"))"
D1=$(jq -r .doc "$OUTD/placed.json")

note "the states: three completed, three rejected, the refused two still waiting"
st() { sql "SELECT state FROM documents WHERE id='$1'"; }
for d in "$D1" "$D2" "$D3" "$D9"; do assert_eq "$(st "$d")" completed; done
for d in "$D4" "$D5" "$D6"; do assert_eq "$(st "$d")" rejected; done
for d in "$D7" "$D8"; do assert_eq "$(st "$d")" waiting; done
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action='sign-refused' AND doc_id IN ('$D7','$D8')")" 2
assert_eq "$(sql "SELECT count(*) FROM versions WHERE doc_id IN ('$D7','$D8')")" 2 "refusals store nothing"
assert_eq "$(sql "SELECT reason FROM signers WHERE doc_id='$D4'")" "Sai số tiền <b>thanh toán</b>"
grep -rl "Chưa đúng mẫu" "$KYSO_HOME/contract/outbox" | xargs grep -l "owner@kyso.vn" >/dev/null ||
  fail "the owner was not mailed the rejection"

note "each stamp is where the owner clicked: stored, and the signature widget's /Rect"
for pos in 1 2; do
  box=$(jq -r ".placed[\"$pos\"]" "$OUTD/placed.json")
  assert_eq "$(sql "SELECT x||','||y||','||w||','||h FROM signers WHERE doc_id='$D1' AND pos=$pos")" "$box"
done
want=$(jq -r '.placed[] | split(",") | map(tonumber) | [.[0], .[1], .[0]+.[2], .[1]+.[3]] | map(tostring) | join(" ")' \
  "$OUTD/placed.json" | sort)
got=$(qpdf --json "$OUTD/final1.pdf" | jq -r '.qpdf[1][] | .value? | objects
  | select(."/FT" == "/Sig") | ."/Rect" | map(tostring) | join(" ")' | sort)
assert_eq "$got" "$want" "the widgets' /Rect"

note "the PDF the owner downloaded verifies with independent tools"
pdfsig_ok "$OUTD/final1.pdf" 2
assert_contains "$PDFSIG_OUT" "Nguyen Van A"
assert_contains "$PDFSIG_OUT" "Tran Thi B"
assert_exit 0 ks verify "$OUTD/final1.pdf" --trust "$W/root.pem"
for d in "$D2" "$D3"; do
  fetch owner "$d" "$W/final.pdf"
  pdfsig_ok "$W/final.pdf" 1
done
ls "$SHOTS"/vi-*.png "$SHOTS"/en-*.png >/dev/null || fail "no screenshots"
stop_agent
pass
