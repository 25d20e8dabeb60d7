#!/usr/bin/env python3
"""Drives kyso-agent's token side alone (`kyso-agent --tok-fd N`) over a
socketpair with the frames of src/agent/proto.h, the scripted pinentry
(pinentry_script) playing the user. Run by tok_sign.sh, which made the
tokens; usage: tok_drive.py AGENT WORKDIR KYSO_TOKEN USER_PIN.
Each case prints "case NAME" and fails with an exception."""
import hashlib
import os
import socket
import struct
import subprocess
import sys
import time

AGENT, W, KT, PIN = sys.argv[1:5]
PE = os.path.join(W, "pe")
STEP = os.path.join(W, "step")

P_CERTS, P_APPROVE, P_SIGN, P_CANCEL = 1, 2, 3, 4
P_CERTS_OK, P_APPROVE_OK, P_PROGRESS, P_ITEM, P_DONE, P_ERROR = 64, 65, 66, 67, 68, 69
OK, USER_CANCELLED, PIN_INCORRECT, PIN_LOCKED, TOKEN_ABSENT, CERT_EXPIRED = 0, 1, 2, 3, 4, 5
BUSY, BAD_REQUEST, TIMEOUT, NOT_FOUND, SIGN_FAILED = 7, 9, 10, 11, 12
PDF, XML, CMS = 1, 2, 3


def u32(v):
    """Fields are little-endian (common/buf.c); only the frame's length
    is big-endian (agent/proto.c)."""
    return struct.pack("<I", v)


def string(b):
    return u32(len(b)) + b


def cstring(s):
    return string(s.encode())


class Reader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def u8(self):
        self.o += 1
        return self.b[self.o - 1]

    def u32(self):
        self.o += 4
        return struct.unpack("<I", self.b[self.o - 4:self.o])[0]

    def i32(self):
        self.o += 4
        return struct.unpack("<i", self.b[self.o - 4:self.o])[0]

    def string(self):
        n = self.u32()
        self.o += n
        return self.b[self.o - n:self.o]


class Tok:
    """kyso-agent --tok-fd on one end of a socketpair we hold."""

    def __init__(self, lang=None):
        self.s, theirs = socket.socketpair()
        env = dict(os.environ)
        if lang:
            env["LANG"] = lang
        env["KYSO_PINENTRY"] = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "pinentry_script")
        env["KYSO_PINENTRY_SCRIPT"] = os.path.join(PE, "answers")
        env["KYSO_PINENTRY_LOG"] = os.path.join(PE, "log")
        fd = theirs.fileno()
        self.p = subprocess.Popen([AGENT, "--tok-fd", str(fd), "--test-step", STEP],
                                  pass_fds=(fd,), env=env)
        theirs.close()
        self.s.settimeout(60)

    def send(self, payload):
        self.s.sendall(struct.pack(">I", len(payload)) + payload)

    def recv(self):
        hdr = self._exact(4)
        if hdr is None:
            return None
        (n,) = struct.unpack(">I", hdr)
        r = Reader(self._exact(n))
        return r.u8(), r

    def _exact(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                if not b:
                    return None
                raise AssertionError("frame cut short")
            b += c
        return b

    def close(self):
        self.s.close()
        return self.p.wait(timeout=20)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def dialogs(answers):
    """A fresh pinentry script: its answers (OK, CANCEL, PIN n, CLOSE,
    SLEEP s), an empty log."""
    os.makedirs(PE, exist_ok=True)
    open(os.path.join(PE, "log"), "w").close()
    with open(os.path.join(PE, "answers"), "w") as f:
        f.write("\n".join(answers) + "\n")


def descs():
    return [l[5:] for l in pe_log().split("\n") if l.startswith("DESC ")]


def pe_log():
    p = os.path.join(PE, "log")
    return open(p, encoding="utf-8").read() if os.path.exists(p) else ""


def steps(ok):
    """The test-step files: present (no pause after items) or absent."""
    os.makedirs(STEP, exist_ok=True)
    for i in range(0, 110):
        p = os.path.join(STEP, "step.%d" % i)
        if ok:
            open(p, "w").close()
        elif os.path.exists(p):
            os.remove(p)


def sign_req(origin, cert_id, items):
    b = bytes([P_SIGN]) + cstring(origin) + cstring(cert_id) + u32(len(items))
    for kind, title, opts, data in items:
        b += bytes([kind]) + cstring(title) + cstring(opts) + string(data)
    return b


def batch_replies(t, n_items_expected=None):
    """Frames up to P_DONE: (progress, items {index: (code, msg, data)},
    done (code, tries, msg), others)."""
    progress, items, others = [], {}, []
    while True:
        f = t.recv()
        check(f is not None, "the token side closed during a batch")
        typ, r = f
        if typ == P_PROGRESS:
            progress.append((r.u32(), r.u8()))
        elif typ == P_ITEM:
            i = r.u32()
            items[i] = (r.i32(), r.string().decode(), r.string())
        elif typ == P_DONE:
            return progress, items, (r.i32(), r.u32(), r.string().decode()), others
        else:
            others.append((typ, r))


def pinentry_pid(t):
    """The pid of the dialog the token side started, once it runs."""
    for _ in range(200):
        out = subprocess.run(["pgrep", "-P", str(t.p.pid)], capture_output=True,
                             text=True).stdout.split()
        if out:
            time.sleep(0.3)     # into its SLEEP
            return int(out[0])
        time.sleep(0.05)
    raise AssertionError("no dialog was started")


def sign_three_until_first(t):
    """Three CMS items; returns once the first is signed (the token side
    then waits for step.0)."""
    dialogs(["OK", "PIN " + PIN])
    t.send(sign_req(ORIGIN, "", [(CMS, "a", "", b"a"), (CMS, "b", "", b"b"),
                                 (CMS, "c", "", b"c")]))
    while True:
        typ, r = t.recv()
        if typ == P_ITEM:
            check(r.u32() == 0 and r.i32() == OK, "item 0")
            return


PDF_IN = open(os.path.join(W, "in.pdf"), "rb").read()
XML_IN = open(os.path.join(W, "in.xml"), "rb").read()
CMS_IN = b"contract text to sign, detached\n"
CERT1 = open(os.path.join(W, "cert01.der"), "rb").read()
CERT2 = open(os.path.join(W, "cert02.der"), "rb").read()
ORIGIN = "https://econtract.example.vn"


def case(name):
    print("case " + name, flush=True)


t = Tok()

case("certificates: both tokens' signing certificates, no CA certificate")
t.send(bytes([P_CERTS]))
typ, r = t.recv()
check(typ == P_CERTS_OK, "P_CERTS_OK")
certs = {}
for _ in range(r.u32()):
    der, label, serial = r.string(), r.string().decode(), r.string().decode()
    certs[serial] = (der, label)
check(set(certs) == {"AG0001", "AG0002"}, "serials %r" % certs.keys())
check(certs["AG0001"] == (CERT1, "sign-AG0001"), "AG0001's certificate")
check(certs["AG0002"][0] == CERT2, "AG0002's certificate")

case("approve: the question, Allow")
dialogs(["OK"])
t.send(bytes([P_APPROVE]) + cstring(ORIGIN))
typ, r = t.recv()
check(typ == P_APPROVE_OK and r.u8() == 1, "allowed")
log = pe_log()
check("DESC %s wants to use your USB token for signing." % ORIGIN in log, log)
check("\nOK Allow\n" in log and "\nCANCEL Deny\n" in log, log)
check("TITLE kyso-agent" in log and "GETPIN" not in log, log)

case("approve: Deny; closed or left open: no answer")
dialogs(["CANCEL"])
t.send(bytes([P_APPROVE]) + cstring(ORIGIN))
typ, r = t.recv()
check(typ == P_APPROVE_OK and r.u8() == 0, "denied")
for script in (["CLOSE"], ["SLEEP 30", "OK"]):
    dialogs(script)
    t.send(bytes([P_APPROVE]) + cstring(ORIGIN))
    typ, r = t.recv()
    check(typ == P_APPROVE_OK and r.u8() == 2, "%r: no answer" % script)

case("approve: not an origin gets no dialog")
dialogs(["OK"])
t.send(bytes([P_APPROVE]) + cstring("https://a.example/path"))
typ, r = t.recv()
check(typ == P_ERROR and r.i32() == BAD_REQUEST, "BAD_REQUEST")
check(pe_log() == "", "a dialog was shown")

case("sign: a PDF, an XML invoice and a CMS item with one PIN")
steps(True)
dialogs(["OK", "PIN " + PIN])
items = [(PDF, "Hợp đồng số 1\n(line)", "level=B-B\nvisible=true\npage=0\nrect=50,50,250,120\n"
          "reason=Đồng ý ký hợp đồng\nlocation=Hà Nội\n", PDF_IN),
         (XML, "Hóa đơn 7", "id=\n", XML_IN),
         (CMS, "data", "", CMS_IN)]
t.send(sign_req(ORIGIN, "", items))
progress, got, done, others = batch_replies(t)
check(done[0] == OK, "done %r" % (done,))
check(progress[0] == (0, 1), "waiting first: %r" % progress)
check([got[i][0] for i in range(3)] == [OK, OK, OK], "items %r" % {i: got[i][:2] for i in got})
open(os.path.join(W, "out.pdf"), "wb").write(got[0][2])
open(os.path.join(W, "out.xml"), "wb").write(got[1][2])
open(os.path.join(W, "out.p7s"), "wb").write(got[2][2])
open(os.path.join(W, "cms.in"), "wb").write(CMS_IN)
check(got[0][2].startswith(PDF_IN), "the PDF's original bytes kept")
check(b"/Reason<FEFF01101ED3006E0067" in got[0][2], "the reason as UTF-16BE")
log = pe_log()
check(log.count("DIALOG GETPIN") == 1 and log.count("DIALOG CONFIRM") == 1, log)
desc = descs()[0]
check(ORIGIN + " asks you to sign 3 documents." in desc, desc)
check("Signer: Agent User (certificate serial " in desc, desc)
check("1. Hợp đồng số 1(line)  [SHA-256 %s]" % hashlib.sha256(PDF_IN).hexdigest()[:16] in desc, desc)
check("3. data  [SHA-256 %s]" % hashlib.sha256(CMS_IN).hexdigest()[:16] in desc, desc)
check("\nOK Sign\n" in log and 'the token "sign-AG0001"' in descs()[1], log)
check("PROMPT PIN" in log and PIN not in log, "the PIN was shown")

case("sign: more than ten items lists ten and says how many more")
dialogs(["CANCEL"])
many = [(CMS, "n%d" % i, "", b"x%d" % i) for i in range(13)]
many[0] = (CMS, "\u202e" + "ế" * 40, "", b"x0")    # a bidi override, 123 bytes
t.send(sign_req(ORIGIN, "", many))
progress, got, done, others = batch_replies(t)
check(done[0] == USER_CANCELLED and not got, "cancelled, nothing signed: %r %s" % (done, pe_log()))
desc = descs()[0]
check("10. n9" in desc and "11. n10" not in desc and "and 3 more" in desc, desc)
check("1. " + "ế" * 16 + "…  [SHA-256" in desc, "a long title cut whole: " + desc)
check("\ufffd" not in desc and "\u202e" not in desc, desc)
check("GETPIN" not in pe_log(), "a PIN was asked after Cancel")

case("sign: the page cancels while the dialog is open (the dialog closes)")
dialogs(["SLEEP 60", "OK", "PIN " + PIN])
t.send(sign_req(ORIGIN, "", items))
pid = pinentry_pid(t)
t.send(bytes([P_CERTS]))              # anything else meanwhile: BUSY
t.send(bytes([P_CANCEL]))
progress, got, done, others = batch_replies(t)
check(done[0] == USER_CANCELLED and not got, "done %r" % (done,))
check(len(others) == 1 and others[0][0] == P_ERROR and others[0][1].i32() == BUSY,
      "P_CERTS during the batch: BUSY")
check(not os.path.exists("/proc/%d" % pid) or
      open("/proc/%d/stat" % pid).read().split()[2] == "Z", "the pinentry still runs")

case("sign: a dialog left open past agent_dialog_timeout (5 s)")
dialogs(["OK", "SLEEP 30", "PIN " + PIN])
t.send(sign_req(ORIGIN, "", items))
progress, got, done, others = batch_replies(t)
check(done[0] == TIMEOUT and not got, "done %r" % (done,))

case("sign: a wrong PIN ends the batch with PIN_INCORRECT")
dialogs(["OK", "PIN 00000000"])
t.send(sign_req(ORIGIN, "", items))
progress, got, done, others = batch_replies(t)
check(done[0] == PIN_INCORRECT and not got, "done %r" % (done,))
check(done[1] in (1, 0xFFFFFFFF), "tries_left %r" % done[1])
print("tries_left after one wrong PIN: %#x" % done[1])

case("sign: cancelled between items: the rest USER_CANCELLED")
steps(False)
sign_three_until_first(t)
t.send(bytes([P_CANCEL]))
time.sleep(0.2)
steps(True)
progress, got, done, others = batch_replies(t)
check(done[0] == USER_CANCELLED, "done %r" % (done,))
check(got.get(1, (None,))[0] == USER_CANCELLED and got.get(2, (None,))[0] == USER_CANCELLED,
      "items %r" % got)

case("sign: the token unplugged mid-batch: the rest TOKEN_ABSENT")
steps(False)
sign_three_until_first(t)
subprocess.run([KT, "vtoken", "unplug", "AG0001"], check=True, stdout=subprocess.DEVNULL)
steps(True)
progress, got, done, others = batch_replies(t)
check(done[0] == TOKEN_ABSENT, "done %r" % (done,))
check(got[1][0] == TOKEN_ABSENT and got[2][0] == TOKEN_ABSENT, "items %r" % got)

case("sign: no token plugged in: TOKEN_ABSENT before any dialog")
subprocess.run([KT, "vtoken", "unplug", "AG0002"], check=True, stdout=subprocess.DEVNULL)
dialogs(["OK", "PIN " + PIN])
t.send(sign_req(ORIGIN, "", items))
progress, got, done, others = batch_replies(t)
check(done[0] == TOKEN_ABSENT and pe_log() == "", "done %r" % (done,))
subprocess.run([KT, "vtoken", "plug", "AG0001"], check=True, stdout=subprocess.DEVNULL)
subprocess.run([KT, "vtoken", "plug", "AG0002"], check=True, stdout=subprocess.DEVNULL)

case("sign: an expired certificate: CERT_EXPIRED before any dialog")
t.send(sign_req(ORIGIN, hashlib.sha256(CERT2).hexdigest(), items))
progress, got, done, others = batch_replies(t)
check(done[0] == CERT_EXPIRED and pe_log() == "", "done %r" % (done,))

case("sign: an unknown certificate id: NOT_FOUND")
t.send(sign_req(ORIGIN, "00" * 32, items))
progress, got, done, others = batch_replies(t)
check(done[0] == NOT_FOUND and pe_log() == "", "done %r" % (done,))

case("sign: the certificate by its id signs again after the replug")
dialogs(["OK", "PIN " + PIN])
t.send(sign_req(ORIGIN, hashlib.sha256(CERT1).hexdigest(), [(CMS, "a", "", b"a")]))
progress, got, done, others = batch_replies(t)
check(done[0] == OK and got[0][0] == OK, "done %r" % (done,))

case("sign: bad options: BAD_REQUEST, no dialog")
dialogs(["OK", "PIN " + PIN])
for opts in ("bogus=1\n", "level=B-T\n", "visible=true\n", "page=x\n",
             "reason=a\x1b[31mb\n", "location=" + "x" * 201 + "\n"):
    t.send(sign_req(ORIGIN, "", [(PDF, "p", opts, PDF_IN)]))
    progress, got, done, others = batch_replies(t)
    check(done[0] == BAD_REQUEST, "%r: done %r" % (opts, done))
t.send(sign_req(ORIGIN, "", [(CMS, "t" * 201, "", b"x")]))
check(batch_replies(t)[2][0] == BAD_REQUEST, "a long title")
check(pe_log() == "", "a dialog was shown")

case("sign: an item that cannot be signed fails alone (SIGN_FAILED)")
dialogs(["OK", "PIN " + PIN])
t.send(sign_req(ORIGIN, "", [(PDF, "not a pdf", "", b"hello"), (CMS, "b", "", b"b")]))
progress, got, done, others = batch_replies(t)
check(done[0] == OK and got[0][0] == SIGN_FAILED and got[1][0] == OK,
      "done %r items %r" % (done, {i: got[i][:2] for i in got}))

case("sign: not an origin: BAD_REQUEST, no dialog")
dialogs(["OK", "PIN " + PIN])
t.send(sign_req("https://x.example\nSigner: Someone Else", "", items))
check(batch_replies(t)[2][0] == BAD_REQUEST and pe_log() == "", "a bad origin")

case("a malformed frame: the token side drops the peer")
t.send(bytes([P_SIGN]) + cstring(ORIGIN))
check(t.recv() is None, "an answer to a malformed frame")
check(t.close() == 1, "exit status")

case("the peer closing between frames: a clean exit")
t = Tok()
check(t.close() == 0, "exit status")

case("the network side goes away during a dialog: it closes, nothing is signed")
t = Tok()
dialogs(["SLEEP 60", "OK", "PIN " + PIN])
t.send(sign_req(ORIGIN, "", items))
pid = pinentry_pid(t)
t.s.close()
t.p.wait(timeout=10)
check(not os.path.exists("/proc/%d" % pid), "the dialog outlived the token side's peer")

case("the network side goes away between items: the rest is not signed")
t = Tok()
steps(False)
sign_three_until_first(t)
t.s.close()
steps(True)
t.p.wait(timeout=10)
check(t.p.returncode in (0, 1), "exit status %r" % t.p.returncode)

case("the dialogs in Vietnamese (LANG=vi_VN.UTF-8)")
t = Tok("vi_VN.UTF-8")
dialogs(["OK", "CANCEL"])
t.send(bytes([P_APPROVE]) + cstring(ORIGIN))
typ, r = t.recv()
check(typ == P_APPROVE_OK and r.u8() == 1, "allowed")
t.send(sign_req(ORIGIN, "", items))
check(batch_replies(t)[2][0] == USER_CANCELLED, "cancelled")
log = pe_log()
check("DESC %s muốn dùng USB Token của bạn để ký số." % ORIGIN in log, log)
check("\nOK Cho phép\n" in log and "\nCANCEL Từ chối\n" in log, log)
check("%s đề nghị bạn ký 3 tài liệu." % ORIGIN in log and "\nOK Ký\n" in log, log)
check(t.close() == 0, "exit status")

def getpin_error():
    """The ERROR line the last PIN dialog showed, or None."""
    block = pe_log().split("DIALOG GETPIN\n")[-1].split("END\n")[0]
    for ln in block.splitlines():
        if ln.startswith("ERROR "):
            return ln[6:]
    return None


case("sign: wrong PINs down to the lock: tries_left 1, then 0, then PIN_LOCKED at once;"
     " the PIN dialog says the tries left in kyso-token's words")
t = Tok()
for k in range(1, 6):          # the token allows five
    dialogs(["OK", "PIN 00000000"])
    t.send(sign_req(ORIGIN, "", items))
    done = batch_replies(t)[2]
    check(done[0] == PIN_INCORRECT, "try %d: %r" % (k, done))
    want = {4: 1, 5: 0}.get(k, 0xFFFFFFFF)
    check(done[1] == want, "try %d: tries_left %#x, want %#x" % (k, done[1], want))
    said = {1: None, 5: "One try is left before the PIN locks."}.get(
        k, "The token counts wrong PINs: a few more and it locks.")
    check(getpin_error() == said, "try %d: the PIN dialog said %r, want %r"
          % (k, getpin_error(), said))
    if k == 4:                 # the final try, in Vietnamese: cancelled
        vi = Tok("vi_VN.UTF-8")
        dialogs(["OK", "CANCEL"])
        vi.send(sign_req(ORIGIN, "", items))
        check(batch_replies(vi)[2][0] == USER_CANCELLED, "vi: cancelled")
        check(getpin_error() == "Chỉ còn một lần thử trước khi mã PIN bị khóa.",
              "vi: the PIN dialog said %r" % getpin_error())
        check(vi.close() == 0, "vi: exit status")
dialogs(["OK", "PIN " + PIN])
t.send(sign_req(ORIGIN, "", items))
done = batch_replies(t)[2]
check(done[0] == PIN_LOCKED and pe_log() == "", "locked: %r" % (done,))
check(t.close() == 0, "exit status")

print("all cases passed")
