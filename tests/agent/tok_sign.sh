#!/usr/bin/env bash
# kyso-agent's token side alone (`kyso-agent --tok-fd N`, no network
# side) driven with frames by tok_drive.py and a scripted pinentry:
# certificates, the origin question, a batch of a PDF (with a Vietnamese
# reason and location), an XML invoice and a CMS item with one PIN (each
# result checked by pdfsig, kyso-sign verify, xmlsec1 and openssl cms),
# Cancel, cancel while a dialog is open
# (the dialog closes), a dialog timeout, a wrong PIN, cancel between
# items, the token unplugged mid-batch, an expired certificate, bad
# options, an item that cannot be signed, a malformed frame.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"

AGENT=$BIN/kyso-agent
echo "agent_dialog_timeout = 5" > "$KYSO_HOME/kyso.conf"
make_pki
signing_token AG0001 01 EC:prime256v1 "Agent User"
nss_db
# The issuing CA beside the key: the signer embeds it, the listing skips it.
openssl x509 -in "$W/int.pem" -outform DER -out "$W/int.der"
p11 --token-label sign-AG0001 --login --pin "$USER_PIN" --write-object "$W/int.der" \
  --type cert --id 0a --label issuer >/dev/null 2>&1

note "a second token whose certificate expired"
signing_token AG0002 02 rsa:2048 "Expired User"
p11 --token-label sign-AG0002 --login --pin "$USER_PIN" --delete-object \
  --type cert --id 02 >/dev/null 2>&1
python3 - "$W" <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
w = sys.argv[1]
ca = x509.load_pem_x509_certificate(open(w + "/int.pem", "rb").read())
key = serialization.load_pem_private_key(open(w + "/int.key", "rb").read(), None)
pub = serialization.load_pem_public_key(open(w + "/pub02.pem", "rb").read())
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Expired User")]))
        .issuer_name(ca.subject).public_key(pub).serial_number(4242)
        .not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2021, 1, 1))
        .sign(key, hashes.SHA256()))
open(w + "/cert02.der", "wb").write(cert.public_bytes(serialization.Encoding.DER))
EOF
p11 --token-label sign-AG0002 --login --pin "$USER_PIN" --write-object "$W/cert02.der" \
  --type cert --id 02 --label cert02 >/dev/null 2>&1

gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in.pdf" -c showpage showpage >/dev/null 2>&1
printf '<?xml version="1.0"?>\n<HDon><DLHDon Id="data"><SHDon>7</SHDon></DLHDon></HDon>\n' > "$W/in.xml"

python3 "$(dirname "$0")/tok_drive.py" "$AGENT" "$W" "$KT" "$USER_PIN" > "$W/drive.out" 2>&1 \
  || fail "tok_drive.py: $(cat "$W/drive.out")"
cat "$W/drive.out"

note "the signed results verify"
pdfsig_ok "$W/out.pdf" 1
ks verify "$W/out.pdf" --trust "$W/root.pem" > "$W/v.txt" || fail "kyso-sign verify: $(cat "$W/v.txt")"
assert_contains "$(cat "$W/v.txt")" "Agent User"
assert_contains "$(cat "$W/v.txt")" "integrity: intact"
assert_contains "$(cat "$W/v.txt")" "reason:    Đồng ý ký hợp đồng"
assert_contains "$(cat "$W/v.txt")" "location:  Hà Nội"
cat "$W/root.pem" "$W/int.pem" > "$W/both.pem"
openssl cms -verify -binary -inform DER -in "$W/out.p7s" -content "$W/cms.in" \
  -CAfile "$W/both.pem" -purpose any -out /dev/null 2>"$W/e" || fail "openssl cms: $(cat "$W/e")"
xmlsec1 --verify --trusted-pem "$W/root.pem" --untrusted-pem "$W/int.pem" "$W/out.xml" >"$W/e" 2>&1 \
  || fail "xmlsec1: $(cat "$W/e")"
pass
