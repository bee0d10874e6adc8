// A resident on a phone-sized viewport files a report with a photo, opens the tracking page, and a staff
// action made through the API appears on the open page without a reload.
//
// Usage: node residents.test.mjs BASE_URL DISPATCHER_TOKEN
// Browser: Debian's chromium at /usr/bin/chromium (override with CHROMIUM).
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node residents.test.mjs BASE_URL DISPATCHER_TOKEN");
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

  console.log(`e2e residents: ${checks} checks passed`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
