// kyso-contract's whole story in a real browser (Debian's chromium,
// headless, through playwright-core) with the real kyso-agent and the
// scripted pinentry, in two browser contexts: the owner's and the
// signers' (A, B and C take turns in it). The owner creates a contract
// from the form and places both stamps by clicking on its rendered page;
// B may not sign before A (order); A signs one ("Ký"), and then A's list,
// where nothing waits, has no "Ký nhiều" / "Từ chối nhiều" form; B signs three at
// once ("Ký nhiều": one confirmation, one PIN), rejects one with a reason
// and two more at once; a cancelled dialog leaves the page as it was,
// "Ký" back; an upload whose earlier bytes were changed in flight is
// refused; C, whose token certificate names another person, is refused;
// B signs one more in English; the owner downloads the completed PDF.
// After each signature the page is checked at once, without a reload.
// Vietnamese and English screenshots. browser_sign.sh sets it up and checks the results (the
// stamps' /Rect, pdfsig, kyso-sign, the database) with its own tools.
import { writeFileSync } from "node:fs";
import { launch, pinentry, runner } from "../agent/browser_lib.mjs";
import { expect, signIn as kcSignIn, pagesLoaded } from "./kc_lib.mjs";

const URL = process.env.KC_URL;
const PIN = process.env.KYSO_USER_PIN;
const SHOTS = process.env.KYSO_SHOTS;
const OUT = process.env.KC_OUT; // what the shell checks: placed.json, final1.pdf
const [D2, D3, D4, D5, D6, D7, D8, D9] = process.env.KC_DOCS.split(" ");
const t = runner();
const ob = await launch(); // the owner's browser
const sb = await launch(); // the signers'
const owner = await ob.ctx.newPage();
const page = await sb.ctx.newPage();
for (const p of [owner, page]) p.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
const shot = (p, name) => p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
let D1 = "";
const placed = {};

const signIn = (p, ctx, email, password) => kcSignIn(p, ctx, URL, email, password);

// A contract's page right after the signer's click, not reloaded: its
// state, the signer's row (pos), no "Ký" nor reject form left, and the
// history's last rows naming the signature.
async function afterSigning(p, state, row, pos) {
  const got = await p.textContent("main p strong");
  expect(got === state, `the state at once: ${got}, want ${state}`);
  const cell = await p.textContent(`main table tr:nth-child(${pos + 1}) td:nth-child(3)`);
  expect(cell === row, `the signer's row at once: ${cell}, want ${row}`);
  expect((await p.$$("button.sign, form[action$='/reject']")).length === 0,
    "no Ký button nor reject form once signed");
  const history = await p.$$eval("main table", (ts) => ts.pop().textContent);
  expect(history.includes(row), `the history names the signature: ${history}`);
}

// Page 1's image as the browser shows it (its pixels, not the boxes
// drawn over it).
const pixels = (p) => p.$eval("figure.page img", (img) => {
  const cv = document.createElement("canvas");
  cv.width = img.naturalWidth;
  cv.height = img.naturalHeight;
  cv.getContext("2d").drawImage(img, 0, 0);
  return cv.toDataURL();
});

// The page still as it was after a failed signature: the error, the
// state, the button back.
async function afterFailure(p, state) {
  expect((await p.textContent("main p strong")) === state, `still ${state}`);
  expect((await p.$$("button.sign")).length === 1 && !(await p.isDisabled("button.sign")),
    "the Ký button is back");
}

// Clicks page 1 of the contract at (fx, fy) of the image's size for
// signer pos; returns the box the page computed ("x,y,w,h" in points).
async function placeAt(pos, fx, fy) {
  await owner.check(`input[name=placing][value="${pos}"]`);
  const img = await owner.$("figure.page[data-page='1'] img");
  const bb = await img.boundingBox();
  const W = Number(await owner.getAttribute("figure.page[data-page='1']", "data-w"));
  const H = Number(await owner.getAttribute("figure.page[data-page='1']", "data-h"));
  const px = Math.round(bb.width * fx), py = Math.round(bb.height * fy);
  await img.click({ position: { x: px, y: py } });
  await owner.waitForSelector(`body[data-placed^="${pos}:1:"]`);
  const got = (await owner.getAttribute("body", "data-placed")).split(":")[2];
  const x = Math.round((px / bb.width) * W), top = Math.round((1 - py / bb.height) * H);
  const want = `${x},${top - 60},200,60`;
  expect(got === want, `signer ${pos}: the click at (${px}, ${py}) of ${bb.width}x${bb.height} gave ${got}, want ${want}`);
  const cell = await owner.textContent(`td.box[data-pos="${pos}"]`);
  expect(cell === `1 ${want.replaceAll(",", " ")}`, `the signers' table follows: ${cell}`);
  return got;
}

await t.step("the owner creates a contract and clicks where each stamp goes", async () => {
  await signIn(owner, ob.ctx, "owner@kyso.vn", process.env.PW_OWNER);
  await owner.goto(`${URL}/documents/new`);
  await owner.fill("input[name=title]", "Hợp đồng số 1");
  await owner.setInputFiles("input[name=pdf]", process.env.KC_PDF1);
  await owner.fill("textarea[name=signers]", "a@kyso.vn\nb@kyso.vn");
  await shot(owner, "vi-0-new");
  await Promise.all([owner.waitForURL(/\/documents\/[0-9a-f]{32}$/), owner.click("main form button")]);
  D1 = owner.url().split("/").pop();
  await owner.waitForSelector("body[data-placing=ready]");
  await pagesLoaded(owner);
  placed[1] = await placeAt(1, 0.1, 0.8);
  placed[2] = await placeAt(2, 0.55, 0.9);
  expect((await owner.$$("div.stampbox")).length === 2, "both boxes drawn");
  await shot(owner, "vi-1-stamps-placed");
  writeFileSync(`${OUT}/placed.json`, JSON.stringify({ doc: D1, placed }));
});

await t.step("order: B cannot sign before A", async () => {
  await signIn(page, sb.ctx, "b@kyso.vn", process.env.PW_B);
  await page.waitForSelector("body[data-agent=ready]");
  expect(await page.isDisabled(`input[name=id][value='${D1}']`), "D1's box is disabled for B");
  expect((await page.$$(`a.sign[data-doc='${D1}']`)).length === 0, "no Ký on D1 for B");
  const code = await page.evaluate(async (doc) => {
    const held = await (await fetch(`/documents/${doc}/pdf`)).arrayBuffer();
    const fd = new FormData();
    fd.append("csrf", document.body.dataset.csrf);
    fd.append("pdf", new Blob([held, new TextEncoder().encode("\n%%EOF\n")]), "x.pdf");
    return (await fetch(`/documents/${doc}/signed`, { method: "POST", body: fd })).status;
  }, D1);
  expect(code === 409, `an upload out of turn is 409, got ${code}`);
});

await t.step("A reads the contract page by page and signs it (Ký)", async () => {
  await signIn(page, sb.ctx, "a@kyso.vn", process.env.PW_A);
  await page.goto(`${URL}/documents/${D1}`);
  await page.waitForSelector("body[data-agent=ready]");
  expect((await page.$$("figure.page img")).length >= 1, "the pages are shown");
  expect((await page.$$("div.stampbox")).length === 2, "the stamps are drawn");
  expect((await page.$$("input[name=placing]:not([hidden])")).length === 0, "a signer does not place stamps");
  expect(await page.textContent("button.sign") === "Ký", "the button reads Ký");
  expect(await page.getAttribute("button.sign", "data-rect") === (() => {
    const [x, y, w, h] = placed[1].split(",").map(Number);
    return `${x},${y},${x + w},${y + h}`;
  })(), "A signs with the stamp where the owner clicked");
  await pagesLoaded(page);
  await shot(page, "vi-2-document");
  const before = await pixels(page);
  pinentry.script(["OK", "OK", `PIN ${PIN}`]);
  await page.click("button.sign");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 60000 });
  const ok = await page.$$("#sign-result li.VALID");
  const all = await page.textContent("#sign-result");
  expect(ok.length === 1, `one document signed: ${all}`);
  const d = pinentry.dialogs();
  expect(d.length === 3 && d[2].kind === "GETPIN", `approve, confirm, PIN: ${JSON.stringify(d)}`);
  // At once, without a reload: the result in Vietnamese only, A's row
  // signed, no Ký, the document waits for B.
  expect(all.includes("Đã ký (Chờ người khác ký)") && !/\((signed|completed)\)/.test(all),
    `the result line in Vietnamese: ${all}`);
  await afterSigning(page, "Chờ người khác ký", "Đã ký", 1);
  await pagesLoaded(page);
  expect(before !== (await pixels(page)), "the page's image is the signed version's (A's stamp on it)");
  await shot(page, "vi-3-signed");
  await page.goto(`${URL}/documents/${D1}`);
  expect((await page.$$("button.sign")).length === 0, "no Ký button once signed");
});

await t.step("A has nothing left to sign: no Ký nhiều / Từ chối nhiều form", async () => {
  await page.goto(`${URL}/documents`);
  expect((await page.textContent("table.docs")).includes("Hợp đồng số 1"), "A still sees the contract");
  expect((await page.$$("form#many, button.sign-many, textarea[name=reason], input[name=id]")).length === 0,
    "no sign-many / reject-many form when nothing waits");
  expect((await page.textContent("p.none-waiting")) === "Không có tài liệu nào đang chờ bạn ký.",
    "the list says nothing waits");
  await shot(page, "vi-3b-nothing-waits");
});

await t.step("B signs three at once with one PIN (Ký nhiều)", async () => {
  await signIn(page, sb.ctx, "b@kyso.vn", process.env.PW_B);
  await page.waitForSelector("body[data-agent=ready]");
  for (const d of [D1, D2, D3]) await page.check(`input[name=id][value='${d}']`);
  await shot(page, "vi-4-list");
  pinentry.script(["OK", `PIN ${PIN}`]);
  await page.click("button.sign-many");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 90000 });
  const ok = await page.$$("#sign-result li.VALID");
  const all = await page.textContent("#sign-result");
  expect(ok.length === 3, `three documents signed: ${all}`);
  const d = pinentry.dialogs();
  expect(d.length === 2 && d[1].kind === "GETPIN", `one confirmation, one PIN: ${JSON.stringify(d)}`);
  expect(d[0].DESC.includes("3"), `the confirmation lists three: ${d[0].DESC}`);
  // At once, without a reload: three completed, no box nor Ký for them,
  // the others still signable.
  expect((all.match(/Đã ký \(Đã hoàn thành\)/g) || []).length === 3, `each result in Vietnamese: ${all}`);
  for (const doc of [D1, D2, D3]) {
    const row = await page.textContent(`tr:has(a[href='/documents/${doc}'])`);
    expect(row.includes("Đã hoàn thành") && !row.includes("Chờ tôi ký"), `${doc} completed at once: ${row}`);
    expect((await page.$$(`a.sign[data-doc='${doc}']`)).length === 0, `no Ký on ${doc}`);
    expect(await page.isDisabled(`input[name=id][value='${doc}']`), `${doc}'s box is disabled`);
  }
  expect(!(await page.isDisabled("button.sign-many")), "Ký nhiều stays for the others");
  expect((await page.$$(`a.sign[data-doc='${D4}']`)).length === 1, "D4 still waits for B");
  await shot(page, "vi-5-signed-many");
});

await t.step("B rejects one contract with a reason (Từ chối)", async () => {
  await page.goto(`${URL}/documents/${D4}`);
  await page.fill("form[action$='/reject'] textarea[name=reason]", "Sai số tiền <b>thanh toán</b>");
  await Promise.all([page.waitForURL(`${URL}/documents/${D4}`), page.click("form[action$='/reject'] button")]);
  expect((await page.textContent("main")).includes("Sai số tiền <b>thanh toán</b>"), "the reason shown as text");
  expect((await page.textContent("main")).includes("Đã từ chối"), "rejected, in Vietnamese");
  expect((await page.textContent("main p strong")) === "Đã từ chối", "the state: rejected");
  expect((await page.$$("button.sign, form[action$='/reject']")).length === 0, "no Ký nor reject form");
  await shot(page, "vi-6-rejected");
});

await t.step("B rejects two at once with one reason (Từ chối nhiều)", async () => {
  await page.goto(`${URL}/documents`);
  for (const d of [D5, D6]) await page.check(`input[name=id][value='${d}']`);
  await page.fill("form#many textarea[name=reason]", "Chưa đúng mẫu");
  await Promise.all([page.waitForURL(`${URL}/documents/reject`), page.click("form#many button:not(.sign-many)")]);
  const rows = await page.$$eval("main table tr td:last-child", (tds) => tds.map((t) => t.textContent));
  expect(rows.length === 2 && rows.every((r) => r === "Đã từ chối"), `two rejected: ${rows}`);
  await shot(page, "vi-7-rejected-many");
  await page.goto(`${URL}/documents/${D5}`);
  expect((await page.$$("button.sign")).length === 0, "a rejected contract cannot be signed");
});

await t.step("B cancels the confirmation: the error, the page as it was, Ký back", async () => {
  await page.goto(`${URL}/documents/${D8}`);
  await page.waitForSelector("body[data-agent=ready]");
  pinentry.script(["CANCEL"]);
  await page.click("button.sign");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 60000 });
  const bad = await page.textContent("#sign-result li.INVALID");
  expect(bad.includes("Bạn đã hủy việc ký."), `cancelled, in Vietnamese: ${bad}`);
  await afterFailure(page, "Chờ tôi ký");
  await shot(page, "vi-7b-cancelled");
});

await t.step("a signed upload whose earlier bytes were changed in flight is refused", async () => {
  await page.route("**/documents/*/signed", async (route) => {
    const b = Buffer.from(route.request().postDataBuffer());
    const at = b.indexOf("%PDF-");
    b[at + 5] = b[at + 5] === 0x31 ? 0x32 : 0x31; // "%PDF-1.x" -> another version
    await route.continue({ postData: b });
  });
  // The same page as the cancel's: its Ký button works again.
  expect(page.url() === `${URL}/documents/${D8}`, "still on D8's page");
  pinentry.script(["OK", `PIN ${PIN}`]);
  await page.click("button.sign");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 60000 });
  const bad = await page.textContent("#sign-result li.INVALID");
  expect(bad.includes("các byte trước đó đã bị thay đổi"), `refused: ${bad}`);
  await afterFailure(page, "Chờ tôi ký");
  await page.unroute("**/documents/*/signed");
  await shot(page, "vi-8-changed-bytes-refused");
});

await t.step("C's token certificate names another person: refused", async () => {
  await signIn(page, sb.ctx, "c@kyso.vn", process.env.PW_C);
  await page.goto(`${URL}/documents/${D7}`);
  await page.waitForSelector("body[data-agent=ready]");
  pinentry.script(["OK", `PIN ${PIN}`]);
  await page.click("button.sign");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 60000 });
  const bad = await page.textContent("#sign-result li.INVALID");
  expect(bad.includes("không mang định danh đã đăng ký"), `refused: ${bad}`);
  await afterFailure(page, "Chờ tôi ký");
  await shot(page, "vi-9-other-person-refused");
});

await t.step("English: B signs on the contract's page; the page follows at once", async () => {
  await signIn(page, sb.ctx, "b@kyso.vn", process.env.PW_B);
  await page.goto(`${URL}/lang/en`);
  await page.goto(`${URL}/documents/${D9}`);
  await page.waitForSelector("body[data-agent=ready]");
  expect((await page.textContent("main p strong")) === "Waiting for me", "waiting for me, in English");
  pinentry.script(["OK", `PIN ${PIN}`]);
  await page.click("button.sign");
  await page.waitForSelector("body[data-sign-state=done]", { timeout: 60000 });
  const all = await page.textContent("#sign-result");
  expect(all.endsWith(": Signed (Completed)"), `the result line in English: ${all}`);
  await afterSigning(page, "Completed", "Signed", 1);
  await pagesLoaded(page);
  await shot(page, "en-0-signed");
});

await t.step("the owner sees the states and downloads the completed contract", async () => {
  await owner.goto(`${URL}/documents`);
  const text = await owner.textContent("table.docs");
  expect(text.includes("Đã hoàn thành") && text.includes("Đã từ chối"), `states: ${text}`);
  const nav = await (await owner.$("header nav")).boundingBox();
  expect(nav.height < 45, `the menu fits on one line at 760 px: ${nav.height} px high`);
  expect((await owner.$$("form#many, button.sign-many")).length === 0,
    "the owner signs none of them: no sign-many form");
  await shot(owner, "vi-10-owner-list");
  await owner.goto(`${URL}/documents/${D1}`);
  const [dl] = await Promise.all([owner.waitForEvent("download"), owner.click(`a[href='/documents/${D1}/pdf']`)]);
  await dl.saveAs(`${OUT}/final1.pdf`);
  await pagesLoaded(owner);
  expect((await owner.$$("div.stampbox")).length === 0, "signed stamps are on the page, no boxes over them");
  await shot(owner, "vi-11-completed");
});

await t.step("English: the list in the other language", async () => {
  await owner.goto(`${URL}/lang/en`);
  await owner.goto(`${URL}/documents`);
  expect((await owner.textContent("h1")) === "Documents", "English title");
  expect((await owner.content()).includes("Completed"), "states in English");
  await shot(owner, "en-1-list");
});

await ob.close();
await sb.close();
process.exit(t.finish());
