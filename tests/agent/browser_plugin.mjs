// kyso-plugin.js alone, in Debian's chromium, against a stand-in agent (a
// small node server that answers as the contract says): how the module
// turns what a browser lets a page see into its error codes, its progress
// callbacks, cancel and abort, base64 both ways, its own limits. The real
// agent's cases are browser_sign.mjs.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { pageServer, launch, openPage, runner } from "./browser_lib.mjs";

// The stand-in: origins in `allowed` get ACAO; others a bare 403. A batch
// whose first title is "wrong-pin" fails with PIN_INCORRECT (2 tries
// left), "slow" waits for a cancel; others echo each item's data reversed.
const allowed = new Set();
const jobs = new Map();
const seen = [];
function stub(req, res) {
  const origin = req.headers.origin;
  seen.push(`${req.method} ${req.url} ${origin || "-"}`);
  const json = (status, obj) => {
    const h = { "Content-Type": "application/json" };
    if (origin && allowed.has(origin)) Object.assign(h, { "Access-Control-Allow-Origin": origin, Vary: "Origin" });
    res.writeHead(status, h);
    res.end(JSON.stringify(obj));
  };
  if (!origin) return json(403, { error: { code: "ORIGIN_DENIED", message: "no Origin" } });
  if (req.method === "OPTIONS") {
    if (!allowed.has(origin)) { res.writeHead(403); res.end(); return; }
    res.writeHead(204, { "Access-Control-Allow-Origin": origin, Vary: "Origin",
      "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type" });
    res.end();
    return;
  }
  if (req.url === "/v1/hello") {
    res.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": origin, Vary: "Origin" });
    res.end(JSON.stringify({ agent: "kyso-agent", version: "0.1.0", api: 1,
      features: ["pdf", "xml", "cms", "batch", "progress", "cancel"], approved: allowed.has(origin) }));
    return;
  }
  if (!allowed.has(origin)) return json(403, { error: { code: "ORIGIN_DENIED", message: "denied" } });
  let body = "";
  req.on("data", (c) => { body += c; });
  req.on("end", () => {
    if (req.url === "/v1/certificates") return json(200, { certificates: [{ id: "ab".repeat(32), common_name: "Nguyen Van A" }] });
    if (req.url === "/v1/sign") {
      const b = JSON.parse(body);
      const id = String(jobs.size + 1).padStart(32, "0");
      jobs.set(id, { items: b.items, polls: 0, cancelled: false });
      return json(202, { job: id, total: b.items.length });
    }
    const m = req.url.match(/^\/v1\/jobs\/([0-9a-f]{32})(\/cancel)?$/);
    const j = m && jobs.get(m[1]);
    if (!j) return json(404, { error: { code: "NOT_FOUND", message: "no such job" } });
    if (m[2]) { j.cancelled = true; return json(200, { job: m[1], state: "cancelled" }); }
    const n = j.items.length;
    const first = j.items[0].title;
    j.polls++;
    if (j.cancelled) return json(200, { job: m[1], state: "cancelled", done: 0, total: n, results: [],
      error: { code: "USER_CANCELLED", message: "cancelled" } });
    if (first === "wrong-pin") return json(200, { job: m[1], state: "failed", done: 0, total: n, results: [],
      error: { code: "PIN_INCORRECT", message: "wrong PIN", tries_left: 2 } });
    if (first === "slow" || j.polls === 1) return json(200, { job: m[1], state: "waiting_user", done: 0, total: n, results: [] });
    const done = Math.min(n, j.polls - 1);
    const results = j.items.slice(0, done).map((it, i) => (it.title === "bad"
      ? { index: i, ok: false, error: { code: "SIGN_FAILED", message: "encrypted" } }
      : { index: i, ok: true, data: Buffer.from(Buffer.from(it.data, "base64").reverse()).toString("base64") }));
    return json(200, { job: m[1], state: done === n ? "done" : "signing", done, total: n, results });
  });
}

const t = runner();
const agentSrv = createServer(stub);
await new Promise((r) => agentSrv.listen(0, "127.0.0.1", r));
const PORT = agentSrv.address().port;
const A = await pageServer();
const br = await launch();
try {
  const page = await openPage(br, A, PORT, "en");

  await t.step("hello() before approval", async () => {
    const h = await page.evaluate(() => window.app.hello());
    assert.equal(h.approved, false);
  });

  await t.step("a refused origin (no ACAO): ORIGIN_DENIED, told from a stopped agent by an opaque probe", async () => {
    const r = await page.evaluate(() => window.app.certificates());
    assert.equal(r.error.code, "ORIGIN_DENIED", JSON.stringify(r));
    assert.ok(seen.some((s) => s.startsWith("GET /v1/hello -")), "no opaque probe: " + seen.join("; "));
  });

  await t.step("nothing listening: AGENT_NOT_RUNNING", async () => {
    const r = await page.evaluate(async () => {
      const a = new window.app.kyso.KysoAgent({ port: 9 });
      try { await a.certificates(); return "answered"; } catch (e) { return [e.code, e instanceof window.app.kyso.KysoAgentError]; }
    });
    assert.deepEqual(r, ["AGENT_NOT_RUNNING", true]);
  });

  allowed.add(A.origin);

  await t.step("sign(): progress in order, per-item errors, bytes back intact", async () => {
    const r = await page.evaluate(async () => {
      const k = window.app.kyso;
      const a = new k.KysoAgent({ port: window.app.agent.port, pollInterval: 10 });
      const bytes = new Uint8Array(200000).map((_, i) => (i * 7) & 255);
      const states = [];
      const res = await a.sign([
        { type: "pdf", title: "one", data: bytes },
        { type: "cms", title: "bad", data: "x" },
        { type: "xml", title: "three", data: "<a>ế</a>" },
      ], { onProgress: (p) => states.push(`${p.state}:${p.done}/${p.total}`) });
      const back = res[0].data;
      const ok = back.length === bytes.length && back.every((v, i) => v === bytes[bytes.length - 1 - i]);
      return { states, ok, codes: res.map((x) => (x.ok ? "ok" : x.error.code)),
        xml: new TextDecoder().decode(res[2].data.reverse()) };
    });
    assert.deepEqual(r.states, ["waiting_user:0/3", "signing:1/3", "signing:2/3", "done:3/3"]);
    assert.equal(r.ok, true);
    assert.deepEqual(r.codes, ["ok", "SIGN_FAILED", "ok"]);
    assert.equal(r.xml, "<a>ế</a>");
  });

  await t.step("a failed batch: PIN_INCORRECT with triesLeft, described in both languages", async () => {
    const r = await page.evaluate(async () => {
      const k = window.app.kyso;
      const a = new k.KysoAgent({ port: window.app.agent.port, pollInterval: 10 });
      try { await a.sign([{ type: "pdf", title: "wrong-pin", data: "x" }]); return null; } catch (e) {
        return { code: e.code, tries: e.triesLeft, en: k.describeError(e, "en"), vi: k.describeError(e, "vi") };
      }
    });
    assert.deepEqual(r, { code: "PIN_INCORRECT", tries: 2, en: "Wrong PIN. 2 tries left.",
      vi: "Mã PIN không đúng. Còn 2 lần thử." });
  });

  await t.step("cancel() and an AbortSignal end a batch with USER_CANCELLED", async () => {
    const r = await page.evaluate(async () => {
      const k = window.app.kyso;
      const a = new k.KysoAgent({ port: window.app.agent.port, pollInterval: 10 });
      const out = [];
      const p1 = a.sign([{ type: "pdf", title: "slow", data: "x" }]).catch((e) => e.code);
      await new Promise((s) => setTimeout(s, 100));
      await a.cancel();
      out.push(await p1);
      const ac = new AbortController();
      const p2 = a.sign([{ type: "pdf", title: "slow", data: "x" }], { signal: ac.signal }).catch((e) => e.code);
      setTimeout(() => ac.abort(), 100);
      out.push(await p2);
      return out;
    });
    assert.deepEqual(r, ["USER_CANCELLED", "USER_CANCELLED"]);
  });

  await t.step("the module's own limits: TOO_LARGE and BAD_REQUEST before sending", async () => {
    const before = seen.length;
    const r = await page.evaluate(async () => {
      const k = window.app.kyso;
      const a = new k.KysoAgent({ port: window.app.agent.port, maxBodyBytes: 1000 });
      const codes = [];
      for (const items of [[{ type: "pdf", title: "t", data: new Uint8Array(2000) }],
        new Array(101).fill({ type: "cms", title: "t", data: "x" }), []]) {
        try { await a.sign(items); codes.push("sent"); } catch (e) { codes.push(e.code); }
      }
      return codes;
    });
    assert.deepEqual(r, ["TOO_LARGE", "TOO_LARGE", "BAD_REQUEST"]);
    assert.equal(seen.length, before, "the module sent something");
  });

  await t.step("an http:// page on a non-loopback host is no secure context: LNA_DENIED says so", async () => {
    const p = await br.ctx.newPage();
    await p.goto(`http://kyso-insecure.test:${A.port}/`);
    await p.waitForFunction(() => window.appReady === true);
    const r = await p.evaluate(async () => {
      const a = new window.app.kyso.KysoAgent({ port: 9 });
      try { await a.hello(); return null; } catch (e) { return [window.isSecureContext, e.code, e.message]; }
    });
    assert.equal(r[0], false);
    assert.equal(r[1], "LNA_DENIED", JSON.stringify(r));
    assert.match(r[2], /secure context/);
    assert.equal(await p.evaluate(() => window.app.kyso.lnaPermission().then((s) => typeof s)), "string");
    await p.close();
  });
} finally {
  await br.close();
  A.close();
  agentSrv.close();
}
process.exit(t.finish());
