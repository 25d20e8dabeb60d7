// kyso-contract's page script, an ES module served from /static (the CSP
// allows no inline script). It finds kyso-agent through kyso-plugin.js;
// when the agent answers it enables "Ký" (one document) and "Ký nhiều"
// (the ticked ones, one batch: one confirmation and one PIN), else the
// buttons stay disabled and say why. Signing: the held version is fetched
// from this site, signed by the agent with the signer's stamp (B-T), and
// uploaded to /documents/ID/signed, where the server checks it; each
// document's result is listed, and a failure leaves the others signed.
// After a signature the page is swapped for the server's page as it now
// is (the signer's row signed, no "Ký" for what was signed, the state),
// the results kept, without a reload.
import { KysoAgent, describeError } from "./kyso-plugin.js";

const body = document.body;
const lang = document.documentElement.lang === "vi" ? "vi" : "en";
const agent = new KysoAgent({ port: Number(body.dataset.agentPort) || 28731 });

// The certificate that names the account's registered identity
// ("CCCD:0010..." -> a subject holding it), else the agent's default.
async function pickCertificate() {
  const id = body.dataset.identity || "";
  const value = id.slice(id.indexOf(":") + 1);
  if (!value) return undefined;
  const certs = await agent.certificates();
  const c = certs.find((x) => x.valid_now && String(x.subject).includes(value));
  return c ? c.id : undefined;
}

async function held(doc) {
  const r = await fetch(`/documents/${doc}/pdf`, { credentials: "same-origin" });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// Uploads a signed version; the server's refusal is the page's text.
async function upload(doc, bytes) {
  const fd = new FormData();
  fd.append("csrf", body.dataset.csrf);
  fd.append("pdf", new Blob([bytes], { type: "application/pdf" }), "signed.pdf");
  const r = await fetch(`/documents/${doc}/signed`, {
    method: "POST", body: fd, credentials: "same-origin" });
  const text = await r.text();
  if (r.ok) return JSON.parse(text);
  const p = new DOMParser().parseFromString(text, "text/html").querySelector("p.error");
  throw new Error(p ? p.textContent : `HTTP ${r.status}`);
}

function report(doc, title, ok, text) {
  const ul = document.getElementById("sign-result");
  if (!ul) return;
  const li = document.createElement("li");
  li.dataset.doc = doc;
  li.className = ok ? "VALID" : "INVALID";
  li.textContent = `${title}: ${text}`;
  ul.appendChild(li);
}

// Signs docs ([{ doc, title, page, rect }]) in one batch.
async function signDocs(docs, buttons) {
  buttons.forEach((b) => { b.disabled = true; });
  body.dataset.signState = "signing";
  const ul = document.getElementById("sign-result");
  if (ul) ul.textContent = "";
  const why = [...document.querySelectorAll(".sign-why")];
  let signed = 0;
  why.forEach((s) => { s.textContent = body.dataset.signing; });
  try {
    const data = await Promise.all(docs.map((d) => held(d.doc)));
    const certificate = await pickCertificate();
    const items = docs.map((d, i) => {
      // B-LT when the server requires it (contract_level): the agent
      // adds the DSS after the signature.
      const options = { level: body.dataset.level || "B-T", visible: true };
      if (d.page) options.page = Number(d.page);
      if (d.rect) options.rect = d.rect;
      return { type: "pdf", title: d.title, data: data[i], options };
    });
    const results = await agent.sign(items, { certificate });
    for (const r of results) {
      const d = docs[r.index];
      if (!r.ok) { report(d.doc, d.title, false, describeError(r.error, lang)); continue; }
      try {
        const a = await upload(d.doc, r.data);
        report(d.doc, d.title, true, `${body.dataset.signed} (${a.state_text})`);
        signed += 1;
      } catch (e) {
        report(d.doc, d.title, false, e.message);
      }
    }
  } catch (e) {
    report("", "kyso-agent", false, describeError(e, lang));
  } finally {
    why.forEach((s) => { s.textContent = ""; });
    buttons.forEach((b) => { b.disabled = false; });
  }
  // Nothing signed: the page stays as it was, the buttons with it.
  if (signed) {
    try { await refresh(); } catch (e) { /* the results still say it */ }
  }
  body.dataset.signState = "done";
}

// The page as the server renders it now, in place of <main>; the
// results list (#sign-result, on every such page) is kept.
async function refresh() {
  const r = await fetch(location.href, { credentials: "same-origin" });
  if (!r.ok) return;
  const fresh = new DOMParser().parseFromString(await r.text(), "text/html");
  const main = fresh.querySelector("main");
  const old = document.querySelector("main");
  if (!main || !old) return;
  const now = document.adoptNode(main);
  const results = document.getElementById("sign-result");
  const slot = now.querySelector("#sign-result");
  if (results && slot) slot.replaceWith(results);
  old.replaceWith(now);
  wireSigning();
  showPages();
}

function docOf(el) {
  return { doc: el.dataset.doc, title: el.dataset.title || el.dataset.doc,
    page: el.dataset.page, rect: el.dataset.rect };
}

let agentReady = false;

// Enables "Ký" and "Ký nhiều" when kyso-agent answers; called again on
// the buttons of a page swapped in after signing.
function wireSigning() {
  const one = [...document.querySelectorAll("button.sign")];
  const many = [...document.querySelectorAll("button.sign-many")];
  if (!agentReady) {
    document.querySelectorAll(".sign-why").forEach((s) => { s.textContent = body.dataset.none; });
    return;
  }
  document.querySelectorAll(".sign-why").forEach((s) => { s.textContent = ""; });
  const buttons = [...one, ...many];
  one.forEach((b) => {
    b.disabled = false;
    b.addEventListener("click", () => signDocs([docOf(b)], buttons));
  });
  many.forEach((b) => {
    b.disabled = false;
    b.addEventListener("click", () => {
      const ticked = [...document.querySelectorAll("input[name=id]:checked")]
        .filter((c) => c.dataset.doc).map(docOf);
      if (ticked.length) signDocs(ticked, buttons);
    });
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  const st = document.getElementById("agent-status");
  let h = null;
  try { h = await agent.hello(); } catch (e) { h = null; }
  if (st) st.textContent = h ? `${st.dataset.ok} ${h.version}` : st.dataset.none;
  agentReady = Boolean(h);
  wireSigning();
  body.dataset.agent = h ? "ready" : "none";
});

// The pages of a contract (section.pages): each signer's stamp box drawn
// on its page, placed as a share of the page so it follows the image's
// size; for the owner before the first signature (data-place), a click
// on a page moves the chosen signer's stamp there (its top left corner)
// and the server stores it (/documents/ID/stamp).
function drawStamp(sec, span) {
  if (!span.dataset.box) return; // signed: the stamp is on the page
  const [x, y, w, h] = span.dataset.box.split(",").map(Number);
  const fig = sec.querySelector(`figure.page[data-page="${span.dataset.page}"]`);
  let box = sec.querySelector(`div.stampbox[data-pos="${span.dataset.pos}"]`);
  if (!fig) { if (box) box.remove(); return; }
  if (!box) {
    box = document.createElement("div");
    box.className = "stampbox";
    box.dataset.pos = span.dataset.pos;
    box.textContent = span.textContent;
  }
  const W = Number(fig.dataset.w), H = Number(fig.dataset.h);
  box.style.left = `${(100 * x) / W}%`;
  box.style.top = `${(100 * (H - y - h)) / H}%`;
  box.style.width = `${(100 * w) / W}%`;
  box.style.height = `${(100 * h) / H}%`;
  fig.querySelector(".sheet").appendChild(box);
}

async function placeStamp(sec, fig, img, ev) {
  const chosen = sec.querySelector("input[name=placing]:checked");
  if (!chosen) return;
  const span = sec.querySelector(`span.stamp[data-pos="${chosen.value}"]`);
  const [, , , h] = span.dataset.box.split(",").map(Number);
  const r = img.getBoundingClientRect();
  const W = Number(fig.dataset.w), H = Number(fig.dataset.h);
  const x = Math.round(((ev.clientX - r.left) / r.width) * W);
  const top = Math.round((1 - (ev.clientY - r.top) / r.height) * H);
  const fd = new URLSearchParams({ csrf: body.dataset.csrf, pos: chosen.value,
    page: fig.dataset.page, x: String(Math.max(0, x)), y: String(Math.max(0, top - h)) });
  const res = await fetch(`/documents/${sec.dataset.doc}/stamp`, {
    method: "POST", body: fd, credentials: "same-origin" });
  if (!res.ok) { body.dataset.placed = "refused"; return; }
  const a = await res.json();
  span.dataset.page = String(a.page);
  span.dataset.box = a.box;
  drawStamp(sec, span);
  const td = document.querySelector(`td.box[data-pos="${a.pos}"]`);
  if (td) td.textContent = `${a.page} ${a.box.replaceAll(",", " ")}`;
  body.dataset.placed = `${a.pos}:${a.page}:${a.box}`;
}

// Draws the stamp boxes and, for the owner, lets a click place them.
function showPages() {
  const sec = document.querySelector("section.pages");
  if (!sec) return;
  sec.querySelectorAll("span.stamp").forEach((s) => drawStamp(sec, s));
  if (!sec.dataset.place) return;
  sec.querySelectorAll("figure.page").forEach((fig) => {
    const img = fig.querySelector("img");
    img.classList.add("placing");
    img.addEventListener("click", (ev) => placeStamp(sec, fig, img, ev));
  });
  body.dataset.placing = "ready";
}

document.addEventListener("DOMContentLoaded", showPages);
