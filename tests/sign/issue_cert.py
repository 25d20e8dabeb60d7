"""issue_cert.py W PUB.pem OUT.der SERIAL DAYS_FROM DAYS_TO CN [UID]:
a certificate for a key on the token, issued by the test intermediate CA
(W/int.pem, W/int.key), valid from DAYS_FROM to DAYS_TO days from now
(negative: in the past): what a renewal or a change of details leaves
beside an older certificate."""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

w, pub, out, serial, d_from, d_to, cn = sys.argv[1:8]
uid = sys.argv[8] if len(sys.argv) > 8 else None
ca = x509.load_pem_x509_certificate(open(w + "/int.pem", "rb").read())
key = serialization.load_pem_private_key(open(w + "/int.key", "rb").read(), None)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
names = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cong ty Kyso")]
if uid:
    names.append(x509.NameAttribute(NameOID.USER_ID, uid))
names.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name(names)).issuer_name(ca.subject)
        .public_key(serialization.load_pem_public_key(open(pub, "rb").read()))
        .serial_number(int(serial, 16))
        .not_valid_before(now + datetime.timedelta(days=int(d_from)))
        .not_valid_after(now + datetime.timedelta(days=int(d_to)))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False,
                                     False, False, False), True)
        .sign(key, hashes.SHA256()))
open(out, "wb").write(cert.public_bytes(serialization.Encoding.DER))
