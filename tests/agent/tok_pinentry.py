#!/usr/bin/env python3
"""A scripted pinentry for the token side's tests: speaks enough Assuan for
kyso-agent, answers each CONFIRM or GETPIN with the next line of
$TOK_PE_DIR/answers ("ok", "cancel", "timeout", "hang", "pin:DIGITS") and
logs what each dialog showed to $TOK_PE_DIR/log ("pid N", then each
command with its argument unescaped, newlines as \\n)."""
import os
import sys
import time
import urllib.parse

D = os.environ["TOK_PE_DIR"]


def log(s):
    with open(os.path.join(D, "log"), "a", encoding="utf-8") as f:
        f.write(s + "\n")


def next_answer():
    """The next unused answer; the position is kept in a file because
    each dialog is a new process."""
    pos_file = os.path.join(D, "pos")
    pos = int(open(pos_file).read()) if os.path.exists(pos_file) else 0
    lines = open(os.path.join(D, "answers")).read().split("\n")
    with open(pos_file, "w") as f:
        f.write(str(pos + 1))
    return lines[pos].strip() if pos < len(lines) else "cancel"


def say(s):
    sys.stdout.write(s + "\n")
    sys.stdout.flush()


def main():
    log("pid %d" % os.getpid())
    say("OK Pleased to meet you")
    while True:
        raw = sys.stdin.readline()
        if not raw:
            return
        line = raw.rstrip("\r\n")
        cmd, _, arg = line.partition(" ")
        text = urllib.parse.unquote(arg)
        log("%s %s" % (cmd, text.replace("\n", "\\n")) if arg else cmd)
        if len(line) > 1000:
            say("ERR 83886138 Line too long")
            continue
        if cmd in ("CONFIRM", "GETPIN"):
            a = next_answer()
            log("answer " + a)
            if a == "hang":
                while True:
                    time.sleep(1)
            if a == "cancel":
                say("ERR 83886179 Operation cancelled <Pinentry>")
            elif a == "timeout":
                say("ERR 83886142 Timeout <Pinentry>")
            elif a.startswith("pin:"):
                say("D " + urllib.parse.quote(a[4:], safe=""))
                say("OK")
            else:
                say("OK")
        elif cmd == "BYE":
            say("OK closing connection")
            return
        else:
            say("OK")


main()
