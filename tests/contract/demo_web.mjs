// `make demo`'s web story (scripts/demo.sh runs it headless after the
// token story): the owner creates a contract and clicks where the
// subscriber's stamp goes; the subscriber sets the account's signing
// method (USB Token, the CCCD their certificate carries), reads the
// contract and signs it through kyso-agent (the scripted pinentry plays
// the person); the owner downloads the signed PDF and the audit trail
// as PDF into KC_OUT. Each step is printed; screenshots in KC_OUT.
import { launch, pinentry } from "../agent/browser_lib.mjs";
import { expect, signIn, pagesLoaded } from "./kc_lib.mjs";

const E = process.env;
const URL = E.KC_URL, OUT = E.KC_OUT;
const say = (s) => console.log(`   ${s}`);
const b = await launch();
const p = await b.ctx.newPage();
p.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
const shot = (n) => p.screenshot({ path: `${OUT}/${n}.png`, fullPage: true });

try {
  await signIn(p, b.ctx, URL, E.KC_OWNER, E.KC_OWNER_PW);
  say(`${E.KC_OWNER} signed in; creates "Hợp đồng 2026/11-001" for ${E.KC_SIGNER}`);
  await p.goto(`${URL}/documents/new`);
  await p.fill("input[name=title]", "Hợp đồng 2026/11-001");
  await p.setInputFiles("input[name=pdf]", E.KC_PDF);
  await p.fill("textarea[name=signers]", E.KC_SIGNER);
  await Promise.all([p.waitForURL(/\/documents\/[0-9a-f]{32}$/), p.click("main form button")]);
  const doc = p.url().split("/").pop();
  await p.waitForSelector("body[data-placing=ready]");
  await pagesLoaded(p);
  const img = await p.$("figure.page[data-page='1'] img");
  const bb = await img.boundingBox();
  await img.click({ position: { x: Math.round(bb.width * 0.55), y: Math.round(bb.height * 0.78) } });
  await p.waitForSelector("body[data-placed^='1:1:']");
  say(`the stamp placed by a click on page 1: ${(await p.getAttribute("body", "data-placed")).split(":")[2]} (x,y,w,h in points)`);
  await shot("web-1-owner-placed");

  await signIn(p, b.ctx, URL, E.KC_SIGNER, E.KC_SIGNER_PW);
  await p.goto(`${URL}/account`);
  await p.check("input[name=method][value=usb_token]");
  await p.selectOption("select[name=id_kind]", "CCCD");
  await p.fill("input[name=id_value]", E.KC_CCCD);
  await Promise.all([p.waitForNavigation(), p.click("main form[action='/account'] button")]);
  say(`${E.KC_SIGNER} signed in; signing method USB Token, CCCD ${E.KC_CCCD}`);
  await p.goto(`${URL}/documents/${doc}`);
  await p.waitForSelector("body[data-agent=ready]");
  await pagesLoaded(p);
  await shot("web-2-signer-reads");
  pinentry.script(["OK", "OK", `PIN ${E.KC_PIN}`]);
  await p.click("button.sign");
  await p.waitForSelector("body[data-sign-state=done]", { timeout: 120000 });
  const res = await p.textContent("#sign-result");
  expect((await p.$$("#sign-result li.VALID")).length === 1, `not signed: ${res}`);
  say(`kyso-agent asked: ${pinentry.dialogs().map((d) => d.kind).join(", ")}; the server says: ${res}`);
  await shot("web-3-signed");

  await signIn(p, b.ctx, URL, E.KC_OWNER, E.KC_OWNER_PW);
  await p.goto(`${URL}/documents/${doc}`);
  for (const [what, file] of [["pdf", "contract.web-signed.pdf"], ["audit.pdf", "audit.pdf"]]) {
    const [dl] = await Promise.all([p.waitForEvent("download"), p.click(`a[href='/documents/${doc}/${what}']`)]);
    await dl.saveAs(`${OUT}/${file}`);
  }
  say(`the owner downloaded ${OUT}/contract.web-signed.pdf and ${OUT}/audit.pdf`);
  await shot("web-4-completed");
} finally {
  await b.close();
}
