// kyso-contract at B-LT (serve --level B-LT) the way a signer uses it, in
// a real browser (Debian's chromium, headless, through playwright-core)
// with the real kyso-agent and the scripted pinentry: A opens the
// contract, sees the page ask for B-LT, presses "Ký", allows the site,
// confirms and types the PIN; the agent signs with the time-stamp and the
// revocation data (the DSS) and the page uploads it; the server takes it
// and the contract is completed, shown at once (no reload) in Vietnamese
// only. browser_blt.sh sets it up and checks the
// stored PDF with its own tools (pdfsig, kyso-sign verify, qpdf).
import { launch, pinentry, runner } from "../agent/browser_lib.mjs";
import { expect, signIn, pagesLoaded } from "./kc_lib.mjs";

const URL = process.env.KC_URL;
const PIN = process.env.KYSO_USER_PIN;
const SHOTS = process.env.KYSO_SHOTS;
const D = process.env.KC_DOC;
const t = runner();
const b = await launch();
const page = await b.ctx.newPage();
page.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
const shot = (name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

await t.step("A opens the contract: the page asks the agent for B-LT", async () => {
  await signIn(page, b.ctx, URL, "a@kyso.vn", process.env.PW_A);
  await page.goto(`${URL}/documents/${D}`);
  await page.waitForSelector("body[data-agent=ready]");
  expect((await page.getAttribute("body", "data-level")) === "B-LT", "the page signs at B-LT");
  expect((await page.textContent("button.sign")) === "Ký", "the button reads Ký");
  await pagesLoaded(page);
  await shot("vi-blt-1-document");
});

await t.step("A signs (Ký): allow, confirm, PIN; the B-LT upload is taken", async () => {
  pinentry.script(["OK", "OK", `PIN ${PIN}`]);
  await page.click("button.sign");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 120000 });
  const all = await page.textContent("#sign-result");
  expect((await page.$$("#sign-result li.VALID")).length === 1, `signed and taken: ${all}`);
  expect((await page.$$("#sign-result li.INVALID")).length === 0, `nothing refused: ${all}`);
  const d = pinentry.dialogs();
  expect(d.length === 3 && d[2].kind === "GETPIN", `allow, confirm, PIN: ${JSON.stringify(d)}`);
  // At once, no reload: completed, A's row signed, no Ký, in Vietnamese.
  expect(all.endsWith(": Đã ký (Đã hoàn thành)"), `the result line in Vietnamese: ${all}`);
  const state = await page.textContent("main p strong");
  expect(state === "Đã hoàn thành", `completed at once: ${state}`);
  const row = await page.textContent("main table tr:nth-child(2) td:nth-child(3)");
  expect(row === "Đã ký", `A's row signed at once: ${row}`);
  expect((await page.$$("button.sign, form[action$='/reject']")).length === 0, "no Ký nor reject form at once");
  await pagesLoaded(page);
  await shot("vi-blt-2-signed");
});

await t.step("the contract is completed: no Ký any more", async () => {
  await page.goto(`${URL}/documents`);
  const text = await page.textContent("table.docs");
  expect(text.includes("Đã hoàn thành"), `completed in the list: ${text}`);
  await page.goto(`${URL}/documents/${D}`);
  expect((await page.$$("button.sign")).length === 0, "no Ký button once signed");
  await shot("vi-blt-3-completed");
});

await b.close();
process.exit(t.finish());
