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
PORT=${KYSO_DEMO_PORT:-$(shuf -i 20000-60999 -n 1)}
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
