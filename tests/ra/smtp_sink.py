#!/usr/bin/env python3
"""A minimal SMTP server for the tests: stores each message it receives as
DIR/<n>.eml (with the envelope in DIR/<n>.env) and writes its port to
PORTFILE. Usage: smtp_sink.py DIR PORTFILE"""
import asyncore
import os
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import smtpd  # noqa: E402  (Python 3.11, Debian 12)


class Sink(smtpd.SMTPServer):
    n = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        Sink.n += 1
        base = os.path.join(sys.argv[1], str(Sink.n))
        with open(base + ".env", "w") as f:
            f.write("from %s\nto %s\n" % (mailfrom, " ".join(rcpttos)))
        with open(base + ".eml", "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


s = Sink(("127.0.0.1", 0), None, decode_data=False)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(s.socket.getsockname()[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
asyncore.loop()
