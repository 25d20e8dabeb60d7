#!/usr/bin/env bash
# Issue 15 item 10: the CA over its lifetime. Under a root that ends in
# 400 days, the issuing CA ends then too: serve warns at start, /healthz
# says "expiring", and a 2-year certificate ends with the CA, not after
# it. Under an issuing CA that has expired, serve says so and completion
# is refused with a clear error (503 ca_expired, the code unspent, no
# certificate).
. "$(dirname "$0")/helpers.bash"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/root.key" 2>/dev/null
openssl req -x509 -new -key "$W/root.key" -subj "/C=VN/O=Bộ Thử/CN=Thử Root CA" -days 400 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$W/root.pem"
ra_init --root-cert "$W/root.pem" --root-key "$W/root.key"
ca_end=$(date -d "$(openssl x509 -in "$RA_HOME/ca.pem" -noout -enddate | cut -d= -f2)" +%s)
ra_serve main
csr "$W/k.pem" "$W/r.csr" -algorithm EC -pkeyopt ec_paramgen_curve:P-256

note "400 days left: a warning, healthz says expiring"
assert_contains "$(cat "$W/ra-main.log")" "warning: the issuing CA expires on"
api GET "$URL/healthz" ''; expect 200
assert_eq "$(jqo .ca)" expiring
assert_eq "$(jqo .ca_not_after)" "$ca_end"
note "a 2-year certificate ends with its CA"
op POST /api/v1/registrations "$(jq -c '.key_type = "p256" | .validity_years = 2' <<<"$PERSON")"; expect 201
sub POST /api/v1/activation/complete "{\"code\":\"$(mail_value "Activation code")\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"LT0001\"}"
expect 200
jqo .certificate > "$W/c.pem"
leaf_end=$(date -d "$(openssl x509 -in "$W/c.pem" -noout -enddate | cut -d= -f2)" +%s)
[ "$leaf_end" -le "$ca_end" ] || fail "the certificate ends $((leaf_end - ca_end)) s after its CA"
ext openssl verify -CAfile "$W/root.pem" -untrusted "$RA_HOME/ca.pem" "$W/c.pem" >/dev/null ||
  fail "the capped certificate does not verify"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"

note "an issuing CA that expired: serve says so, nothing is issued"
# the same issuing CA (subject, key) signed again by the root for 2020
openssl x509 -x509toreq -in "$RA_HOME/ca.pem" -signkey "$RA_HOME/ca-key.pem" -out "$W/ca.csr" 2>/dev/null
mkdir -p "$W/oca"; : > "$W/oca/index.txt"; echo 1000 > "$W/oca/serial"
cat > "$W/oca/ca.cnf" <<CNF
[ ca ]
default_ca = x
[ x ]
database = $W/oca/index.txt
new_certs_dir = $W/oca
serial = $W/oca/serial
default_md = sha256
policy = p
unique_subject = no
[ p ]
countryName = optional
organizationName = optional
commonName = supplied
[ e ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
openssl ca -batch -config "$W/oca/ca.cnf" -cert "$W/root.pem" -keyfile "$W/root.key" -in "$W/ca.csr" \
  -startdate 20200101000000Z -enddate 20210101000000Z -extensions e -preserveDN -notext \
  -out "$W/ca-old.pem" 2>/dev/null || fail "openssl ca"
cp "$W/ca-old.pem" "$RA_HOME/ca.pem"
URL=
ra_serve old
assert_contains "$(cat "$W/ra-old.log")" "the issuing CA is not valid now"
api GET "$URL/healthz" ''; expect 200
assert_eq "$(jqo .ca)" invalid
op POST /api/v1/registrations "$(jq -c '.key_type = "p256" | .id_number = "001099000888"' <<<"$PERSON")"; expect 201
rid=$(jqo .id)
code=$(mail_value "Activation code")
sub POST /api/v1/activation/complete "{\"code\":\"$code\",\"csr\":$(json_str "$W/r.csr"),\"token_serial\":\"LT0002\"}"
expect 503 ca_expired
assert_contains "$(cat "$W/ra-old.log")" "refusing to issue: the issuing CA is not valid now"
sub POST /api/v1/activation/lookup "{\"code\":\"$code\"}"; expect 200
assert_eq "$(sql_q "SELECT count(*) FROM certificates WHERE registration_id = $rid")" 0
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
