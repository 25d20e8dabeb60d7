// kyso-contract in a real browser (Debian's chromium, headless, through
// playwright-core) with the real kyso-agent and the scripted pinentry:
// signer A signs one contract ("Ký"), signer B signs three at once ("Ký
// nhiều": one confirmation, one PIN); the per-document results on the
// page; Vietnamese and English screenshots. browser_sign.sh sets it up
// and checks the final PDFs with pdfsig and kyso-sign.
import { launch, pinentry, runner } from "../agent/browser_lib.mjs";

const URL = process.env.KC_URL;
const PIN = process.env.KYSO_USER_PIN;
const SHOTS = process.env.KYSO_SHOTS;
const [D1, D2, D3] = process.env.KC_DOCS.split(" ");
const t = runner();
const b = await launch();
const page = await b.ctx.newPage();
page.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
const shot = (name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

async function signIn(email, password) {
  await b.ctx.clearCookies();
  await page.goto(`${URL}/login`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(`${URL}/documents`), page.click("form[action='/login'] button")]);
}

function expect(cond, what) { if (!cond) throw new Error(what); }

await t.step("A signs one contract from its page (Vietnamese)", async () => {
  await signIn("a@kyso.vn", process.env.PW_A);
  await page.goto(`${URL}/documents/${D1}`);
  await page.waitForSelector("body[data-agent=ready]");
  expect(await page.textContent("button.sign") === "Ký", "the button reads Ký");
  await shot("vi-1-document");
  pinentry.script(["OK", "OK", `PIN ${PIN}`]);
  await page.click("button.sign");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 60000 });
  const ok = await page.$$("#sign-result li.VALID");
  const all = await page.textContent("#sign-result");
  expect(ok.length === 1, `one document signed: ${all}`);
  const d = pinentry.dialogs();
  expect(d.length === 3 && d[2].kind === "GETPIN", `approve, confirm, PIN: ${JSON.stringify(d)}`);
  await shot("vi-2-signed");
});

await t.step("A cannot sign it again: the button is gone", async () => {
  await page.goto(`${URL}/documents/${D1}`);
  expect((await page.$$("button.sign")).length === 0, "no Ký button once signed");
});

await t.step("B signs three at once with one PIN (Ký nhiều)", async () => {
  await signIn("b@kyso.vn", process.env.PW_B);
  await page.waitForSelector("body[data-agent=ready]");
  for (const d of [D1, D2, D3]) await page.check(`input[name=id][value='${d}']`);
  await shot("vi-3-list");
  pinentry.script(["OK", `PIN ${PIN}`]);
  await page.click("button.sign-many");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 90000 });
  const ok = await page.$$("#sign-result li.VALID");
  const all = await page.textContent("#sign-result");
  expect(ok.length === 3, `three documents signed: ${all}`);
  const d = pinentry.dialogs();
  expect(d.length === 2 && d[1].kind === "GETPIN", `one confirmation, one PIN: ${JSON.stringify(d)}`);
  expect(d[0].DESC.includes("3"), `the confirmation lists three: ${d[0].DESC}`);
  await shot("vi-4-signed-many");
});

await t.step("English: the list in the other language", async () => {
  await page.goto(`${URL}/lang/en`);
  await page.goto(`${URL}/documents`);
  expect((await page.textContent("h1")) === "Documents", "English title");
  expect((await page.content()).includes("Completed"), "states in English");
  await shot("en-1-list");
});

await b.close();
process.exit(t.finish());
