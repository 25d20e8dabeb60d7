# Shared by the tests/cli and tests/interop scripts (not a test itself:
# only *.sh files are registered). Source it instead of lib.sh.
. "$(dirname "$0")/../lib.sh"

WORK=$KYSO_HOME/work
mkdir -p "$WORK"

# jq_ok FILTER: fails the test unless the JSON in $OUT satisfies FILTER.
jq_ok() {
  printf '%s' "$OUT" | jq -e "$1" >/dev/null 2>&1 ||
    fail "JSON check '$1' failed on: $OUT"
}
# jq_get FILTER: a value from the JSON in $OUT (raw strings).
jq_get() {
  printf '%s' "$OUT" | jq -r "$1" || fail "not JSON: $OUT"
}
# json_only: $OUT must be a single JSON document and nothing else.
json_only() {
  printf '%s' "$OUT" | jq -e . >/dev/null 2>&1 || fail "output is not JSON: $OUT"
}

# softhsm_init LABEL: a private SoftHSM2 store under $KYSO_HOME with one
# initialized token (SO PIN $SO_PIN, user PIN $USER_PIN); the store also
# shows SoftHSM's empty, uninitialized slot.
softhsm_init() {
  mkdir -p "$KYSO_HOME/softhsm"
  cat > "$KYSO_HOME/softhsm2.conf" <<CONF
directories.tokendir = $KYSO_HOME/softhsm
objectstore.backend = file
log.level = ERROR
CONF
  export SOFTHSM2_CONF=$KYSO_HOME/softhsm2.conf
  softhsm2-util --init-token --free --label "$1" --so-pin "$SO_PIN" \
    --pin "$USER_PIN" >/dev/null
}

# The test CA that issues the subscribers' certificates (openssl ca, so
# that validity can start and end at any date, past ones included).
ca_init() {
  local d=$WORK/ca
  mkdir -p "$d/newcerts"
  : > "$d/index.txt"
  echo 1001 > "$d/serial"
  cat > "$d/ca.cnf" <<CONF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $d
database = $d/index.txt
new_certs_dir = $d/newcerts
serial = $d/serial
default_md = sha256
policy = pol
unique_subject = no
x509_extensions = usr
[ pol ]
commonName = supplied
organizationName = optional
[ usr ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, nonRepudiation
CONF
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" \
    -subj "/O=Kyso Test/CN=Kyso Test CA" -days 3650 -out "$d/ca.pem" 2>/dev/null
}

# issue_cert NAME SUBJECT START END: $WORK/NAME.pem and NAME.der, issued by
# the test CA, valid from START to END (YYYYMMDDHHMMSSZ).
issue_cert() {
  local d=$WORK/ca
  openssl req -new -utf8 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/$1.key" -subj "$2" -out "$WORK/$1.csr" 2>/dev/null
  openssl ca -config "$d/ca.cnf" -batch -notext -cert "$d/ca.pem" \
    -keyfile "$d/ca.key" -in "$WORK/$1.csr" -out "$WORK/$1.pem" \
    -startdate "$3" -enddate "$4" >/dev/null 2>&1 || fail "openssl ca failed for $1"
  openssl x509 -in "$WORK/$1.pem" -outform DER -out "$WORK/$1.der"
}

# utc_in DAYS: a certificate date DAYS from now (negative: in the past).
utc_in() {
  date -u -d "@$(( $(date +%s) + $1 * 86400 ))" +%Y%m%d%H%M%SZ
}

# fingerprint FILE: the SHA-256 fingerprint of a PEM certificate.
fingerprint() {
  openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2
}

# put_cert MODULE TOKEN_LABEL DER ID LABEL: writes a certificate object
# with pkcs11-tool, logged in with $USER_PIN.
put_cert() {
  ext pkcs11-tool --module "$1" --token-label "$2" --login --pin "$USER_PIN" \
    --write-object "$3" --type cert --id "$4" --label "$5" >/dev/null 2>&1 ||
    fail "pkcs11-tool could not write $3 to $2"
}

# bmp_cert NAME CN DAYS: a self-signed end-entity certificate whose names
# are BMPStrings (UCS-2, as some CAs still issue), valid for DAYS days.
bmp_cert() {
  printf '[req]\ndistinguished_name=dn\nstring_mask=pkix\nprompt=no\n[dn]\nCN=x\n[ext]\nbasicConstraints=critical,CA:FALSE\n' \
    > "$WORK/bmp.cnf"
  openssl req -x509 -utf8 -config "$WORK/bmp.cnf" -extensions ext -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/$1.key" -subj "/CN=$2" \
    -days "$3" -out "$WORK/$1.pem" 2>/dev/null || fail "openssl req failed for $1"
  openssl asn1parse -in "$WORK/$1.pem" | grep -q BMPSTRING || fail "$1 has no BMPString"
  openssl x509 -in "$WORK/$1.pem" -outform DER -out "$WORK/$1.der"
}
