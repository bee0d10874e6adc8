// A resident on a phone-sized viewport files a report with a photo and a point tapped on the map,
// opens the tracking page, and a staff action made through the API appears on the open page
// without a reload. Then the callback: the case is resolved through the API and the resident
// answers on the tracking page; "not solved, dissatisfied" reopens it. Last, the duplicate hint:
// a second report at the same point shows the open case, and "me too" answers with its code.
//
// Usage: node residents.test.mjs BASE_URL DISPATCHER_TOKEN DEPARTMENT_TOKEN (staff_cgw)
// Browser: Debian's chromium at /usr/bin/chromium (override with CHROMIUM).
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

const [base, token, staffToken] = process.argv.slice(2);
if (!base || !token || !staffToken) {
  console.error("usage: node residents.test.mjs BASE_URL DISPATCHER_TOKEN DEPARTMENT_TOKEN");
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), "chuishao-e2e-"));
// A fresh profile directory: playwright passes it to chromium as --user-data-dir.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true,
  locale: "zh-CN",
});
let checks = 0;
const ok = (cond, what) => { assert.ok(cond, what); checks++; };

try {
  const page = context.pages()[0] || (await context.newPage());

  // 1. The report form.
  await page.goto(`${base}/report`);
  ok((await page.getAttribute("html", "lang")) === "zh-CN", "html lang zh-CN");
  await page.fill("#category-filter", "垃圾");
  const chosen = await page.inputValue("#category");
  ok(chosen !== "", `category search picked ${chosen}`);
  await page.fill("textarea[name=description]", "小区东门垃圾桶满溢，气味很大");
  await page.fill("input[name=address]", "樱花园社区东门");
  await page.fill("input[name=name]", "测试居民");
  await page.fill("input[name=phone]", "13900004321");
  // A 16×16 red PNG made for this test.
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGM4YaNBEmIY1TCqYfhqAAAeBCwQMwPSngAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.setInputFiles("#photo", { name: "problem.png", mimeType: "image/png", buffer: png });
  // The map: a tap fills the coordinates and places the marker, without leaving the page.
  const mapUrl = page.url();
  const tap = { x: 60, y: 40 };
  await page.click("#map", { position: tap });
  const lat = await page.inputValue("#lat"), lon = await page.inputValue("#lon");
  ok(/^\d+\.\d{6}$/.test(lat) && /^\d+\.\d{6}$/.test(lon), `map tap set ${lat}, ${lon}`);
  ok(page.url() === mapUrl && (await page.isVisible("#map-marker")), "marker placed in place, no submit");
  ok((await page.textContent("#map-chosen-point")).includes(lat), "chosen point shown");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  const code = (await page.textContent("#tracking-code b")).trim();
  ok(/^[2-9A-HJ-NP-Z]{10}$/.test(code), `tracking code ${code}`);
  const thumb = await page.getAttribute(".thumbs img", "src");
  ok(thumb && thumb.endsWith(".thumb.jpg"), `photo stored: ${thumb}`);
  const img = await page.evaluate(() => document.querySelector(".thumbs img").naturalWidth);
  ok(img > 0, "the cleaned thumbnail loads");

  // 2. The tracking page, live.
  await Promise.all([page.waitForNavigation(), page.click("#track-link")]);
  ok(page.url().includes(`/t/${code}`), "on the tracking page");
  ok((await page.textContent("#status")).includes("已受理"), "status received");
  await page.waitForSelector("#case[data-live='1']");
  const body = await page.textContent("body");
  ok(!body.includes("测试居民") && !body.includes("13900004321"), "no reporter data on the page");

  // 3. A staff action through the API appears without a reload.
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const found = await (await fetch(`${base}/api/v1/cases?limit=50`, { headers })).json();
  const c = found.items.find((x) => x.tracking_code === code);
  ok(c, "the case is listed for the dispatcher");
  const reg = await fetch(`${base}/api/v1/cases/${c.id}/transitions`, {
    method: "POST", headers, body: JSON.stringify({ action: "register", version: c.version }),
  });
  ok(reg.status === 200, `register: ${reg.status}`);
  const before = page.url();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("已立案"), null, { timeout: 30000 });
  ok(page.url() === before, "no navigation happened");
  ok((await page.textContent("#timeline")).includes("已立案"), "timeline updated live");

  // 4. The English switch.
  await page.click("a.lang");
  ok((await page.getAttribute("html", "lang")) === "en", "html lang en");
  ok((await page.textContent("#status")).includes("Registered"), "English status");
  await page.click("a.lang"); // back to Chinese

  // 5. The callback: resolved through the API, answered on the tracking page, reopened.
  const act = async (tok, action, fields = {}) => {
    const h = { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" };
    const cur = await (await fetch(`${base}/api/v1/cases/${c.id}`, { headers })).json();
    const r = await fetch(`${base}/api/v1/cases/${c.id}/transitions`, {
      method: "POST", headers: h, body: JSON.stringify({ action, version: cur.version, ...fields }),
    });
    ok(r.status === 200, `${action}: ${r.status} ${r.status === 200 ? "" : await r.text()}`);
  };
  await act(token, "dispatch", { handler_code: "CGW" });
  await act(staffToken, "accept");
  await act(staffToken, "resolve", { result: "垃圾已清运，桶已清洗", evidence: ["after.jpg"] });
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("已办结"), null, { timeout: 30000 });
  await page.reload();
  ok(await page.isVisible("#callback form"), "the callback form is offered once resolved");
  ok((await page.textContent(".result")).includes("垃圾已清运"), "the handling unit's result is shown");
  await page.fill("input[name=phone_last4]", "4321");
  await page.check("input[name=solved][value=no]");
  await page.check("input[name=satisfaction][value=dissatisfied]");
  await page.fill("#callback textarea[name=comment]", "桶还是满的");
  await Promise.all([page.waitForNavigation(), page.click("#callback button[type=submit]")]);
  ok((await page.textContent("body")).includes("重新交办"), "told the case was sent back");
  const after = await (await fetch(`${base}/api/v1/public/cases/${code}`)).json();
  ok(after.status !== "resolved" && after.timeline.some((e) => e.kind === "reopened"), `reopened: ${after.status}`);
  await page.goto(`${base}/t/${code}`);
  ok(!(await page.isVisible("#callback")), "no callback form while it is worked on again");

  // 6. The duplicate hint: a second report at the same point, same category, says "me too".
  await page.goto(`${base}/report`);
  await page.fill("#category-filter", "垃圾");
  ok((await page.inputValue("#category")) === chosen, "same category");
  await page.click("#map", { position: tap });
  ok((await page.inputValue("#lat")) === lat, "same point");
  const meToo = `form[action^="/t/${code}/me-too"]`;
  await page.waitForSelector(`#nearby ${meToo}`, { timeout: 15000 });
  ok(await page.isVisible("#nearby"), "the hint is shown");
  await Promise.all([page.waitForNavigation(), page.click(`${meToo} button`)]);
  ok((await page.textContent("#tracking-code b")).trim() === code, "me too answers with the case's code");
  ok((await page.textContent("#me-too-count")).trim() === "1", "counted once");
  await Promise.all([page.waitForNavigation(), page.click("#track-link")]);
  ok(page.url().includes(`/t/${code}`), "and leads to its live page");
  await page.waitForSelector("#case[data-live='1']");

  console.log(`e2e residents: ${checks} checks passed`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
