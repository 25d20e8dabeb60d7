#!/usr/bin/env bash
# PAdES B-LTA: `kyso-sign pdf --lta` signs B-LT (the signer's chain and
# the signature time-stamp's TSA with their OCSP responses or CRLs in the
# DSS, a /VRI entry for the signature) and then appends a document
# time-stamp over the whole file from kyso-ra's TSA; `kyso-sign extend`
# does the same for a B-T file and, run again on a B-LTA one, adds a fresh
# DSS update and a second archive time-stamp. pdfsig, openssl ts -verify
# and qpdf accept every output; kyso-sign verify reports B-LTA with the
# archive time-stamp's time; a byte changed after extend is INVALID; an
# unsigned file and an INVALID one are refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../ra_lib.sh"

[ -x "$RA" ] || fail "kyso-ra is not built"

note "the signer's PKI: an OCSP responder (openssl ocsp) and the root's CRL over HTTP"
crl_pki LTA "$W/ee.ext"
ocsp_signer LA0001 01 "Le Thi H" 2001 "$W/ee.ext"
# Another program's signer: poppler's pdfsig with a key in NSS, its
# certificate from the same CA and responder.
nss_db
pdfsig_signer
pop_serial=$(openssl x509 -in "$W/pop.pem" -noout -serial | cut -d= -f2)
exp=$(date -u -d '+1 year' +%y%m%d%H%M%SZ)
{
  printf 'V\t%s\t\t2001\tunknown\t/C=VN/CN=Le Thi H\n' "$exp"
  printf 'V\t%s\t\t%s\tunknown\t/CN=Poppler Signer\n' "$exp" "$pop_serial"
} > "$W/ocsp-index.txt"
ocsp_responder
crl_pki_wait

note "kyso-ra: the time-stamps, and the revocation data of its TSA's issuing CA"
# --public-url at init: the issuing CA names kyso-ra's root CRL.
RA_PORT=$(free_port)
RA_INIT_ARGS=(--public-url "http://127.0.0.1:$RA_PORT")
ra_start
TSA=$RA_URL/tsa
# The signer's chain and kyso-ra's root: the TSA's issuing CA is judged
# by kyso-ra's root CRL.
cat "$W/int.pem" "$W/root.pem" "$RA_HOME/root.pem" > "$W/chain.pem"
cat "$W/root.pem" "$RA_HOME/root.pem" > "$W/anchors.pem"
certutil -A -d "sql:$W/nss" -n "kyso-ra-root" -t "CT,C,C" -i "$RA_HOME/root.pem"

gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/doc.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong luu tru) show showpage" >/dev/null 2>&1

# pdfsig_lta FILE N: pdfsig finds N signatures, the first valid and
# trusted, the last covering the whole file. (poppler does not validate
# ETSI.RFC3161 document time-stamps: "Unable to validate this type of
# signature"; openssl ts -verify checks them below.)
pdfsig_lta() {
  local out n
  out=$(pdfsig -nssdir "sql:$W/nss" "$1" 2>&1) || true
  n=$(grep -c "Signature Validation:" <<<"$out")
  [ "$n" = "$2" ] || fail "pdfsig counted $n signatures in $1, want $2: $out"
  python3 - "$out" <<'PY' || fail "pdfsig on $1: $out"
import re, sys
sigs = re.split(r'Signature #\d+:', sys.argv[1])[1:]
assert "Signature is Valid" in sigs[0] and "Certificate is Trusted" in sigs[0], sigs[0]
assert "Total document signed" in sigs[-1], sigs[-1]
for s in sigs[1:]:
    assert "ETSI.CAdES.detached" not in s, s
PY
}

# lta_ts_ok FILE N: docts_ok with kyso-ra's TSA chain.
lta_ts_ok() { docts_ok "$1" "$2" "$RA_HOME/root.pem" "$RA_HOME/ca.pem"; }

# dss_check FILE: the DSS holds Certs, OCSPs, CRLs and a /VRI entry
# (SHA-1 of the first signature's /Contents) naming its certificates and
# OCSP responses; prints the number of VRI entries.
dss_check() {
  python3 - "$1" <<'PY' || fail "DSS contents of $1"
import hashlib, re, sys
d = open(sys.argv[1], 'rb').read()
def obj(num):
    return list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(<<.*?>>)\s*(?:stream|endobj)' % num, d, re.S))[-1].group(1)
cat_dss = re.findall(rb'/DSS\s+(\d+)\s+0\s+R', d)
assert cat_dss, "no /DSS in the catalog"
dss = obj(int(cat_dss[-1]))
for key in (b'Certs', b'OCSPs', b'CRLs', b'VRI'):
    assert b'/' + key in dss, (key, dss)
contents = re.search(rb'/Contents\s*<([0-9A-Fa-f]+)>', d).group(1)
key = hashlib.sha1(bytes.fromhex(contents.decode())).hexdigest().upper().encode()
m = re.search(rb'/' + key + rb'\s*<<(.*?)>>', dss, re.S)
assert m, ("no VRI entry for the signature", key, dss)
assert b'/Cert' in m.group(1) and b'/OCSP' in m.group(1), m.group(1)
def stream(num):
    m = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*<<(.*?)>>\s*stream\n' % num, d, re.S))[-1]
    n = int(re.search(rb'/Length (\d+)', m.group(1)).group(1))
    return d[m.end():m.end() + n]
crls = re.search(rb'/CRLs\s*\[([^\]]*)\]', dss).group(1)
for i, num in enumerate(re.findall(rb'(\d+) 0 R', crls)):
    open('%s.crl%d.der' % (sys.argv[1], i), 'wb').write(stream(int(num)))
print(len(re.findall(rb'/[0-9A-F]{40}\s*<<', dss)))
PY
}

# crl_issuers FILE: the issuers of the CRLs dss_check found in FILE's DSS.
crl_issuers() {
  local f
  for f in "$1".crl*.der; do openssl crl -inform DER -in "$f" -noout -issuer; done
}

note "sign --lta: B-LT, then a document time-stamp"
ks pdf "$W/doc.pdf" -o "$W/lta.pdf" --lta --tsa "$TSA" --token LA0001 --pin-fd 3 \
  --chain "$W/chain.pem" 3<<<"$USER_PIN" >/dev/null || fail "signing B-LTA failed"
pdfsig_lta "$W/lta.pdf" 2
qpdf_ok "$W/lta.pdf"
cms_of "$W/lta.pdf" 1
openssl_verify_ok
lta_ts_ok "$W/lta.pdf" 2
[ "$(grep -ac '/Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161' "$W/lta.pdf")" = 1 ] ||
  fail "no document time-stamp dictionary"
dss_check "$W/lta.pdf" >/dev/null
issuers=$(crl_issuers "$W/lta.pdf")
assert_contains "$issuers" "Kyso LTA Root"
assert_contains "$issuers" "kyso Test CA Root CA"
ls "$W" | grep -q "\.tmp" && fail "a temp file was left"
assert_exit 0 ks verify "$W/lta.pdf" --trust "$W/anchors.pem"
assert_contains "$OUT" "level:     B-LTA"
assert_contains "$OUT" "archived:"
assert_contains "$OUT" "level:     document time-stamp"
assert_not_contains "$OUT" "INDETERMINATE"
assert_exit 0 ks verify "$W/lta.pdf" --trust "$W/anchors.pem" --json
python3 - "$OUT" <<'PY' || fail "B-LTA in JSON: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert [x["level"] for x in s] == ["B-LTA", "document time-stamp"], s
assert s[0]["archive_timestamp"] == s[1]["timestamp"] and s[0]["archive_timestamp"], s
assert [x["verdict"] for x in s] == ["VALID", "VALID"], s
PY
# The time-stamp must cover the DSS: B-LT alone stays B-LT.
ks pdf "$W/doc.pdf" -o "$W/lt.pdf" --lt --tsa "$TSA" --token LA0001 --pin-fd 3 \
  --chain "$W/chain.pem" 3<<<"$USER_PIN" >/dev/null || fail "signing B-LT failed"
assert_exit 0 ks verify "$W/lt.pdf" --trust "$W/anchors.pem" --json
assert_contains "$OUT" '"level": "B-LT"'
assert_contains "$OUT" '"archive_timestamp": null'

note "extend a B-T file"
ks pdf "$W/doc.pdf" -o "$W/bt.pdf" --tsa "$TSA" --token LA0001 --pin-fd 3 \
  --chain "$W/int.pem" 3<<<"$USER_PIN" >/dev/null || fail "signing B-T failed"
assert_exit 0 ks extend "$W/bt.pdf" --tsa "$TSA" --chain "$W/chain.pem"
assert_contains "$OUT" "bt.pdf -> $W/bt.lta.pdf"
cmp -n "$(stat -c %s "$W/bt.pdf")" "$W/bt.pdf" "$W/bt.lta.pdf" || fail "extend changed the signed bytes"
pdfsig_lta "$W/bt.lta.pdf" 2
qpdf_ok "$W/bt.lta.pdf"
lta_ts_ok "$W/bt.lta.pdf" 2
dss_check "$W/bt.lta.pdf" >/dev/null
# The signer's chain (its root's CRL) and the TSA's: kyso-ra's root CRL for
# its issuing CA.
issuers=$(crl_issuers "$W/bt.lta.pdf")
assert_contains "$issuers" "Kyso LTA Root"
assert_contains "$issuers" "kyso Test CA Root CA"
assert_exit 0 ks verify "$W/bt.lta.pdf" --trust "$W/anchors.pem"
assert_contains "$OUT" "level:     B-LTA"
assert_contains "$OUT" "revocation in the document: good"

note "extend again: a fresh DSS update and a second archive time-stamp over the first"
sleep 1
assert_exit 0 ks extend "$W/bt.lta.pdf" -o "$W/bt.lta2.pdf" --tsa "$TSA" --chain "$W/chain.pem"
pdfsig_lta "$W/bt.lta2.pdf" 3
qpdf_ok "$W/bt.lta2.pdf"
lta_ts_ok "$W/bt.lta2.pdf" 2
lta_ts_ok "$W/bt.lta2.pdf" 3
# VRI entries: the signature and the first document time-stamp.
[ "$(dss_check "$W/bt.lta2.pdf")" = 2 ] || fail "the second DSS update has no VRI entry for the first time-stamp"
assert_exit 0 ks verify "$W/bt.lta2.pdf" --trust "$W/anchors.pem" --json
python3 - "$OUT" <<'PY' || fail "two archive time-stamps: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
assert [x["level"] for x in s] == ["B-LTA", "document time-stamp", "document time-stamp"], s
assert s[0]["archive_timestamp"] == s[2]["timestamp"], s
assert all(x["verdict"] == "VALID" for x in s), s
PY
# The same on a file kyso signed B-LTA.
assert_exit 0 ks extend "$W/lta.pdf" --outdir "$W/www" --tsa "$TSA" --chain "$W/chain.pem"
pdfsig_lta "$W/www/lta.pdf" 3

note "extend another program's signature (pdfsig -add-signature, no time-stamp)"
pdfsig -nssdir "sql:$W/nss" -add-signature -nick popsigner "$W/doc.pdf" "$W/pop.pdf" >/dev/null 2>&1 || true
[ -s "$W/pop.pdf" ] || fail "pdfsig -add-signature wrote nothing"
assert_exit 0 ks extend "$W/pop.pdf" --tsa "$TSA" --chain "$W/chain.pem"
pdfsig_lta "$W/pop.lta.pdf" 2
qpdf_ok "$W/pop.lta.pdf"
lta_ts_ok "$W/pop.lta.pdf" 2
dss_check "$W/pop.lta.pdf" >/dev/null
assert_exit 0 ks verify "$W/pop.lta.pdf" --trust "$W/anchors.pem" --json
python3 - "$OUT" <<'PY' || fail "pdfsig's signature extended: $OUT"
import json, sys
s = json.loads(sys.argv[1])[0]["signatures"]
# Not time-stamped, so not B-LT/B-LTA: its level stays what it is.
assert s[0]["level"] not in ("B-LT", "B-LTA") and s[0]["archive_timestamp"] is None, s
assert [x["verdict"] for x in s] == ["VALID", "VALID"], s
PY

note "a byte changed after extend: INVALID"
python3 - "$W/bt.lta2.pdf" "$W/tampered.pdf" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.index(b'Hop dong') if b'Hop dong' in d else d.index(b'/MediaBox') + 12
d[i] ^= 0x01
open(sys.argv[2], 'wb').write(bytes(d))
PY
assert_exit 1 ks verify "$W/tampered.pdf" --trust "$W/anchors.pem"
assert_contains "$OUT" "result:    INVALID"
assert_not_contains "$OUT" "B-LTA"

note "refused: an unsigned PDF, an INVALID signature, no --tsa"
assert_exit 1 ks extend "$W/doc.pdf" -o "$W/x.pdf" --tsa "$TSA"
assert_contains "$OUT" "not signed"
assert_exit 1 ks extend "$W/tampered.pdf" -o "$W/y.pdf" --tsa "$TSA" --chain "$W/chain.pem"
assert_contains "$OUT" "INVALID"
qpdf --encrypt u o 256 -- "$W/bt.pdf" "$W/enc.pdf"
assert_exit 1 ks extend "$W/enc.pdf" -o "$W/e.pdf" --tsa "$TSA"
assert_contains "$OUT" "not extended"
[ ! -e "$W/e.pdf" ] || fail "an encrypted file was extended"
assert_exit 2 ks extend "$W/bt.pdf" -o "$W/z.pdf"
assert_contains "$OUT" "--tsa"
[ ! -e "$W/x.pdf" ] && [ ! -e "$W/y.pdf" ] && [ ! -e "$W/z.pdf" ] || fail "an output was left for a refused file"
assert_exit 2 ks pdf "$W/doc.pdf" --lta --token LA0001 </dev/null
assert_contains "$OUT" "--lta needs a time-stamp"
pass
