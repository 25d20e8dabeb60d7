#!/usr/bin/env python3
"""OCSP load: POSTs one DER request over and over from PROCS processes
(each one keep-alive connection, a new one when the server closes it) for
SECONDS and prints the responses per second. Every answer must be HTTP 200
with a successful OCSPResponse. Usage:
ocsp_client.py URL REQUEST.der SECONDS [PROCS]"""
import multiprocessing
import socket
import sys
import time
import urllib.parse

url = urllib.parse.urlparse(sys.argv[1])
req = open(sys.argv[2], "rb").read()
secs = float(sys.argv[3])
procs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
path = url.path or "/"
msg = (("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/ocsp-request\r\n"
        "Connection: keep-alive\r\nContent-Length: %d\r\n\r\n") % (path, url.hostname, url.port, len(req))).encode() + req
# responseStatus successful (0) right after the outer SEQUENCE's header
OK = (b"\x0a\x01\x00",)


def one(deadline, out):
    n = 0
    s = None
    buf = b""
    while time.perf_counter() < deadline:
        if s is None:
            s = socket.create_connection((url.hostname, url.port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buf = b""
        s.sendall(msg)
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise SystemExit("connection closed before an answer")
            buf += d
        head, _, buf = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        if b" 200 " not in lines[0]:
            raise SystemExit("HTTP: %r" % lines[0])
        clen = None
        # HTTP/1.0 (openssl ocsp's responder) closes unless told otherwise
        close = lines[0].startswith(b"HTTP/1.0")
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                clen = int(v)
            elif k == b"connection":
                close = v.strip().lower() != b"keep-alive"
        if clen is None:
            close = True
            while True:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            body, buf = buf, b""
        else:
            while len(buf) < clen:
                d = s.recv(65536)
                if not d:
                    raise SystemExit("short body")
                buf += d
            body, buf = buf[:clen], buf[clen:]
        hl = 2 if body[1] < 0x80 else 2 + (body[1] & 0x7f)
        if body[hl:hl + 3] != OK[0]:
            raise SystemExit("OCSP response status is not successful")
        n += 1
        if close:
            s.close()
            s = None
    out.put(n)


if __name__ == "__main__":
    q = multiprocessing.Queue()
    t0 = time.perf_counter()
    deadline = t0 + secs
    ps = [multiprocessing.Process(target=one, args=(deadline, q)) for _ in range(procs)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
        if p.exitcode != 0:
            sys.exit("a client process failed")
    total = sum(q.get() for _ in ps)
    print("%.0f" % (total / (time.perf_counter() - t0)))
