#!/usr/bin/env bash
# The main story on embedded defaults, in a throwaway $KYSO_HOME:
# RA/CA on SQLite on loopback, a fresh virtual token, registration →
# activation code by mail → activation on the token → a signed PDF →
# verification by kyso-sign and by poppler's pdfsig.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${KYSO_BUILD:-$PWD/build}
B=$BUILD/bin

export KYSO_HOME=${KYSO_DEMO_HOME:-$(mktemp -d /tmp/kyso-demo.XXXXXX)}
W=$KYSO_HOME/demo; mkdir -p "$W"
# A port no server holds, below the kernel's range for outgoing connections
# (32768-60999 on Linux), so a client's connection elsewhere cannot take it.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(shuf -i 20000-32767 -n 1)
    [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
  echo "demo: no free port" >&2; exit 1
}
PORT=${KYSO_DEMO_PORT:-$(free_port)}
RA_URL=http://127.0.0.1:$PORT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
trap '[ -n "${RA_PID:-}" ] && kill "$RA_PID" 2>/dev/null; true' EXIT

step "The CA sets up its RA/CA server (SQLite, loopback)"
"$B/kyso-ra" init --ca-key-type p256 --name "kyso Demo CA" --public-url "$RA_URL"
OP=$("$B/kyso-ra" operator add demo-operator | tail -n 1 | awk '{print $NF}')
"$B/kyso-ra" serve --listen "127.0.0.1:$PORT" --insecure-http --public-url "$RA_URL" \
  >"$W/ra.log" 2>&1 &
RA_PID=$!
for _ in $(seq 1 100); do curl -fs "$RA_URL/ca.pem" -o "$W/ca.pem" && break; sleep 0.1; done
[ -s "$W/ca.pem" ] || { echo "kyso-ra did not start:"; cat "$W/ra.log"; exit 1; }
echo "kyso-ra is serving on $RA_URL"

step "The CA manufactures a USB token for its subscriber"
"$B/kyso-token" vtoken create --label "Nguyen Van A" --serial DEMO0001 --plug \
  --admin-master "$KYSO_HOME/ra/admin-master.key" --so-pin-fd 3 3<<<"87654321"
"$B/kyso-token" info

step "First plug-in: the Token Manager asks to change the factory PIN"
"$B/kyso-token" check --batch || echo "(exit $?: the factory PIN must be changed)"
"$B/kyso-token" change-pin --pin-fd 3 --new-pin-fd 4 3<<<"12345678" 4<<<$'20242024\n20242024'

step "An operator registers the subscriber on the RA"
curl -fsS -X POST -H "Authorization: Bearer $OP" -H "Content-Type: application/json" \
  --data '{"type":"personal","name":"Nguyễn Văn A","id_number":"001099012345","province":"Hà Nội","email":"nguyenvana@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}' \
  "$RA_URL/api/v1/registrations"; echo

step "The activation code arrives by e-mail (the outbox)"
MAIL=$(ls "$KYSO_HOME"/ra/outbox/*.eml | sort | tail -n 1)
sed -n '1,40p' "$MAIL"
CODE=$(grep -m1 '^Activation code:' "$MAIL" | sed 's/^Activation code:[[:space:]]*//' | tr -d '\r')

step "The subscriber activates the certificate on the token (kyso-token register)"
"$B/kyso-token" register --ra "$RA_URL" --yes --pin-fd 3 --code-fd 4 3<<<"20242024" 4<<<"$CODE"
"$B/kyso-token" certs

step "A contract to sign (made with ghostscript)"
cat >"$W/contract.ps" <<'PS'
%!PS
/Helvetica findfont 20 scalefont setfont
72 720 moveto (Contract No. 2026/11-001) show
/Helvetica findfont 12 scalefont setfont
72 690 moveto (Between kyso Demo Company and Nguyen Van A.) show
72 670 moveto (The parties agree to the terms below.) show
showpage
PS
gs -q -dBATCH -dNOPAUSE -dSAFER -sDEVICE=pdfwrite -sOutputFile="$W/contract.pdf" "$W/contract.ps"

step "Sign it on the token: PAdES with the CA's time-stamp and validation data (B-LT; the chain comes from the token)"
"$B/kyso-sign" pdf "$W/contract.pdf" -o "$W/contract.signed.pdf" --token DEMO0001 \
  --lt --tsa "$RA_URL/tsa" --pin-fd 3 3<<<"20242024"

step "Verify: kyso-sign, then poppler's pdfsig and qpdf, independently"
"$B/kyso-sign" verify "$W/contract.signed.pdf" --trust "$W/ca.pem"
# pdfsig trusts what its NSS database trusts: put the CA's root there.
awk '/BEGIN CERT/{n++} n==2' "$W/ca.pem" >"$W/root.pem"
mkdir -p "$W/nss"
certutil -N -d "sql:$W/nss" --empty-password
certutil -A -d "sql:$W/nss" -n "kyso Demo CA Root" -t "CT,C,C" -i "$W/root.pem"
pdfsig -nssdir "sql:$W/nss" "$W/contract.signed.pdf"
qpdf --check "$W/contract.signed.pdf" | tail -n 2

echo
echo "Everything is in $KYSO_HOME (signed PDF: $W/contract.signed.pdf)"

# The web story (kyso-contract, issue 12), after the token story and on
# its token, CA and time-stamps: a contract signed from a web page through
# kyso-agent, in Debian's chromium run headless (tests/contract/
# demo_web.mjs drives it; the scripted pinentry plays the person). Set
# KYSO_DEMO_WEB=0 to stop after the token story.
[ "${KYSO_DEMO_WEB:-1}" = 1 ] || exit 0
if [ ! -x /usr/bin/chromium ] || [ ! -f node_modules/playwright-core/package.json ]; then
  echo "(the web story needs chromium and playwright-core: run scripts/deps.sh)"
  exit 0
fi
trap 'for p in ${RA_PID:-} ${KC_PID:-} ${AGENT_PID:-}; do kill "$p" 2>/dev/null || true; done' EXIT
KC_PORT=$(free_port)
AGENT_PORT=$(free_port)
KC_URL=http://127.0.0.1:$KC_PORT

step "The web platform: kyso-contract init, one account for the subscriber"
INIT=$("$B/kyso-contract" init --admin-email chu@kyso-demo.vn)
echo "$INIT"
OWNER_PW=$(sed -n 's/^admin .* (shown once): //p' <<<"$INIT")
SIGNER_OUT=$("$B/kyso-contract" account "kyso Demo" nguyenvana@example.vn)
echo "$SIGNER_OUT"
SIGNER_PW=$(sed -n 's/.*(shown once): //p' <<<"$SIGNER_OUT")
"$B/kyso-contract" serve --port "$KC_PORT" --trust "$W/root.pem" --agent-port "$AGENT_PORT" \
  >"$W/contract.log" 2>&1 &
KC_PID=$!
for _ in $(seq 1 100); do curl -fs "$KC_URL/healthz" >/dev/null && break; sleep 0.1; done
echo "kyso-contract is serving on $KC_URL/"

step "kyso-agent on the subscriber's computer (time-stamps from the CA's TSA)"
{
  echo "module = $BUILD/lib/libkyso-pkcs11.so"
  echo "agent_port = $AGENT_PORT"
  echo "tsa_url = $RA_URL/tsa"
} >>"$KYSO_HOME/kyso.conf"
export KYSO_PINENTRY=$PWD/tests/agent/pinentry_script
export KYSO_PINENTRY_SCRIPT=$W/pinentry.script KYSO_PINENTRY_LOG=$W/pinentry.log
: >"$KYSO_PINENTRY_SCRIPT"; : >"$KYSO_PINENTRY_LOG"
"$B/kyso-agent" --foreground >"$W/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 1 100); do
  curl -fs -H "Origin: $KC_URL" "http://127.0.0.1:$AGENT_PORT/v1/hello" && break; sleep 0.1
done; echo

step "In the browser: create, click the stamp's place, set the signing method, sign, download"
mkdir -p "$W/web"
KC_URL=$KC_URL KC_OUT=$W/web KC_PDF=$W/contract.pdf KC_OWNER=chu@kyso-demo.vn \
  KC_OWNER_PW=$OWNER_PW KC_SIGNER=nguyenvana@example.vn KC_SIGNER_PW=$SIGNER_PW \
  KC_CCCD=001099012345 KC_PIN=20242024 node tests/contract/demo_web.mjs

step "The web-signed contract and its audit trail, checked independently"
pdfsig -nssdir "sql:$W/nss" "$W/web/contract.web-signed.pdf"
"$B/kyso-sign" verify "$W/web/contract.web-signed.pdf" --trust "$W/ca.pem"
"$B/kyso-contract" audit-check
pdftotext -layout "$W/web/audit.pdf" - | sed -n '1,30p'

kill "$KC_PID" "$AGENT_PID" 2>/dev/null || true
wait "$KC_PID" "$AGENT_PID" 2>/dev/null || true
cat <<EOF_WEB

Click through it yourself (README, "The e-contract platform"):
  KYSO_HOME=$KYSO_HOME $B/kyso-contract serve --trust $W/root.pem
  KYSO_HOME=$KYSO_HOME $B/kyso-agent          # signs with the demo token (PIN 20242024)
  then open http://127.0.0.1:8480/ and sign in as
    chu@kyso-demo.vn       $OWNER_PW   (owner: creates contracts, places stamps)
    nguyenvana@example.vn  $SIGNER_PW   (signer: the token's certificate names her CCCD)
Screenshots of this run: $W/web/*.png
EOF_WEB
