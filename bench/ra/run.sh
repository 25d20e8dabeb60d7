#!/usr/bin/env bash
# bench/ra: certificates issued per second over HTTP by kyso-ra (activation
# completion: CSR checks, issuance, database transaction) and by cfssl
# serve (/api/v1/cfssl/sign) on the same machine, in the same run, with
# P-256 and RSA-2048 CA keys. Prints the ratio; never pass/fail on time.
# Usage: bench/ra/run.sh [N] [CONNECTIONS]
#   (KYSO_BUILD: the build folder, default build)
set -euo pipefail
N=${1:-300}
C=${2:-1}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KYSO_BUILD:-$ROOT/build}
RA=$BUILD/bin/kyso-ra
command -v cfssl >/dev/null || { echo "bench/ra: cfssl not installed (golang-cfssl)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/kyso-bench-ra.XXXXXX")
# The rate functions run in $(...) subshells: each server's pid goes into
# a file so the exit trap of this shell can stop every one.
touch "$T/pids"
trap 'while read -r p; do kill "$p" 2>/dev/null || true; done < "$T/pids"; rm -rf "$T"' EXIT

wait_port() {  # wait_port FILE
  local i
  for i in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "bench/ra: server did not start" >&2; exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One subscriber key and CSR for every request (the servers do the same
# work for each: parse, verify, issue, sign).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/sub.key" 2>/dev/null
openssl req -new -key "$T/sub.key" -subj "/CN=Bench" -out "$T/sub.csr"
csr_json=$(jq -Rs . < "$T/sub.csr")

kyso_rate() {  # kyso_rate KEYTYPE
  local h=$T/kyso-$1
  mkdir -p "$h"
  KYSO_HOME=$h "$RA" init --ca-key-type "$1" >/dev/null
  local tok
  tok=$(KYSO_HOME=$h "$RA" operator add bench)
  KYSO_HOME=$h "$RA" serve --listen 127.0.0.1:0 --insecure-http --rate-limit 0 --quiet \
    --port-file "$h/port" >"$h/log" 2>&1 &
  local pid=$!
  echo "$pid" >> "$T/pids"
  wait_port "$h/port"
  local url=http://127.0.0.1:$(cat "$h/port") i
  for i in $(seq 1 "$N"); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $tok" --data-binary \
      "{\"type\":\"personal\",\"name\":\"Người Thử $i\",\"id_number\":\"$(printf '%012d' "$i")\",\"province\":\"Hà Nội\",\"email\":\"u$i@example.vn\",\"phone\":\"0912345678\",\"key_type\":\"p256\"}" \
      "$url/api/v1/registrations"
  done
  # One token per subscriber (kyso-ra refuses a token another holds).
  local k=0
  for f in "$h"/ra/outbox/*.eml; do
    k=$((k + 1))
    printf '{"code":"%s","csr":%s,"token_serial":"BENCH%d"}\n' \
      "$(sed -n 's/^Activation code: //p' "$f" | tr -d '\r')" "$csr_json" "$k"
  done > "$h/bodies"
  python3 "$ROOT/bench/ra/client.py" "$url/api/v1/activation/complete" "$h/bodies" "$C"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

cfssl_rate() {  # cfssl_rate KEYTYPE
  local h=$T/cfssl-$1
  mkdir -p "$h"
  case $1 in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$h/ca-key.pem" 2>/dev/null ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$h/ca-key.pem" 2>/dev/null ;;
  esac
  openssl req -x509 -new -key "$h/ca-key.pem" -subj "/CN=cfssl Bench CA" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$h/ca.pem"
  cat > "$h/config.json" <<CFG
{"signing":{"default":{"expiry":"8760h","usages":["digital signature","content commitment","email protection","client auth"]}}}
CFG
  local port
  port=$(free_port)
  cfssl serve -address 127.0.0.1 -port "$port" -ca "$h/ca.pem" -ca-key "$h/ca-key.pem" \
    -config "$h/config.json" >"$h/log" 2>&1 &
  local pid=$!
  echo "$pid" >> "$T/pids"
  local i
  for i in $(seq 1 200); do
    curl -fs -o /dev/null -d '{}' "http://127.0.0.1:$port/api/v1/cfssl/info" && break
    sleep 0.05
  done
  for i in $(seq 1 "$N"); do
    printf '{"certificate_request":%s,"subject":{"CN":"Người Thử %d"}}\n' "$csr_json" "$i"
  done > "$h/bodies"
  python3 "$ROOT/bench/ra/client.py" "http://127.0.0.1:$port/api/v1/cfssl/sign" "$h/bodies" "$C"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "bench/ra: $N certificates per server, $C client connection(s), $(nproc) CPU(s), load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-10s %14s %14s %8s\n' "CA key" "kyso-ra cert/s" "cfssl cert/s" ratio
for kt in p256 rsa2048; do
  k=$(kyso_rate "$kt")
  c=$(cfssl_rate "$kt")
  printf '%-10s %14s %14s %8s\n' "$kt" "$k" "$c" "$(awk -v a="$k" -v b="$c" 'BEGIN{printf "%.2f", a/b}')"
done
