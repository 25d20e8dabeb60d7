# Shared by the kyso-sign tests (sourced after lib.sh): a token with a
# signing key, a two-level test PKI (root -> intermediate -> signer) and
# the verifiers' trust stores.
KS=$BIN/kyso-sign
W=$KYSO_HOME/work
mkdir -p "$W"
# The PDF sets: the generated one (tests/pdfgen/gen_corpus.bash, made by
# the sign/pdf_gen fixture) always, the shared corpus when it is there.
GEN=${KYSO_PDF_GEN:?the generated PDF set (tests/CMakeLists.txt sets it)}
CORPUS=${KYSO_PDF_CORPUS:-}
PDFGEN_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../pdfgen" && pwd)

# have_shared_corpus: true when the shared corpus is there; else one line
# says the test runs on the generated set only (and fails where
# KYSO_PDF_CORPUS_REQUIRED=1, as CI sets: CI has the corpus).
have_shared_corpus() {
  [ -n "$CORPUS" ] && [ -d "$CORPUS" ] && return 0
  [ "${KYSO_PDF_CORPUS_REQUIRED:-0}" != 1 ] \
    || fail "no shared PDF corpus at '$CORPUS' and KYSO_PDF_CORPUS_REQUIRED=1"
  note "no shared PDF corpus at '${CORPUS}': the generated set only"
  return 1
}

p11() { ext pkcs11-tool --module "$MOD" "$@"; }
# Our own program runs as built (under ASan with leak checks too).
ks() { "$KS" "$@"; }

# make_pki: root and intermediate CA (software keys: they are the CA's).
make_pki() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/root.key" -out "$W/root.pem" \
    -subj "/C=VN/O=Kyso Test/CN=Kyso Test Root CA" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$W/int.key" -out "$W/int.csr" \
    -subj "/C=VN/O=Kyso Test/CN=Kyso Test Issuing CA" 2>/dev/null
  printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$W/int.ext"
  openssl x509 -req -in "$W/int.csr" -CA "$W/root.pem" -CAkey "$W/root.key" \
    -CAcreateserial -days 3650 -extfile "$W/int.ext" -out "$W/int.pem" 2>/dev/null
}

# signing_token SERIAL ID KEYTYPE CN: a token with a key pair and a
# certificate from the intermediate CA.
signing_token() {
  local serial=$1 id=$2 kt=$3 cn=$4
  make_token "$serial" --label "sign-$serial"
  change_default_pin "$serial"
  p11 --token-label "sign-$serial" --login --pin "$USER_PIN" --keypairgen \
    --key-type "$kt" --id "$id" --label "key$id" >/dev/null 2>&1
  case "$kt" in
    rsa:*)
      p11 --token-label "sign-$serial" --read-object --type pubkey --id "$id" \
        -o "$W/pub$id.der" >/dev/null 2>&1
      openssl pkey -pubin -inform DER -in "$W/pub$id.der" -out "$W/pub$id.pem" ;;
    *)
      GNUTLS_PIN=$USER_PIN ext p11tool --provider "$(realpath "$MOD")" --login \
        --export-pubkey "pkcs11:serial=$serial;id=%$id;type=public" \
        --outfile "$W/pub$id.pem" >/dev/null 2>&1 ;;
  esac
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$W/ee.ext"
  openssl req -utf8 -newkey rsa:2048 -nodes -keyout "$W/throwaway.key" -out "$W/ee.csr" \
    -subj "/C=VN/O=Cong ty Kyso/CN=$cn" 2>/dev/null
  openssl x509 -req -in "$W/ee.csr" -force_pubkey "$W/pub$id.pem" \
    -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial -days 365 \
    -extfile "$W/ee.ext" -outform DER -out "$W/cert$id.der" 2>/dev/null
  openssl x509 -inform DER -in "$W/cert$id.der" -out "$W/cert$id.pem"
  p11 --token-label "sign-$serial" --login --pin "$USER_PIN" --write-object "$W/cert$id.der" \
    --type cert --id "$id" --label "cert$id" >/dev/null 2>&1
}

# nss_db: an NSS database that trusts the test root (for pdfsig).
nss_db() {
  mkdir -p "$W/nss"
  certutil -N -d "sql:$W/nss" --empty-password
  certutil -A -d "sql:$W/nss" -n "kyso-test-root" -t "CT,C,C" -i "$W/root.pem"
  certutil -A -d "sql:$W/nss" -n "kyso-test-int" -t ",," -i "$W/int.pem"
}

# pdfsig_signer: a software key and a certificate from the intermediate
# CA ("Poppler Signer", after signing_token made ee.ext) in the NSS
# database, for pdfsig -add-signature -nick popsigner.
pdfsig_signer() {
  openssl req -newkey rsa:2048 -nodes -keyout "$W/pop.key" -out "$W/pop.csr" \
    -subj "/CN=Poppler Signer" 2>/dev/null
  openssl x509 -req -in "$W/pop.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
    -days 30 -extfile "$W/ee.ext" -out "$W/pop.pem" 2>/dev/null
  openssl pkcs12 -export -inkey "$W/pop.key" -in "$W/pop.pem" -out "$W/pop.p12" \
    -passout pass:x -name popsigner
  pk12util -i "$W/pop.p12" -d "sql:$W/nss" -W x >/dev/null
}

# pdfsig_ok FILE [N]: every signature valid and trusted (N signatures).
pdfsig_ok() {
  local f=$1 want=${2:-}
  local out
  out=$(pdfsig -nssdir "sql:$W/nss" "$f" 2>&1) || fail "pdfsig failed on $f: $out"
  # A here-string, not echo | grep -q: no pipeline to fail under load.
  grep -q "Signature Validation:" <<<"$out" || fail "pdfsig found no signature in $f: $out"
  if echo "$out" | grep "Signature Validation:" | grep -vq "Signature is Valid"; then
    fail "pdfsig: a signature in $f is not valid: $out"
  fi
  if [ -n "$want" ]; then
    local n
    n=$(echo "$out" | grep -c "Signature Validation:")
    [ "$n" = "$want" ] || fail "pdfsig counted $n signatures in $f, want $want"
  fi
  PDFSIG_OUT=$out
}

qpdf_ok() {
  local out rc=0
  out=$(qpdf --check "$1" 2>&1) || rc=$?
  # 0: no problem; 3: warnings only. Errors are 2.
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "qpdf --check $1 exited $rc: $out"
  assert_contains "$out" "No syntax or stream encoding errors found"
}

# cms_of FILE N: the CMS of the Nth signature (1 = first) and its signed
# bytes, extracted by /ByteRange with standard tools.
cms_of() {
  local f=$1 n=$2
  python3 - "$f" "$n" "$W/sig.der" "$W/signed.bin" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
n = int(sys.argv[2])
ms = list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', data))
a, b, c, d = map(int, ms[n - 1].groups())
hexs = data[a + b + 1:c - 1]
open(sys.argv[3], 'wb').write(bytes.fromhex(hexs.decode()))
open(sys.argv[4], 'wb').write(data[a:a + b] + data[c:c + d])
PY
}

openssl_verify_ok() {
  openssl cms -verify -binary -inform DER -in "$W/sig.der" -content "$W/signed.bin" \
    -CAfile "$W/root.pem" -purpose any -out /dev/null 2>"$W/ossl.err" \
    || fail "openssl cms -verify failed: $(cat "$W/ossl.err")"
}

# docts_ok FILE N ROOT UNTRUSTED: the Nth signature of FILE is a document
# time-stamp whose token openssl ts -verify accepts over the bytes its
# /ByteRange names, the TSA chained by UNTRUSTED to the trusted ROOT.
docts_ok() {
  cms_of "$1" "$2"
  openssl ts -verify -data "$W/signed.bin" -in "$W/sig.der" -token_in \
    -CAfile "$3" -untrusted "$4" >/dev/null 2>&1 ||
    fail "openssl ts -verify: the document time-stamp $2 of $1"
}

# big_pdf PATH MB: a valid one-page PDF of about MB megabytes (one large
# image stream of random bytes).
big_pdf() {
  python3 - "$1" "$2" <<'PY'
import os, sys
path, mb = sys.argv[1], int(sys.argv[2])
side = int((mb * 1024 * 1024 / 3) ** 0.5)
n = side * side * 3
objs = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im1 5 0 R>>>>/Contents 4 0 R>>"]
content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
with open(path, "wb") as f:
    offs = []; pos = 0
    def w(b):
        global pos; f.write(b); pos += len(b)
    w(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    for i, o in enumerate(objs):
        offs.append(pos); w(b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n")
    offs.append(pos); w(b"4 0 obj\n<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n")
    offs.append(pos); w(b"5 0 obj\n<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceRGB/BitsPerComponent 8/Length %d>>\nstream\n" % (side, side, n))
    chunk = os.urandom(1 << 20)
    left = n
    while left > 0:
        k = min(left, len(chunk)); w(chunk[:k]); left -= k
    w(b"\nendstream\nendobj\n")
    x = pos
    w(b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs))
    w(b"trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % x)
PY
}

# tsa_conf: a TSA certificate from the intermediate CA ("Kyso Test TSA")
# and an openssl ts config for it in $W/tsa.cnf (after make_pki).
tsa_conf() {
  openssl req -newkey rsa:2048 -nodes -keyout "$W/tsa.key" -out "$W/tsa.csr" \
    -subj "/C=VN/O=Kyso Test/CN=Kyso Test TSA" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' > "$W/tsa.ext"
  openssl x509 -req -in "$W/tsa.csr" -CA "$W/int.pem" -CAkey "$W/int.key" -CAcreateserial \
    -days 365 -extfile "$W/tsa.ext" -out "$W/tsa.pem" 2>/dev/null
  cat > "$W/tsa.cnf" <<CNF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = $W
serial = $W/tsaserial
signer_cert = $W/tsa.pem
signer_key = $W/tsa.key
certs = $W/int.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
  echo 01 > "$W/tsaserial"
}

# crl_pki NAME EXT: the PKI of the tests with validation data (B-LT and
# up). OCSP_PORT and HTTP_PORT get free ports; a root "Kyso NAME Root"
# and an intermediate "Kyso NAME Issuing CA" (make_pki's when NAME is
# empty), the intermediate naming the root's CRL (nothing revoked) as its
# distribution point, that CRL served over HTTP on HTTP_PORT; the file EXT
# gets the extensions of a signer for ocsp_signer (an AIA naming the OCSP
# responder on OCSP_PORT, which the test starts).
crl_pki() {
  local port='import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
  OCSP_PORT=$(python3 -c "$port")
  HTTP_PORT=$(python3 -c "$port")
  if [ -z "$1" ]; then
    make_pki
  else
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/root.key" -out "$W/root.pem" \
      -subj "/C=VN/O=Kyso Test/CN=Kyso $1 Root" -days 3650 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$W/int.key" -out "$W/int.csr" \
      -subj "/C=VN/O=Kyso Test/CN=Kyso $1 Issuing CA" 2>/dev/null
  fi
  printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\ncrlDistributionPoints=URI:http://127.0.0.1:%s/root.crl\n' \
    "$HTTP_PORT" > "$W/int.ext"
  openssl x509 -req -in "$W/int.csr" -CA "$W/root.pem" -CAkey "$W/root.key" -set_serial 0x1001 \
    -days 3650 -extfile "$W/int.ext" -out "$W/int.pem" 2>/dev/null
  mkdir -p "$W/www" "$W/rootca"
  : > "$W/rootca/index.txt"; echo 01 > "$W/rootca/crlnumber"
  printf '[ ca ]\ndefault_ca = root\n[ root ]\ndatabase = %s/rootca/index.txt\ncrlnumber = %s/rootca/crlnumber\ncertificate = %s/root.pem\nprivate_key = %s/root.key\ndefault_md = sha256\ndefault_crl_days = 30\n' \
    "$W" "$W" "$W" "$W" > "$W/rootca/ca.cnf"
  openssl ca -config "$W/rootca/ca.cnf" -gencrl -out "$W/rootca/crl.pem" 2>/dev/null
  openssl crl -in "$W/rootca/crl.pem" -outform DER -out "$W/www/root.crl"
  (cd "$W/www" && exec python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:%s\n' \
    "$OCSP_PORT" > "$2"
}

# ocsp_responder: the intermediate's OCSP responder (openssl ocsp) on
# OCSP_PORT, answering from $W/ocsp-index.txt; its pid in OCSP_PID.
ocsp_responder() {
  openssl ocsp -index "$W/ocsp-index.txt" -port "$OCSP_PORT" -rsigner "$W/int.pem" -rkey "$W/int.key" \
    -CA "$W/int.pem" -ignore_err >/dev/null 2>&1 &
  OCSP_PID=$!
}

# crl_pki_wait [FILE]: waits (20 s at most) until crl_pki's CRL is served
# and the OCSP responder answers for serial 0x2001, and FILE (a server's
# port file) is not empty.
crl_pki_wait() {
  for _ in $(seq 100); do
    { [ -z "${1:-}" ] || [ -s "$1" ]; } && curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/root.crl" &&
      openssl ocsp -issuer "$W/int.pem" -serial 0x2001 -url "http://127.0.0.1:$OCSP_PORT" -noverify >/dev/null 2>&1 &&
      return 0
    sleep 0.2
  done
}

# ocsp_signer SERIAL ID SUBJECT HEXSERIAL EXT: a token SERIAL (user PIN
# set) with an RSA key pair ID certified by the intermediate as SUBJECT
# ("Name" or "Name/UID=..."), serial 0xHEXSERIAL, with the extensions in
# the file EXT (an AIA naming the test's OCSP responder).
ocsp_signer() {
  make_token "$1" --label "sign-$1"
  change_default_pin "$1"
  p11 --token-label "sign-$1" --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 --id "$2" >/dev/null 2>&1
  p11 --token-label "sign-$1" --read-object --type pubkey --id "$2" -o "$W/pub$2.der" >/dev/null 2>&1
  openssl pkey -pubin -inform DER -in "$W/pub$2.der" -out "$W/pub$2.pem"
  openssl req -utf8 -newkey rsa:2048 -nodes -keyout "$W/tmp.key" -out "$W/ee.csr" -subj "/C=VN/CN=$3" 2>/dev/null
  openssl x509 -req -in "$W/ee.csr" -force_pubkey "$W/pub$2.pem" -CA "$W/int.pem" -CAkey "$W/int.key" \
    -set_serial "0x$4" -days 365 -extfile "$5" -outform DER -out "$W/cert$2.der" 2>/dev/null
  p11 --token-label "sign-$1" --login --pin "$USER_PIN" --write-object "$W/cert$2.der" --type cert --id "$2" >/dev/null 2>&1
}
