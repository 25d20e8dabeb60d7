// kyso-contract's page script, an ES module served from /static (the CSP
// allows no inline script). It finds kyso-agent through kyso-plugin.js;
// when the agent answers it enables "Ký" (one document) and "Ký nhiều"
// (the ticked ones, one batch: one confirmation and one PIN), else the
// buttons stay disabled and say why. Signing: the held version is fetched
// from this site, signed by the agent with the signer's stamp (B-T), and
// uploaded to /documents/ID/signed, where the server checks it; each
// document's result is listed, and a failure leaves the others signed.
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
  why.forEach((s) => { s.textContent = body.dataset.signing; });
  try {
    const data = await Promise.all(docs.map((d) => held(d.doc)));
    const certificate = await pickCertificate();
    const items = docs.map((d, i) => {
      const options = { level: "B-T", visible: true };
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
        report(d.doc, d.title, true, `${body.dataset.signed} (${a.state})`);
      } catch (e) {
        report(d.doc, d.title, false, e.message);
      }
    }
  } catch (e) {
    report("", "kyso-agent", false, describeError(e, lang));
  } finally {
    why.forEach((s) => { s.textContent = ""; });
    body.dataset.signState = "done";
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function docOf(el) {
  return { doc: el.dataset.doc, title: el.dataset.title || el.dataset.doc,
    page: el.dataset.page, rect: el.dataset.rect };
}

document.addEventListener("DOMContentLoaded", async () => {
  const st = document.getElementById("agent-status");
  const one = [...document.querySelectorAll("button.sign")];
  const many = [...document.querySelectorAll("button.sign-many")];
  let h = null;
  try { h = await agent.hello(); } catch (e) { h = null; }
  if (st) st.textContent = h ? `${st.dataset.ok} ${h.version}` : st.dataset.none;
  if (!h) {
    document.querySelectorAll(".sign-why").forEach((s) => { s.textContent = body.dataset.none; });
    body.dataset.agent = "none";
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
  body.dataset.agent = "ready";
});
