// The browser cases of kyso-agent (browser_sign.sh sets up the token and the
// agent and checks the signed files written here with independent tools).
// Two page servers are two origins: A is approved by the user, B denied.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { pageServer, launch, openPage, pinentry, runner } from "./browser_lib.mjs";

const PORT = Number(process.env.KYSO_AGENT_PORT);
const W = process.env.KYSO_TEST_WORK;
const SHOTS = process.env.KYSO_SHOTS;
const PIN = process.env.KYSO_USER_PIN;
const SERIAL = process.env.KYSO_TOKEN_SERIAL;
const KT = process.env.KYSO_KT;

const b64 = (path) => readFileSync(path).toString("base64");
const save = (name, data) => writeFileSync(join(W, name), Buffer.from(data, "base64"));
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

// A raw request from node (not a browser): the headers the agent sends.
function rawGet(path, origin, host = `127.0.0.1:${PORT}`) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: PORT, path, method: "GET",
      headers: { Origin: origin, Host: host } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res));
    });
    req.on("error", reject);
    req.end();
  });
}

const t = runner();
const A = await pageServer();
const B = await pageServer();
// C serves the insecure page, on an address Chromium takes for a public one
// (as a web site's would be): Local Network Access applies to it.
const C = await pageServer();
const br = await launch([`--ip-address-space-overrides=127.0.0.1:${C.port}=public`]);
let pageA, pageB;
const contracts = [1, 2, 3].map((i) => ({
  type: "pdf", title: `Hợp đồng số ${i}`, b64: b64(join(W, `contract${i}.pdf`)),
}));

try {
  pageA = await openPage(br, A, PORT, "en");

  await t.step("hello from a new origin: version and features, not approved, nothing about the user", async () => {
    const h = await pageA.evaluate(() => window.app.hello());
    assert.equal(h.agent, "kyso-agent");
    assert.equal(h.api, 1);
    assert.equal(h.approved, false);
    assert.ok(h.features.includes("pdf") && h.features.includes("batch"));
    assert.deepEqual(Object.keys(h).sort(), ["agent", "api", "approved", "features", "version"]);
    await shot(pageA, "en-1-ready");
  });

  await t.step("nothing answering: AGENT_NOT_RUNNING", async () => {
    const r = await pageA.evaluate(async () => {
      const a = new window.app.kyso.KysoAgent({ port: 9 });
      try { await a.hello(); return "answered"; } catch (e) { return e.code; }
    });
    assert.equal(r, "AGENT_NOT_RUNNING");
  });

  await t.step("an http:// page on a host that is not loopback is no secure context: LNA_DENIED says so", async () => {
    // The running agent is there: the browser itself refuses the request.
    const p = await br.ctx.newPage();
    await p.goto(`http://kyso-insecure.test:${C.port}/`);
    await p.waitForFunction(() => window.appReady === true);
    const r = await p.evaluate(async (port) => {
      const a = new window.app.kyso.KysoAgent({ port });
      try { await a.hello(); return null; } catch (e) { return [window.isSecureContext, e.code, e.message]; }
    }, PORT);
    assert.ok(r !== null, "an insecure page reached the agent");
    assert.equal(r[0], false);
    assert.equal(r[1], "LNA_DENIED", JSON.stringify(r));
    assert.match(r[2], /secure context/);
    await p.close();
  });

  await t.step("the first certificates() asks the user once (Allow); then the token's certificate", async () => {
    pinentry.script(["OK"]);
    const certs = await pageA.evaluate(() => window.app.certificates());
    assert.ok(Array.isArray(certs), JSON.stringify(certs));
    assert.equal(certs.length, 1);
    assert.equal(certs[0].common_name, "Nguyen Van A");
    assert.match(certs[0].id, /^[0-9a-f]{64}$/);
    assert.equal(certs[0].valid_now, true);
    const d = pinentry.dialogs();
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.equal(d[0].kind, "CONFIRM");
    assert.ok(d[0].DESC.includes(A.origin), d[0].DESC);
    assert.equal(d[0].OK, "Allow");
    const h = await pageA.evaluate(() => window.app.hello());
    assert.equal(h.approved, true);
    // The approved origin is echoed, exactly, with Vary: Origin.
    const res = await rawGet("/v1/certificates", A.origin);
    assert.equal(res.headers["access-control-allow-origin"], A.origin);
    assert.match(String(res.headers.vary), /Origin/);
  });

  await t.step("three PDFs with one PIN: the dialog names the origin, signer, titles and hashes", async () => {
    pinentry.script(["OK", `PIN ${PIN}`]);
    // The second with a Vietnamese reason and location (browser_sign.sh
    // reads them back with kyso-sign verify).
    const items = contracts.map((c, i) => (i === 1
      ? { ...c, options: { reason: "Đồng ý ký hợp đồng", location: "Hà Nội" } } : c));
    const res = await pageA.evaluate((items) => window.app.sign(items), items);
    assert.ok(Array.isArray(res), JSON.stringify(res));
    assert.equal(res.length, 3);
    res.forEach((r, i) => {
      assert.equal(r.ok, true, JSON.stringify(r));
      save(`out-contract${i + 1}.pdf`, r.b64);
    });
    const d = pinentry.dialogs();
    assert.deepEqual(d.map((x) => x.kind), ["CONFIRM", "GETPIN"], JSON.stringify(d));
    const desc = d[0].DESC;
    assert.ok(desc.includes(A.origin), desc);
    assert.ok(desc.includes("Nguyen Van A"), desc);
    for (const c of contracts) {
      assert.ok(desc.includes(c.title), `${c.title} not in ${desc}`);
      const h = execFileSync("sha256sum", { input: Buffer.from(c.b64, "base64") }).toString().slice(0, 16);
      assert.ok(desc.toLowerCase().includes(h), `${h} not in ${desc}`);
    }
    assert.equal(d[0].OK, "Sign");
    assert.ok(d[1].DESC.includes("sign-" + SERIAL) || d[1].DESC.length > 0, d[1].DESC);
    await shot(pageA, "en-2-signed");
  });

  await t.step("an e-invoice (XML-DSig) and data (CAdES) from the page", async () => {
    pinentry.script(["OK", `PIN ${PIN}`]);
    const res = await pageA.evaluate((items) => window.app.sign(items), [
      { type: "xml", title: "Hóa đơn 42", b64: b64(join(W, "invoice.xml")) },
      { type: "cms", title: "Biên bản nghiệm thu", b64: b64(join(W, "data.txt")) },
    ]);
    assert.ok(Array.isArray(res), JSON.stringify(res));
    assert.equal(res[0].ok, true, JSON.stringify(res[0]));
    assert.equal(res[1].ok, true, JSON.stringify(res[1]));
    save("out-invoice.xml", res[0].b64);
    save("out-data.p7s", res[1].b64);
    assert.equal(pinentry.dialogs().filter((x) => x.kind === "GETPIN").length, 1);
  });

  await t.step("Cancel in the dialog: USER_CANCELLED, no PIN asked, nothing signed", async () => {
    pinentry.script(["CANCEL"]);
    const res = await pageA.evaluate((items) => window.app.sign(items), contracts);
    assert.equal(res.error && res.error.code, "USER_CANCELLED", JSON.stringify(res));
    assert.equal(res.error.signed, 0);
    const d = pinentry.dialogs();
    assert.deepEqual(d.map((x) => x.kind), ["CONFIRM"], JSON.stringify(d));
  });

  await t.step("cancel() from the page while the dialog is open: USER_CANCELLED", async () => {
    pinentry.script(["SLEEP 5", "OK", `PIN ${PIN}`]);
    const res = await pageA.evaluate((items) => window.app.sign(items, "cancel-when-waiting"), contracts);
    assert.equal(res.error && res.error.code, "USER_CANCELLED", JSON.stringify(res));
    assert.equal(res.error.signed, 0);
    pinentry.script([]);
    pinentry.dialogs();
  });

  pageB = await openPage(br, B, PORT, "vi");

  await t.step("wrong PIN: PIN_INCORRECT, nothing signed; tries left told at the final try (page in Vietnamese)", async () => {
    // PKCS#11 tells only "count low", "final try" and "locked": the
    // agent gives tries_left when the token knows it.
    const pageAvi = await openPage(br, A, PORT, "vi");
    let res;
    for (let i = 0; i < 12; i++) {
      pinentry.script(["OK", "PIN 00000000"]);
      res = await pageAvi.evaluate((items) => window.app.sign(items), contracts);
      assert.equal(res.error && res.error.code, "PIN_INCORRECT", JSON.stringify(res));
      assert.equal(res.error.signed, 0);
      if (i === 0) await shot(pageAvi, "vi-1-wrong-pin");
      if (res.error.triesLeft !== undefined) break;
    }
    assert.equal(res.error.triesLeft, 1, JSON.stringify(res));
    assert.equal(res.error.shown, "Mã PIN không đúng. Còn 1 lần thử.");
    await shot(pageAvi, "vi-2-final-try");
    // The right PIN resets the counter (and proves the token is fine).
    pinentry.script(["OK", `PIN ${PIN}`]);
    const ok = await pageAvi.evaluate((items) => window.app.sign(items), contracts.slice(0, 1));
    assert.equal(ok[0] && ok[0].ok, true, JSON.stringify(ok));
    await shot(pageAvi, "vi-3-signed");
    await pageAvi.close();
  });

  await t.step("a denied origin: ORIGIN_DENIED, asked once, never for a PIN, never again", async () => {
    const h = await pageB.evaluate(() => window.app.hello());
    assert.equal(h.approved, false, JSON.stringify(h));
    pinentry.script(["CANCEL", "OK", `PIN ${PIN}`]);
    const c = await pageB.evaluate(() => window.app.certificates());
    assert.equal(c.error && c.error.code, "ORIGIN_DENIED", JSON.stringify(c));
    const s = await pageB.evaluate((items) => window.app.sign(items), contracts);
    assert.equal(s.error && s.error.code, "ORIGIN_DENIED", JSON.stringify(s));
    await shot(pageB, "vi-4-origin-denied");
    const d = pinentry.dialogs();
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.equal(d[0].kind, "CONFIRM");
    assert.ok(d[0].DESC.includes(B.origin), d[0].DESC);
    assert.equal(d[0].ANSWER, "CANCEL");
  });

  await t.step("a denied origin cannot read the agent's answers: no ACAO for it", async () => {
    pinentry.script([]);
    const r = await pageB.evaluate((p) => window.app.rawRead(p, "/v1/certificates"), PORT);
    assert.equal(r.read, false, JSON.stringify(r));
    const res = await rawGet("/v1/certificates", B.origin);
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers["access-control-allow-origin"], undefined);
    // Its own approved sibling still reads its answers.
    const ra = await pageA.evaluate((p) => window.app.rawRead(p, "/v1/certificates"), PORT);
    assert.equal(ra.read, true, JSON.stringify(ra));
    assert.equal(pinentry.dialogs().length, 0);
  });

  await t.step("a forged Host (DNS rebinding) is refused: 421, no ACAO", async () => {
    const res = await rawGet("/v1/certificates", A.origin, `rebind.example:${PORT}`);
    assert.equal(res.statusCode, 421);
    assert.equal(res.headers["access-control-allow-origin"], undefined);
  });

  await t.step("the network side killed: the agent starts it again, the token still signs", async () => {
    const pids = execFileSync("pgrep", ["-P", process.env.KYSO_AGENT_PID]).toString().trim().split("\n");
    assert.equal(pids.length, 1, `children of the agent: ${pids}`);
    process.kill(Number(pids[0]), "SIGKILL");
    let h;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      h = await pageA.evaluate(() => window.app.hello());
      if (h.agent === "kyso-agent") break;
    }
    assert.equal(h.approved, true, JSON.stringify(h));
    const now = execFileSync("pgrep", ["-P", process.env.KYSO_AGENT_PID]).toString().trim();
    assert.notEqual(now, pids[0]);
    pinentry.script(["OK", `PIN ${PIN}`]);
    const res = await pageA.evaluate((items) => window.app.sign(items), contracts.slice(0, 1));
    assert.equal(res[0] && res[0].ok, true, JSON.stringify(res).slice(0, 300));
  });

  await t.step("an oversized body: TOO_LARGE from the agent, no dialog", async () => {
    pinentry.script([]);
    const r = await pageA.evaluate(async () => {
      const a = new window.app.kyso.KysoAgent({ port: window.app.agent.port, maxBodyBytes: Infinity });
      const big = new Uint8Array(49 * 1024 * 1024);   // 65+ MiB once in base64
      try { await a.sign([{ type: "cms", title: "big", data: big }]); return "signed"; } catch (e) { return e.code; }
    });
    assert.equal(r, "TOO_LARGE");
    assert.equal(pinentry.dialogs().length, 0);
  });

  await t.step("the token unplugged mid-batch: TOKEN_ABSENT, the rest not signed", async () => {
    await pageA.exposeFunction("unplugToken", () => {
      execFileSync(KT, ["vtoken", "unplug", SERIAL]);
    });
    // Visible stamps (a font subset each) keep the token side busy long
    // enough for the page to see the first item done.
    const many = [];
    for (let i = 0; i < 60; i++) {
      many.push({ ...contracts[i % 3], title: `Hợp đồng ${i + 1}`,
        options: { visible: true, page: 1, rect: "300,40,560,120" } });
    }
    await pageA.evaluate(() => { window.app.agent.pollInterval = 5; });
    pinentry.script(["OK", `PIN ${PIN}`]);
    const t0 = Date.now();
    const res = await pageA.evaluate((items) => window.app.sign(items, "unplug-after-first"), many);
    console.log(`# the batch ended after ${Date.now() - t0} ms: ${res.error ? `${res.error.code} ${res.error.message}, ${res.error.signed}` : res.length} signed`);
    await pageA.evaluate(() => { window.app.agent.pollInterval = 50; });
    execFileSync(KT, ["vtoken", "plug", SERIAL]);
    assert.equal(res.error && res.error.code, "TOKEN_ABSENT", JSON.stringify(res).slice(0, 400));
    assert.ok(res.error.signed >= 1 && res.error.signed < many.length, JSON.stringify(res.error));
    pinentry.dialogs();
  });

  await t.step("twenty batches at once: one runs, the others BUSY", async () => {
    pinentry.script(["SLEEP 2", "CANCEL"]);
    const codes = await pageA.evaluate(async (item) => {
      const k = window.app.kyso;
      const data = k.fromBase64(item.b64);
      const runs = [];
      for (let i = 0; i < 20; i++) {
        const a = new k.KysoAgent({ port: window.app.agent.port, pollInterval: 50 });
        runs.push(a.sign([{ type: "pdf", title: `#${i}`, data }]).then(() => "signed", (e) => e.code));
      }
      return Promise.all(runs);
    }, contracts[0]);
    const busy = codes.filter((c) => c === "BUSY").length;
    assert.equal(busy, 19, JSON.stringify(codes));
    assert.equal(codes.filter((c) => c === "USER_CANCELLED").length, 1, JSON.stringify(codes));
    pinentry.dialogs();
  });
} finally {
  await br.close();
  A.close();
  B.close();
  C.close();
}
process.exit(t.finish());
