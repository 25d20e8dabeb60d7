// bench/contract's browser side: the signer signs in, ticks every
// contract waiting for her on the list and presses "Ký nhiều" once (one
// confirmation, one PIN, the agent signs the batch, the page uploads each
// result and the server verifies it). Prints the milliseconds from the
// click to the page's last result, and how many the server accepted.
import { launch, pinentry } from "../../tests/agent/browser_lib.mjs";
import { expect, signIn } from "../../tests/contract/kc_lib.mjs";

const E = process.env;
const b = await launch();
const p = await b.ctx.newPage();
try {
  await signIn(p, b.ctx, E.KC_URL, E.KC_SIGNER, E.KC_SIGNER_PW);
  await p.waitForSelector("body[data-agent=ready]");
  const boxes = await p.$$("input[name=id]:not([disabled])");
  expect(boxes.length === Number(E.KC_N), `${boxes.length} waiting, want ${E.KC_N}`);
  await p.$$eval("input[name=id]:not([disabled])", (xs) => xs.forEach((x) => { x.checked = true; }));
  pinentry.script(["OK", `PIN ${E.KC_PIN}`]);
  const t0 = performance.now();
  await p.click("button.sign-many");
  await p.waitForSelector("body[data-sign-state=done]", { timeout: 600000 });
  const ms = performance.now() - t0;
  const ok = (await p.$$("#sign-result li.VALID")).length;
  console.log(`${ms.toFixed(0)} ${ok}`);
} finally {
  await b.close();
}
