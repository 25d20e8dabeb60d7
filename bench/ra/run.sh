#!/usr/bin/env bash
# bench/ra: kyso-ra against peers on the same machine, in the same run.
# Prints rates and ratios; never pass/fail on time.
#  issue    certificates issued per second over HTTP (activation completion:
#           CSR checks, issuance, database transaction) by kyso-ra and by
#           cfssl serve (/api/v1/cfssl/sign, golang-cfssl from Debian), P-256
#           and RSA-2048 CA keys, RUNS times each: the spread of the ratio
#           (min, median, max), not the best run. Two cfssl columns:
#           "cfssl" records nothing; "cfssl+db" runs with -db-config and
#           inserts each certificate into its SQLite certdb (WAL,
#           synchronous=NORMAL, as kyso-ra's database), the like-for-like
#           peer. In each run kyso-ra, cfssl and cfssl+db take turns with
#           the same N, connections, CSR and subjects; after each cfssl+db
#           run the certdb must hold N+W certificates (checked by SQL), or
#           the script stops. Each server first answers W requests that
#           are not timed (BENCH_RA_WARM, N/2 by default; 0 for none), then
#           the N timed ones on new connections: the rate is a running
#           server's, not a fresh one's first (a new database file's first
#           pages, Go's heap). A failed run (an answer that is not a
#           certificate) stops the script.
#  cluster  1 and 2 kyso-ra instances on one PostgreSQL database behind
#           HAProxy (from Debian), all on loopback, P-256, CONNECTIONS x 4
#           client connections, beside cfssl with as many.
#  ocsp     OCSP responses per second for a good and a revoked serial, with
#           and without a nonce, by kyso-ra and by `openssl ocsp -index
#           ... -multi 2` for the same CA, responder key and requests (two
#           client processes, keep-alive; the two servers in turns, twice).
# Usage: bench/ra/run.sh [N] [CONNECTIONS] [RUNS]
#   N certificates per server and run (300), CONNECTIONS client
#   connections (1), RUNS runs of the issue part (3).
#   KYSO_BUILD: the build folder (default build); BENCH_RA_PARTS: the
#   parts to run (default "issue cluster ocsp"); BENCH_RA_KEYS: the CA
#   key types of the issue part (default "p256 rsa2048"); BENCH_RA_OCSP_SECS:
#   seconds per OCSP measurement (3); BENCH_RA_PG_OPTS: more postgres
#   options for the cluster part (e.g. "-c synchronous_commit=off" to see
#   what waiting for the WAL flush costs); BENCH_RA_WARM: untimed
#   requests before each issue run (N/2); BENCH_RA_PERF: a file for
#   `perf record -g` of kyso-ra while it answers "good, nonce" (then
#   `perf report -i FILE`).
set -euo pipefail
N=${1:-300}
C=${2:-1}
RUNS=${3:-3}
W=${BENCH_RA_WARM:-$((N / 2))}
[[ $W =~ ^[0-9]+$ ]] || { echo "bench/ra: BENCH_RA_WARM must be a number" >&2; exit 1; }
PARTS=${BENCH_RA_PARTS:-issue cluster ocsp}
OSECS=${BENCH_RA_OCSP_SECS:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KYSO_BUILD:-$ROOT/build}
RA=$BUILD/bin/kyso-ra
# the load: bench/ra/bench_ra_client.c (every request written out before
# the clock starts, one process per connection; only answers that are
# HTTP 200 with a certificate, or a successful OCSPResponse, count)
CLIENT=$BUILD/bench/bench_ra_client
[ -x "$CLIENT" ] || { echo "bench/ra: $CLIENT not built" >&2; exit 1; }
command -v cfssl >/dev/null || { echo "bench/ra: cfssl not installed (golang-cfssl)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/kyso-bench-ra.XXXXXX")
chmod 755 "$T"
# The rate functions run in $(...) subshells: each server's pid goes into
# a file so the exit trap of this shell can stop every one.
touch "$T/pids"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  # openssl ocsp -multi's workers first: its parent outlives a TERM
  # while they run
  while read -r p; do pkill -TERM -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done < "$T/pids"
  [ -d "$T/pg/data" ] && as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT

wait_port() {  # wait_port FILE
  local i
  for i in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "bench/ra: server did not start" >&2; exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
# spread "R1 R2 ...": min median max
spread() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END{printf "%s %s %s", v[1], (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2), v[NR]}'; }

# One subscriber key and CSR for every request (the servers do the same
# work for each: parse, verify, issue, sign).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/sub.key" 2>/dev/null
openssl req -new -key "$T/sub.key" -subj "/CN=Bench" -out "$T/sub.csr"
csr_json=$(jq -Rs . < "$T/sub.csr")

# kyso_serve HOME PORTFILE [serve options]: a server in the background.
kyso_serve() {
  local h=$1 pf=$2; shift 2
  KYSO_HOME=$h "$RA" serve --listen 127.0.0.1:0 --insecure-http --rate-limit 0 --quiet \
    --port-file "$pf" "$@" >>"$h/log" 2>&1 &
  echo $! >> "$T/pids"
  wait_port "$pf"
}
# kyso_register HOME URL TOKEN COUNT FIRST: COUNT registrations; their
# activation bodies (one token serial each) appended to HOME/bodies.
kyso_register() {
  local h=$1 url=$2 tok=$3 count=$4 first=$5 i f
  for i in $(seq "$first" $((first + count - 1))); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $tok" --data-binary \
      "{\"type\":\"personal\",\"name\":\"Người Thử $i\",\"id_number\":\"$(printf '%012d' "$i")\",\"province\":\"Hà Nội\",\"email\":\"u$i@example.vn\",\"phone\":\"0912345678\",\"key_type\":\"p256\"}" \
      "$url/api/v1/registrations"
  done
  # One token per subscriber (kyso-ra refuses a token another holds).
  for f in "$h"/ra/outbox/*.eml; do
    printf '{"code":"%s","csr":%s,"token_serial":"BENCH%s"}\n' \
      "$(sed -n 's/^Activation code: //p' "$f" | tr -d '\r')" "$csr_json" "$(basename "$f" .eml | tr -cd '0-9')"
    rm -f "$f"
  done >> "$h/bodies"
}

# timed URL BODIES CONNECTIONS: the first W bodies untimed, then the rate
# of the other N.
timed() {
  if [ "$W" -gt 0 ]; then
    head -n "$W" "$2" >"$2.warm"
    "$CLIENT" issue "$1" "$2.warm" "$3" >/dev/null ||
      { echo "bench/ra: the untimed requests to $1 failed" >&2; exit 1; }
  fi
  tail -n +"$((W + 1))" "$2" >"$2.timed"
  "$CLIENT" issue "$1" "$2.timed" "$3" ||
    { echo "bench/ra: the timed requests to $1 failed" >&2; exit 1; }
}

kyso_rate() {  # kyso_rate KEYTYPE [CONNECTIONS]
  local h=$T/kyso-$1-$RANDOM
  mkdir -p "$h"
  KYSO_HOME=$h "$RA" init --ca-key-type "$1" >/dev/null
  local tok
  tok=$(KYSO_HOME=$h "$RA" operator add bench)
  kyso_serve "$h" "$h/port"
  local url=http://127.0.0.1:$(cat "$h/port")
  kyso_register "$h" "$url" "$tok" "$((N + W))" 1
  timed "$url/api/v1/activation/complete" "$h/bodies" "${2:-$C}"
  kill "$(tail -n 1 "$T/pids")"
  rm -rf "$h"
}

# certdb_schema FILE: the certdb tables that `cfssl serve -db-config`
# writes to. Debian ships neither the schema nor a migration tool
# (golang-github-cloudflare-cfssl-dev has only the Go accessor, whose
# INSERT names these columns), so it is written here: cfssl's SQLite
# migration, certdb/sqlite/migrations in its source. WAL is kept in the
# file; synchronous=NORMAL is set per connection in the data source.
certdb_schema() {
  sqlite3 "$1" >/dev/null <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE certificates (
  serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  ca_label blob, status blob NOT NULL, reason int, expiry timestamp,
  revoked_at timestamp, pem blob NOT NULL,
  PRIMARY KEY (serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (
  serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  body blob NOT NULL, expiry timestamp,
  PRIMARY KEY (serial_number, authority_key_identifier),
  FOREIGN KEY (serial_number, authority_key_identifier)
    REFERENCES certificates (serial_number, authority_key_identifier));
SQL
}

cfssl_rate() {  # cfssl_rate KEYTYPE CONNECTIONS [db]: db records each certificate
  local h=$T/cfssl-$1-$RANDOM dbopt=()
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
  if [ "${3:-}" = db ]; then
    certdb_schema "$h/certdb.sqlite"
    printf '{"driver":"sqlite3","data_source":"%s?_synchronous=NORMAL&_busy_timeout=10000"}\n' \
      "$h/certdb.sqlite" >"$h/db.json"
    dbopt=(-db-config "$h/db.json")
  fi
  local port
  port=$(free_port)
  cfssl serve -address 127.0.0.1 -port "$port" -ca "$h/ca.pem" -ca-key "$h/ca-key.pem" \
    -config "$h/config.json" "${dbopt[@]}" >"$h/log" 2>&1 &
  local pid=$!
  echo "$pid" >> "$T/pids"
  local i
  for i in $(seq 1 200); do
    curl -fs -o /dev/null -d '{}' "http://127.0.0.1:$port/api/v1/cfssl/info" && break
    sleep 0.05
  done
  for i in $(seq 1 "$((N + W))"); do
    printf '{"certificate_request":%s,"subject":{"CN":"Người Thử %d"}}\n' "$csr_json" "$i"
  done > "$h/bodies"
  timed "http://127.0.0.1:$port/api/v1/cfssl/sign" "$h/bodies" "$2"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ "${3:-}" = db ]; then
    # the peer must be the one that records: N rows, N serials
    local got
    got=$(sqlite3 "$h/certdb.sqlite" \
      "SELECT count(*) || ' ' || count(DISTINCT serial_number) FROM certificates WHERE pem LIKE '-----BEGIN CERTIFICATE-----%'")
    [ "$got" = "$((N + W)) $((N + W))" ] || {
      echo "bench/ra: cfssl+db recorded ${got% *} certificates (${got#* } serials), not $((N + W)): $(tail -n 3 "$h/log")" >&2
      exit 1
    }
  fi
  rm -rf "$h"
}

part_issue() {
  echo "issue: $N certificates per server and run (after $W untimed), $C client connection(s), $RUNS runs"
  printf '%-10s %14s %14s %22s %16s %22s\n' "CA key" "kyso-ra cert/s" "cfssl cert/s" "ratio min/median/max" \
    "cfssl+db cert/s" "kyso/cfssl+db min/med/max"
  echo "           (median rates; the ratios of each run; cfssl+db records each certificate in SQLite)"
  local kt run k c d ks cs ds rs rd
  for kt in ${BENCH_RA_KEYS:-p256 rsa2048}; do
    ks="" cs="" ds="" rs="" rd=""
    for run in $(seq 1 "$RUNS"); do
      k=$(kyso_rate "$kt")
      c=$(cfssl_rate "$kt" "$C")
      d=$(cfssl_rate "$kt" "$C" db)
      ks="$ks $k" cs="$cs $c" ds="$ds $d" rs="$rs $(ratio "$k" "$c")" rd="$rd $(ratio "$k" "$d")"
    done
    read -r k _ <<<"$(spread "$ks" | awk '{print $2}')"
    read -r c _ <<<"$(spread "$cs" | awk '{print $2}')"
    read -r d _ <<<"$(spread "$ds" | awk '{print $2}')"
    printf '%-10s %14s %14s %22s %16s %22s   (runs:%s; +db:%s)\n' "$kt" "$k" "$c" "$(spread "$rs" | tr ' ' /)" \
      "$d" "$(spread "$rd" | tr ' ' /)" "$rs" "$rd"
  done
}

# haproxy_start CFG_NAME PORT BACKEND_PORT...: HAProxy on 127.0.0.1:PORT
# sharing connections over the backends (round robin).
haproxy_start() {
  local name=$1 port=$2 i be; shift 2
  {
    printf 'global\n  maxconn 1024\ndefaults\n  mode http\n  timeout connect 5s\n'
    printf '  timeout client 60s\n  timeout server 60s\n  timeout http-request 15s\n'
    printf 'frontend fe\n  bind 127.0.0.1:%s\n  option forwardfor\n  default_backend ra\n' "$port"
    printf 'backend ra\n  balance roundrobin\n'
    i=0
    for be in "$@"; do i=$((i + 1)); printf '  server ra%d 127.0.0.1:%s\n' "$i" "$be"; done
  } >"$T/haproxy-$name.cfg"
  haproxy -db -f "$T/haproxy-$name.cfg" >"$T/haproxy-$name.log" 2>&1 &
  echo $! >> "$T/pids"
  for i in $(seq 1 200); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true) == 200 ]] && return 0
    sleep 0.05
  done
  echo "bench/ra: haproxy did not start: $(cat "$T/haproxy-$name.log")" >&2; exit 1
}

part_cluster() {
  # cold servers, as the two instances' runs (no untimed requests)
  local W=0
  command -v haproxy >/dev/null || { echo "bench/ra: haproxy not installed" >&2; return 1; }
  [ -x "$PGBIN/initdb" ] || { echo "bench/ra: PostgreSQL not installed" >&2; return 1; }
  local cc=$((C * 4)) h=$T/cluster tok p1 p2 hp1 hp2 r1 r2 c s
  mkdir -p "$T/pg" "$h"
  chmod 755 "$T/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$T/pg"
  as_pg "$PGBIN/initdb" -D "$T/pg/data" -U kyso --auth=trust -E UTF8 >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w \
    -o "-k $T/pg -c listen_addresses='' ${BENCH_RA_PG_OPTS:-}" start >/dev/null
  as_pg "$PGBIN/createdb" -h "$T/pg" -U kyso kyso_ra
  local db="postgresql://kyso@/kyso_ra?host=$T/pg"
  KYSO_HOME=$h "$RA" init --ca-key-type p256 --db "$db" >/dev/null
  tok=$(KYSO_HOME=$h "$RA" operator add bench)
  kyso_serve "$h" "$h/p1" --trusted-proxy 127.0.0.1
  kyso_serve "$h" "$h/p2" --trusted-proxy 127.0.0.1
  p1=$(cat "$h/p1") p2=$(cat "$h/p2")
  hp1=$(free_port); haproxy_start one "$hp1" "$p1"
  hp2=$(free_port); haproxy_start two "$hp2" "$p1" "$p2"
  kyso_register "$h" "http://127.0.0.1:$p1" "$tok" $((2 * N)) 1
  head -n "$N" "$h/bodies" >"$h/b1"
  tail -n +$((N + 1)) "$h/bodies" >"$h/b2"
  r1=$("$CLIENT" issue "http://127.0.0.1:$hp1/api/v1/activation/complete" "$h/b1" "$cc")
  r2=$("$CLIENT" issue "http://127.0.0.1:$hp2/api/v1/activation/complete" "$h/b2" "$cc")
  c=$(cfssl_rate p256 "$cc")
  s=$(kyso_rate p256 "$cc")
  echo "cluster: PostgreSQL, HAProxy on loopback, P-256, $N certificates each, $cc client connections"
  printf '%-26s %10s %10s\n' "" "cert/s" "vs cfssl"
  printf '%-26s %10s %10s\n' "kyso-ra, 1 instance" "$r1" "$(ratio "$r1" "$c")"
  printf '%-26s %10s %10s\n' "kyso-ra, 2 instances" "$r2" "$(ratio "$r2" "$c")"
  printf '%-26s %10s %10s\n' "kyso-ra, SQLite, no proxy" "$s" "$(ratio "$s" "$c")"
  printf '%-26s %10s %10s\n' "cfssl serve" "$c" "1.00"
  echo "  (2 instances / 1: $(ratio "$r2" "$r1"); one machine of $(nproc) CPUs runs them all;"
  echo "   cfssl keeps no database; kyso-ra commits each issuance, here to a"
  echo "   PostgreSQL server on the same CPUs, through HAProxy)"
}

part_ocsp() {
  local h=$T/ocsp tok url cg cr i f st rows op k o kpid pp= hs
  mkdir -p "$h"
  KYSO_HOME=$h "$RA" init --ca-key-type p256 >/dev/null
  tok=$(KYSO_HOME=$h "$RA" operator add bench)
  kyso_serve "$h" "$h/port"
  kpid=$(tail -n 1 "$T/pids")
  url=http://127.0.0.1:$(cat "$h/port")
  kyso_register "$h" "$url" "$tok" 2 1
  i=0
  while read -r b; do
    i=$((i + 1))
    curl -fsS --data-binary "$b" "$url/api/v1/activation/complete" | jq -r .certificate >"$h/c$i.pem"
  done <"$h/bodies"
  curl -fsS -o /dev/null -H "Authorization: Bearer $tok" -d '{"reason":"keyCompromise"}' \
    "$url/api/v1/certificates/$(openssl x509 -in "$h/c2.pem" -noout -serial | cut -d= -f2)/revoke"
  # the same statuses for openssl's responder (index.txt of `openssl ca`)
  local now
  now=$(date -u +%y%m%d%H%M%SZ)
  for i in 1 2; do
    st=V; [ "$i" = 2 ] && st=R
    printf '%s\t%s\t%s\t%s\tunknown\t/CN=Bench\n' "$st" \
      "$(date -u -d "$(openssl x509 -in "$h/c$i.pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)" \
      "$([ "$st" = R ] && echo "$now,keyCompromise")" \
      "$(openssl x509 -in "$h/c$i.pem" -noout -serial | cut -d= -f2)"
  done >"$h/index.txt"
  for i in 1 2; do
    openssl ocsp -issuer "$h/ra/ca.pem" -cert "$h/c$i.pem" -no_nonce -reqout "$h/q$i.der" >/dev/null 2>&1
    openssl ocsp -issuer "$h/ra/ca.pem" -cert "$h/c$i.pem" -reqout "$h/q${i}n.der" >/dev/null 2>&1
  done
  op=$(free_port)
  # openssl's responder listens on every address of the port (its -port
  # takes no host); it runs for the seconds of this part only.
  openssl ocsp -index "$h/index.txt" -port "$op" -rsigner "$h/ra/ocsp.pem" \
    -rkey "$h/ra/ocsp-key.pem" -CA "$h/ra/ca.pem" -multi 2 -nmin 60 >"$h/ossl.log" 2>&1 &
  echo $! >> "$T/pids"
  for i in $(seq 1 200); do
    openssl ocsp -issuer "$h/ra/ca.pem" -cert "$h/c1.pem" -url "http://127.0.0.1:$op/" \
      -CAfile "$h/ra/root.pem" -VAfile "$h/ra/ocsp.pem" >/dev/null 2>&1 && break
    sleep 0.05
  done
  # both answer the same (verified as a relying party would)
  for i in 1 2; do
    for u in "$url/ocsp" "http://127.0.0.1:$op/"; do
      o=$(openssl ocsp -issuer "$h/ra/ca.pem" -cert "$h/c$i.pem" -url "$u" -CAfile "$h/ra/root.pem" 2>&1)
      [[ $o == *"Response verify OK"* && $o == *": $([ "$i" = 1 ] && echo good || echo revoked)"* ]] ||
        { echo "bench/ra: $u: $o" >&2; return 1; }
    done
  done
  hs=$(awk -v s="$OSECS" 'BEGIN{printf "%d", s * 500}')  # ms
  echo "ocsp: responses/s, 2 client processes, ${OSECS} s each (two halves, interleaved), P-256 responder key, $(nproc) CPUs"
  printf '%-22s %12s %14s %8s\n' "request" "kyso-ra/s" "openssl ocsp/s" ratio
  for f in "good, no nonce:q1" "revoked, no nonce:q2" "good, nonce:q1n" "revoked, nonce:q2n"; do
    # kyso-ra, openssl, kyso-ra, openssl: half the seconds each, so that
    # the machine's load drifting during the part weighs on both alike
    k=0; o=0
    for i in 1 2; do
      if [ -n "${BENCH_RA_PERF:-}" ] && [ "${f##*:}" = q1n ] && [ "$i" = 1 ]; then
        perf record -g -o "$BENCH_RA_PERF" -p "$kpid" -- sleep "$(awk -v m="$hs" 'BEGIN{print m / 1000}')" >/dev/null 2>&1 &
        pp=$!
      fi
      k=$((k + $("$CLIENT" ocsp "$url/ocsp" "$h/${f##*:}.der" "$hs" 2)))
      if [ -n "$pp" ]; then wait "$pp" || true; pp=; fi
      o=$((o + $("$CLIENT" ocsp "http://127.0.0.1:$op/" "$h/${f##*:}.der" "$hs" 2)))
    done
    k=$((k / 2)); o=$((o / 2))
    printf '%-22s %12s %14s %8s\n' "${f%%:*}" "$k" "$o" "$(ratio "$k" "$o")"
  done
}

echo "bench/ra: $(nproc) CPU(s), load $(cut -d' ' -f1 /proc/loadavg)"
for part in $PARTS; do
  "part_$part"
done
