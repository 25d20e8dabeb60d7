// kyso-plugin.js: the web page's side of kyso-agent, the local signing
// service that holds the user's USB token. A small ES module with no
// dependencies; docs/agent.md is its reference.
//
//   import { KysoAgent } from "./kyso-plugin.js";
//   const agent = new KysoAgent();
//   await agent.hello();
//   const results = await agent.sign([{ type: "pdf", title: "Contract", data: bytes }],
//                                    { onProgress: (p) => console.log(p.done, p.total) });
//
// Every failure is a KysoAgentError whose .code is one of ERROR_CODES.
// The page never sees a PIN: the agent asks for it in a native dialog.

export const DEFAULT_PORT = 28731;
export const API_VERSION = 1;
// The agent's own limit on a request body (64 MiB); checked here too so a
// page learns TOO_LARGE without sending it.
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
export const MAX_ITEMS = 100;

// The codes a page can act on. The first ones are the agent's (the same
// names in its JSON); the last two are this module's own: nothing
// answered at all, or the browser's Local Network Access permission kept
// the page from asking.
export const ERROR_CODES = Object.freeze([
  "USER_CANCELLED", "PIN_INCORRECT", "PIN_LOCKED", "TOKEN_ABSENT",
  "CERT_EXPIRED", "ORIGIN_DENIED", "BUSY", "TOO_LARGE", "BAD_REQUEST",
  "TIMEOUT", "NOT_FOUND", "SIGN_FAILED", "INTERNAL",
  "AGENT_NOT_RUNNING", "LNA_DENIED",
]);

// An error the page can branch on: .code (ERROR_CODES), .message (English,
// for logs), .status (the HTTP status when the agent answered), .triesLeft
// (PIN_INCORRECT), .results (the items finished before a batch failed).
export class KysoAgentError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = "KysoAgentError";
    this.code = ERROR_CODES.includes(code) ? code : "INTERNAL";
    this.status = extra.status ?? 0;
    if (extra.triesLeft !== undefined) this.triesLeft = extra.triesLeft;
    if (extra.results !== undefined) this.results = extra.results;
    if (extra.job !== undefined) this.job = extra.job;
  }
}

// What to tell the user for each code, in English and Vietnamese; pages
// may show these or their own.
const TEXTS = {
  en: {
    USER_CANCELLED: "You cancelled the signing.",
    PIN_INCORRECT: "Wrong PIN.",
    PIN_LOCKED: "The token's PIN is locked. Unblock it with kyso-token.",
    TOKEN_ABSENT: "The USB token is not plugged in.",
    CERT_EXPIRED: "The signing certificate has expired.",
    ORIGIN_DENIED: "This site is not allowed to use your USB token. You can change that with the command kyso-agent origins.",
    BUSY: "The agent is signing for another page. Try again when it is done.",
    TOO_LARGE: "The documents are too large to sign at once (64 MB at most).",
    BAD_REQUEST: "The agent refused the request.",
    TIMEOUT: "Nobody answered the agent's dialog in time.",
    NOT_FOUND: "No such certificate or job.",
    SIGN_FAILED: "This document could not be signed.",
    INTERNAL: "The agent failed.",
    AGENT_NOT_RUNNING: "kyso-agent is not running on this computer. Install it or start it.",
    LNA_DENIED: "The browser does not let this page reach kyso-agent: allow local network access for this site in the browser's site settings.",
    triesLeft: (n) => `${n} tries left.`,
  },
  vi: {
    USER_CANCELLED: "Bạn đã hủy việc ký.",
    PIN_INCORRECT: "Mã PIN không đúng.",
    PIN_LOCKED: "Mã PIN của token đã bị khóa. Hãy mở khóa bằng kyso-token.",
    TOKEN_ABSENT: "Chưa cắm USB token.",
    CERT_EXPIRED: "Chứng thư số dùng để ký đã hết hạn.",
    ORIGIN_DENIED: "Trang này không được phép dùng USB token của bạn. Có thể thay đổi bằng lệnh kyso-agent origins.",
    BUSY: "kyso-agent đang ký cho một trang khác. Hãy thử lại khi xong.",
    TOO_LARGE: "Tài liệu quá lớn để ký một lần (tối đa 64 MB).",
    BAD_REQUEST: "kyso-agent từ chối yêu cầu.",
    TIMEOUT: "Không có ai trả lời hộp thoại của kyso-agent kịp thời.",
    NOT_FOUND: "Không tìm thấy chứng thư số hoặc công việc.",
    SIGN_FAILED: "Không ký được tài liệu này.",
    INTERNAL: "kyso-agent gặp lỗi.",
    AGENT_NOT_RUNNING: "kyso-agent chưa chạy trên máy này. Hãy cài đặt hoặc khởi động nó.",
    LNA_DENIED: "Trình duyệt không cho trang này kết nối tới kyso-agent: hãy cho phép truy cập mạng cục bộ cho trang này trong cài đặt trang web của trình duyệt.",
    triesLeft: (n) => `Còn ${n} lần thử.`,
  },
};

// A sentence for the user about err (a KysoAgentError or any error), in
// lang ("en" or "vi"; others fall back to English).
export function describeError(err, lang = "en") {
  const t = TEXTS[String(lang).slice(0, 2)] || TEXTS.en;
  const code = err && ERROR_CODES.includes(err.code) ? err.code : "INTERNAL";
  let s = t[code];
  if (code === "PIN_INCORRECT" && Number.isInteger(err.triesLeft)) s += " " + t.triesLeft(err.triesLeft);
  return s;
}

// Bytes (Uint8Array, ArrayBuffer, a typed array view or a string, UTF-8)
// as base64, in slices so a large document does not overflow the stack.
export function toBase64(data) {
  let bytes;
  if (typeof data === "string") bytes = new TextEncoder().encode(data);
  else if (data instanceof Uint8Array) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw new KysoAgentError("BAD_REQUEST", "an item's data must be bytes or a string");
  const parts = [];
  for (let i = 0; i < bytes.length; i += 0x8000) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
  }
  return btoa(parts.join(""));
}

// base64 back to a Uint8Array.
export function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The state of the browser's Local Network Access permission for this
// page: "granted", "denied", "prompt", or "unknown" where the browser has
// no such permission (or no Permissions API). Chromium names it
// "loopback-network"; earlier versions "local-network-access".
export async function lnaPermission() {
  const perms = globalThis.navigator && globalThis.navigator.permissions;
  if (!perms || typeof perms.query !== "function") return "unknown";
  for (const name of ["loopback-network", "local-network-access"]) {
    try {
      const st = await perms.query({ name });
      if (st && typeof st.state === "string") return st.state;
    } catch (e) {
      // This browser does not know the name: try the next one.
    }
  }
  return "unknown";
}

// True when this page is a top-level http:// page on a non-loopback host:
// such a page is not a secure context and may not reach loopback at all
// under Local Network Access.
function insecurePage() {
  return globalThis.isSecureContext === false;
}

// A client for one agent (one port). Pages usually make one.
export class KysoAgent {
  // options: port (DEFAULT_PORT), host ("127.0.0.1"; "[::1]" and
  // "localhost" work too), pollInterval (ms between job polls, 250),
  // maxBodyBytes (MAX_BODY_BYTES: larger batches fail here with TOO_LARGE).
  constructor(options = {}) {
    this.port = options.port ?? DEFAULT_PORT;
    this.host = options.host ?? "127.0.0.1";
    this.pollInterval = options.pollInterval ?? 250;
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.base = `http://${this.host}:${this.port}`;
    this.job = null;        // the batch this page is running, if any
    this.helloOk = false;   // hello() answered once
  }

  // One request to the agent. A JSON answer with an error becomes its
  // KysoAgentError; a fetch that fails without an answer the page may
  // read is classified by why().
  async request(method, path, body) {
    const init = {
      method,
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      // Local Network Access: this request goes to the loopback address
      // space (browsers that do not know the option ignore it).
      targetAddressSpace: "loopback",
    };
    let size = 0;
    if (body !== undefined) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
      size = init.body.length;
      if (size > this.maxBodyBytes) {
        throw new KysoAgentError("TOO_LARGE",
          `the request is ${size} bytes, more than ${this.maxBodyBytes}`, { status: 413 });
      }
    }
    let res;
    try {
      res = await fetch(this.base + path, init);
    } catch (e) {
      throw await this.why(path, size, e);
    }
    let json = null;
    try {
      json = await res.json();
    } catch (e) {
      json = null;
    }
    if (!res.ok || !json) {
      const err = json && json.error ? json.error : {};
      const code = err.code || (res.status === 413 ? "TOO_LARGE"
        : res.status === 421 ? "BAD_REQUEST" : res.status === 503 ? "BUSY" : "INTERNAL");
      throw new KysoAgentError(code, err.message || `HTTP ${res.status}`,
        { status: res.status, triesLeft: err.tries_left });
    }
    return json;
  }

  // Why a fetch failed with no readable answer (the browser says only
  // "TypeError: Failed to fetch"). An opaque no-cors probe tells a running
  // agent that refused this origin (no CORS header: ORIGIN_DENIED) from
  // nothing answering; the LNA permission and the page's own security tell
  // the rest.
  async why(path, size, cause) {
    if (size > MAX_BODY_BYTES) {
      // The agent may cut a connection whose body is over its limit.
      return new KysoAgentError("TOO_LARGE", `the agent did not take a ${size}-byte request`);
    }
    let answered = false;
    try {
      await fetch(this.base + "/v1/hello", {
        mode: "no-cors", credentials: "omit", cache: "no-store",
        referrerPolicy: "no-referrer", targetAddressSpace: "loopback",
      });
      answered = true;
    } catch (e) {
      answered = false;
    }
    if (answered) {
      return new KysoAgentError("ORIGIN_DENIED",
        `kyso-agent refused ${globalThis.location ? globalThis.location.origin : "this origin"}`);
    }
    // An http:// page is refused the permission outright (the browser
    // reports it "denied" too): say why.
    if (insecurePage()) {
      return new KysoAgentError("LNA_DENIED",
        "this page is not a secure context (http://): the browser lets only https:// pages reach kyso-agent");
    }
    if (await lnaPermission() === "denied") {
      return new KysoAgentError("LNA_DENIED",
        "the browser's Local Network Access permission for this site is denied");
    }
    if (this.helloOk && path !== "/v1/hello") {
      return new KysoAgentError("ORIGIN_DENIED", "kyso-agent refused this origin");
    }
    return new KysoAgentError("AGENT_NOT_RUNNING",
      `nothing answered at ${this.base} (${cause && cause.message ? cause.message : "no answer"})`);
  }

  // The agent's version, API level and features, and whether this origin
  // is approved: { agent, version, api, features, approved }.
  async hello() {
    const h = await this.request("GET", "/v1/hello");
    if (h.agent !== "kyso-agent" || h.api !== API_VERSION) {
      throw new KysoAgentError("INTERNAL", `not kyso-agent API ${API_VERSION} at ${this.base}`);
    }
    this.helloOk = true;
    return h;
  }

  // The certificates on the plugged-in tokens (the first call from a new
  // origin makes the agent ask the user whether it may).
  async certificates() {
    const r = await this.request("GET", "/v1/certificates");
    return r.certificates || [];
  }

  // Signs a batch: items are { type: "pdf"|"xml"|"cms", title, data,
  // options }, data bytes (Uint8Array/ArrayBuffer) or a string. options:
  // certificate (an id from certificates(); default the newest valid),
  // onProgress({ job, state, done, total, results }), signal (an
  // AbortSignal: aborting cancels the batch). Resolves to one result per
  // item: { index, ok: true, data: Uint8Array } or { index, ok: false,
  // error: KysoAgentError }. A batch that fails as a whole (cancelled,
  // wrong PIN, token removed...) rejects with its KysoAgentError, whose
  // .results holds the items finished before.
  async sign(items, options = {}) {
    if (!Array.isArray(items) || items.length === 0) {
      throw new KysoAgentError("BAD_REQUEST", "sign() needs a non-empty array of items");
    }
    if (items.length > MAX_ITEMS) {
      throw new KysoAgentError("TOO_LARGE", `at most ${MAX_ITEMS} items a batch`);
    }
    const body = {
      items: items.map((it) => {
        const o = { type: it.type, title: String(it.title ?? ""), data: toBase64(it.data) };
        if (it.options) o.options = it.options;
        return o;
      }),
    };
    if (options.certificate) body.certificate = options.certificate;
    const started = await this.request("POST", "/v1/sign", body);
    const job = started.job;
    this.job = job;
    const onAbort = () => { this.cancel(job).catch(() => {}); };
    if (options.signal) {
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener("abort", onAbort, { once: true });
    }
    try {
      return await this.follow(job, options.onProgress);
    } finally {
      if (options.signal) options.signal.removeEventListener("abort", onAbort);
      if (this.job === job) this.job = null;
    }
  }

  // Polls a job until it ends, telling onProgress of each change.
  async follow(job, onProgress) {
    let last = "";
    for (;;) {
      const st = await this.request("GET", `/v1/jobs/${encodeURIComponent(job)}`);
      const results = (st.results || []).map(toResult);
      const key = `${st.state}/${st.done}/${results.length}`;
      if (key !== last && typeof onProgress === "function") {
        last = key;
        try {
          onProgress({ job, state: st.state, done: st.done, total: st.total, results });
        } catch (e) {
          // A page's callback failing does not stop the batch.
        }
      }
      if (st.state === "done") return results;
      if (st.state === "failed" || st.state === "cancelled") {
        const e = st.error || {};
        throw new KysoAgentError(e.code || (st.state === "cancelled" ? "USER_CANCELLED" : "INTERNAL"),
          e.message, { triesLeft: e.tries_left, results, job });
      }
      await sleep(this.pollInterval);
    }
  }

  // Cancels a batch (default: the one sign() is running). Before the user
  // confirmed, the agent closes its dialog; while signing, no item after
  // the current one is signed. sign() then rejects with USER_CANCELLED.
  async cancel(job = this.job) {
    if (!job) return null;
    return this.request("POST", `/v1/jobs/${encodeURIComponent(job)}/cancel`, {});
  }
}

// One item of a job's results as the page sees it.
function toResult(r) {
  if (r.ok) return { index: r.index, ok: true, data: fromBase64(r.data) };
  const e = r.error || {};
  return { index: r.index, ok: false, error: new KysoAgentError(e.code, e.message) };
}

// The same calls on a default agent (port 28731), for short pages.
let defaultAgent = null;
function agent() {
  if (!defaultAgent) defaultAgent = new KysoAgent();
  return defaultAgent;
}
export const hello = () => agent().hello();
export const certificates = () => agent().certificates();
export const sign = (items, options) => agent().sign(items, options);
export const cancel = (job) => agent().cancel(job);
