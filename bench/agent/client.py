#!/usr/bin/env python3
"""bench/agent's HTTP client: signs PDFs through kyso-agent as a page does
(POST /v1/sign, then poll GET /v1/jobs/<id> until the end) and prints the
milliseconds from the POST to the last answer and, of those, the ones
until the dialogs were answered (the job past waiting_user): the run of
RUNS with the least time outside the dialogs.

Usage: client.py PORT ORIGIN RUNS OUTDIR FILE...
The origin must be allowed already ($KYSO_HOME/agent/origins) and the
pinentry scripted to answer each batch (OK, then the PIN)."""
import base64
import http.client
import json
import os
import sys
import time


def call(conn, method, path, origin, body=None):
    headers = {"Origin": origin, "Host": conn.host_header}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    text = r.read()
    if r.status >= 300:
        raise SystemExit("bench/agent: %s %s: %d %s" % (method, path, r.status, text[:300]))
    return json.loads(text)


def batch(port, origin, items):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.host_header = "127.0.0.1:%d" % port
    t0 = time.perf_counter()
    job = call(conn, "POST", "/v1/sign", origin, {"items": items})["job"]
    answered = None
    while True:
        st = call(conn, "GET", "/v1/jobs/" + job, origin)
        if answered is None and st["state"] != "waiting_user":
            answered = time.perf_counter()
        if st["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.001)
    t1 = time.perf_counter()
    conn.close()
    if st["state"] != "done" or not all(r.get("ok") for r in st["results"]):
        raise SystemExit("bench/agent: the batch did not sign: %s" % json.dumps(st)[:300])
    # The dialogs: from the POST to the first answer past waiting_user
    # (the scripted user answers at once; a real one takes seconds).
    return (t1 - t0) * 1000.0, (answered - t0) * 1000.0, st["results"]


def main():
    port, origin, runs, outdir = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    files = sys.argv[5:]
    items = [{"type": "pdf", "title": os.path.basename(f),
              "data": base64.b64encode(open(f, "rb").read()).decode()} for f in files]
    best = None
    for _ in range(runs):
        ms, dialogs, results = batch(port, origin, items)
        if best is None or ms - dialogs < best[0] - best[1]:
            best = (ms, dialogs)
    for f, r in zip(files, results):
        with open(os.path.join(outdir, os.path.basename(f)), "wb") as out:
            out.write(base64.b64decode(r["data"]))
    print("%.1f %.1f" % best)


if __name__ == "__main__":
    main()
