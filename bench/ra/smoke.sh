#!/usr/bin/env bash
# Smoke test of bench/ra: run.sh end to end with a tiny count (issuance
# and OCSP, against cfssl, cfssl with its SQLite certdb and openssl ocsp);
# run.sh stops when the cfssl+db peer did not record its certificates (a
# cfssl that drops -db-config stands in for one that records nothing);
# and bench_ra_client counts
# only successful answers: an HTTP 200 that holds no certificate, or an
# OCSPResponse that is not successful, stops it with an error. Times are
# never judged.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KYSO_BUILD:-$ROOT/build}
CLIENT=$BUILD/bench/bench_ra_client
T=$(mktemp -d "${TMPDIR:-/tmp}/kyso-bench-ra-smoke.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

out=$(KYSO_BUILD=$BUILD BENCH_RA_PARTS="issue ocsp" BENCH_RA_OCSP_SECS=1 \
  bash "$ROOT/bench/ra/run.sh" 4 1 1 2>&1) || { echo "$out"; echo "FAIL: run.sh failed"; exit 1; }
echo "$out"
# a rate for each server and CA key, and for each OCSP request
num='[0-9]+\.[0-9]' spr='[0-9.]+/[0-9.]+/[0-9.]+'
[ "$(grep -cE "^(p256|rsa2048) +$num +$num +$spr +$num +$spr +\(runs: [0-9.]+; \+db: [0-9.]+\)$" <<<"$out")" = 2 ] ||
  { echo "FAIL: an issuance rate is missing"; exit 1; }

# a cfssl+db that records nothing: the script must fail, not print a rate
mkdir -p "$T/bin"
cat >"$T/bin/cfssl" <<'SH'
#!/usr/bin/env bash
a=() skip=
for x in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  if [ "$x" = -db-config ]; then skip=1; continue; fi
  a+=("$x")
done
exec "$REAL_CFSSL" "${a[@]}"
SH
chmod +x "$T/bin/cfssl"
if o=$(REAL_CFSSL=$(command -v cfssl) PATH=$T/bin:$PATH KYSO_BUILD=$BUILD BENCH_RA_PARTS=issue \
  BENCH_RA_WARM=0 bash "$ROOT/bench/ra/run.sh" 2 1 1 2>&1); then
  echo "$o"; echo "FAIL: a cfssl+db run that recorded nothing gave a rate"; exit 1
fi
[[ $o == *"cfssl+db recorded 0 certificates (0 serials), not 2"* ]] ||
  { echo "$o"; echo "FAIL: no word of the missing certdb rows"; exit 1; }
[ "$(grep -cE '^(good|revoked), (no )?nonce +[1-9][0-9]* +[1-9][0-9]* +[0-9.]+$' <<<"$out")" = 4 ] ||
  { echo "FAIL: an OCSP rate is missing"; exit 1; }

# kyso-ra's /ocsp answers a JSON body with HTTP 200 and an OCSPResponse
# of status malformedRequest: neither a certificate nor a success.
mkdir -p "$T/h"
KYSO_HOME=$T/h "$BUILD/bin/kyso-ra" init --ca-key-type p256 >/dev/null
KYSO_HOME=$T/h "$BUILD/bin/kyso-ra" serve --listen 127.0.0.1:0 --insecure-http --rate-limit 0 \
  --quiet --port-file "$T/port" >"$T/log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$T/port")/ocsp
printf '{"csr":"x"}\n' >"$T/bodies"
[[ $(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/bodies" "$url") == 200 ]] ||
  { echo "FAIL: the server does not answer the bad request with 200"; exit 1; }
if o=$("$CLIENT" issue "$url" "$T/bodies" 1 2>&1); then
  echo "FAIL: an answer without a certificate was counted: $o"; exit 1
fi
[[ $o == *"HTTP 200"* ]] || { echo "FAIL: issue: $o"; exit 1; }
if o=$("$CLIENT" ocsp "$url" "$T/bodies" 200 2 2>&1); then
  echo "FAIL: an unsuccessful OCSPResponse was counted: $o"; exit 1
fi
[[ $o == *"OCSP status not successful"* ]] || { echo "FAIL: ocsp: $o"; exit 1; }
echo "ok [bench/ra_smoke]"
