// Shared by the kyso-contract browser drivers (browser_sign.mjs, the
// demo's demo_web.mjs, bench/contract): signing in, a check that throws,
// waiting for a page's images.
export function expect(cond, what) { if (!cond) throw new Error(what); }

// Signs p's context in as email (its cookies cleared first).
export async function signIn(p, ctx, url, email, password) {
  await ctx.clearCookies();
  await p.goto(`${url}/login`);
  await p.fill("input[name=email]", email);
  await p.fill("input[name=password]", password);
  await Promise.all([p.waitForURL(`${url}/documents`), p.click("form[action='/login'] button")]);
}

// Until every page image of the contract's page has loaded.
export async function pagesLoaded(p) {
  await p.waitForFunction(() => [...document.querySelectorAll("figure.page img")].every((i) => i.complete));
}
