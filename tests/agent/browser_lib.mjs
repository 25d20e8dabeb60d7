// Shared by the browser tests: a page server on its own loopback port (a
// web application's origin), Debian's chromium driven by playwright-core,
// and the scripted pinentry's queue and log.
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const SRC = join(here, "..", "..");

// The files a page server serves: the test page and the module, as a web
// application would host its own copy of kyso-plugin.js.
const FILES = {
  "/": ["tests/agent/browser_page.html", "text/html; charset=utf-8"],
  "/index.html": ["tests/agent/browser_page.html", "text/html; charset=utf-8"],
  "/kyso-plugin.js": ["js/kyso-plugin.js", "text/javascript; charset=utf-8"],
};

// Starts a page server on 127.0.0.1 (port 0: the kernel picks one).
// Resolves to { origin, port, close() }.
export function pageServer() {
  const srv = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const f = FILES[path];
    if (!f) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": f[1], "Cache-Control": "no-store" });
    res.end(readFileSync(join(SRC, f[0])));
  });
  return new Promise((resolve) => {
    srv.listen(0, "127.0.0.1", () => {
      const port = srv.address().port;
      resolve({ port, origin: `http://127.0.0.1:${port}`, close: () => srv.close() });
    });
  });
}

// Debian's chromium, headless, in a fresh profile that nothing outside the
// test touches (no sync, no component updates, no background traffic).
export async function launch(extraArgs = []) {
  const { chromium } = await import("playwright-core");
  const exe = process.env.KYSO_CHROMIUM || "/usr/bin/chromium";
  if (!existsSync(exe)) throw new Error(`no chromium at ${exe} (scripts/deps.sh installs it)`);
  const profile = mkdtempSync(join(tmpdir(), "kyso-chromium."));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    viewport: { width: 760, height: 560 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      // A non-loopback name for the tests' insecure (http://) page.
      "--host-resolver-rules=MAP kyso-insecure.test 127.0.0.1", ...extraArgs],
  });
  return {
    ctx,
    async close() {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Opens the test page of server srv (lang "en" or "vi") and waits for its
// module; the page talks to the agent on agentPort.
export async function openPage(b, srv, agentPort, lang = "en") {
  const page = await b.ctx.newPage();
  page.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
  await page.goto(`${srv.origin}/?lang=${lang}`);
  await page.waitForFunction(() => window.appReady === true);
  await page.evaluate((p) => window.app.connect(p), agentPort);
  return page;
}

// The scripted pinentry: what the next dialogs answer, and what they
// showed (the log is emptied each time it is read).
export const pinentry = {
  // (also forgets the dialogs logged so far: each case reads its own)
  script(lines) {
    this.dialogs();
    writeFileSync(process.env.KYSO_PINENTRY_SCRIPT, lines.map((l) => l + "\n").join(""));
  },
  // The dialogs since the last call: [{ kind, TITLE, DESC, ..., ANSWER }].
  dialogs() {
    const path = process.env.KYSO_PINENTRY_LOG;
    if (!existsSync(path)) return [];
    const text = readFileSync(path, "utf8");
    writeFileSync(path, "");
    const out = [];
    let cur = null;
    for (const line of text.split("\n")) {
      if (line.startsWith("DIALOG ")) cur = { kind: line.slice(7) };
      else if (line === "END") { if (cur) out.push(cur); cur = null; }
      else if (cur && line) {
        const sp = line.indexOf(" ");
        const k = sp < 0 ? line : line.slice(0, sp);
        cur[k] = sp < 0 ? "" : line.slice(sp + 1).replaceAll("\\n", "\n");
      }
    }
    return out;
  },
};

// A tiny runner: named steps, "ok"/"not ok" lines, a count at the end.
export function runner() {
  let passed = 0, failed = 0;
  return {
    async step(name, fn) {
      try {
        await fn();
        passed++;
        console.log(`ok - ${name}`);
      } catch (e) {
        failed++;
        console.log(`not ok - ${name}\n# ${String(e && e.stack ? e.stack : e).replaceAll("\n", "\n# ")}`);
      }
    },
    finish() {
      console.log(`${passed} passed, ${failed} failed`);
      return failed === 0 ? 0 : 1;
    },
  };
}
