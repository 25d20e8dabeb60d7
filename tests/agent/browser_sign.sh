#!/usr/bin/env bash
# kyso-agent from a real browser: Debian's chromium (headless, driven by
# playwright-core) opens a page served from another loopback origin, which
# includes js/kyso-plugin.js and signs through the real agent with a virtual
# token holding a certificate from a test CA; the scripted pinentry plays the
# user. browser_sign.mjs holds the cases; here: the token, the agent, and
# the independent verifiers (pdfsig, kyso-sign verify, xmlsec1, openssl) over
# what the page got back; also a forged Host and the network side killed
# and started again. Screenshots of the page (English and Vietnamese)
# are left in $KYSO_BUILD/tests/agent-shots. Not run under ASan (label
# browser): chromium and node are not ours to sanitize.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/browser_helpers.bash"
browser_prereqs

make_pki
signing_token AG0001 01 rsa:2048 "Nguyen Van A"
# The CA's certificates on the token too, as the RA installs them: the
# agent takes the chain from there.
for ca in int root; do
  openssl x509 -in "$W/$ca.pem" -outform DER -out "$W/$ca.der"
  p11 --token-label sign-AG0001 --login --pin "$USER_PIN" --write-object "$W/$ca.der" \
    --type cert --id "ca$([ $ca = int ] && echo 01 || echo 02)" --label "$ca" >/dev/null 2>&1
done
nss_db

PORT=$(free_port)
start_agent "$PORT"

# The documents the page signs: three contracts from ghostscript, an
# e-invoice, some data for CAdES.
for i in 1 2 3; do
  gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/contract$i.pdf" \
    -c "/Helvetica findfont 24 scalefont setfont 72 720 moveto (Hop dong so $i) show showpage" \
    >/dev/null 2>&1 || fail "ghostscript could not make a PDF"
done
cat > "$W/invoice.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="data">
    <TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><SHDon>42</SHDon></TTChung>
    <NDHDon><NBan><Ten>Công ty TNHH Kyso</Ten></NBan><TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon>
  </DLHDon>
  <DSCKS><NBan/></DSCKS>
</HDon>
XML
printf 'Biên bản nghiệm thu số 7\n' > "$W/data.txt"

SHOTS=$KYSO_BUILD/tests/agent-shots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
set +e
KYSO_AGENT_PORT=$PORT KYSO_AGENT_PID=$AGENT_PID KYSO_TEST_WORK=$W KYSO_SHOTS=$SHOTS KYSO_KT=$KT \
  KYSO_TOKEN_SERIAL=AG0001 KYSO_USER_PIN=$USER_PIN \
  node "$AGENT_SRC/tests/agent/browser_sign.mjs" 2>&1 | tee "$W/node.out"
rc=${PIPESTATUS[0]}
set -e
kill -0 "$AGENT_PID" 2>/dev/null || fail "kyso-agent died during the browser cases: $(cat "$W/agent.log")"
[ "$rc" = 0 ] || fail "browser cases failed (agent log: $(tail -20 "$W/agent.log"))"

note "what the page got back verifies with independent tools"
for i in 1 2 3; do
  f=$W/out-contract$i.pdf
  [ -s "$f" ] || fail "the page got no signed contract $i"
  pdfsig_ok "$f" 1
  assert_contains "$PDFSIG_OUT" "Nguyen Van A"
  assert_exit 0 ks verify "$f" --trust "$W/root.pem"
  [ "$i" != 2 ] || assert_contains "$OUT" "reason:    Đồng ý ký hợp đồng"
  [ "$i" != 2 ] || assert_contains "$OUT" "location:  Hà Nội"
done
[ -s "$W/out-invoice.xml" ] || fail "the page got no signed invoice"
xmlsec1 --verify --trusted-pem "$W/root.pem" --untrusted-pem "$W/int.pem" "$W/out-invoice.xml" \
  >"$W/xv.out" 2>&1 || fail "xmlsec1 --verify failed: $(cat "$W/xv.out")"
assert_exit 0 ks verify "$W/out-invoice.xml" --trust "$W/root.pem"
[ -s "$W/out-data.p7s" ] || fail "the page got no CMS"
openssl cms -verify -binary -inform DER -in "$W/out-data.p7s" -content "$W/data.txt" \
  -CAfile "$W/root.pem" -certfile "$W/int.pem" -purpose any -out /dev/null 2>"$W/ossl.err" \
  || fail "openssl cms -verify failed: $(cat "$W/ossl.err")"
for f in "$W"/out-cancelled* "$W"/out-wrongpin* "$W"/out-denied*; do
  [ -e "$f" ] && fail "something was signed that should not have been: $f"
done

stop_agent
pass
