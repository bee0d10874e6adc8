// The console's whistle pages in a real browser: a subdistrict leader watches the whistle board
// of 和平街道; a department user (on a phone) finds the whistle in the whistles summoning their
// unit, acknowledges it and checks in on site from the console; the leader's board changes
// without a reload. Screenshots of the whistle board, a whistle page, the scorecards and the
// grid map at desktop (1366×768) and phone size go to target/screenshots/.
//
// Usage: node console_whistles.test.mjs BASE_URL DISPATCHER_TOKEN [SCREENSHOT_DIR]
import { join } from "node:path";
import assert from "node:assert/strict";
import { DESKTOP, PHONE, browsers, checker, screenshotDir, signIn } from "./console_lib.mjs";

const [base, token, shotsArg] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node console_whistles.test.mjs BASE_URL DISPATCHER_TOKEN [SCREENSHOT_DIR]");
  process.exit(2);
}
const shots = screenshotDir(shotsArg);
const ok = checker();
const launched = browsers("whistles");
const browser = (opts) => launched.open(opts);
const login = (page, user) => signIn(page, base, user);
/// Submits the form of `action` for `unit` on a whistle page, filled by `fill`, by keyboard.
async function act(page, action, unit, fill) {
  const form = page.locator(`form[data-action=${action}][data-unit="${unit}"]`);
  await form.evaluate((el) => { el.closest("details").open = true; });
  if (fill) await fill(form);
  const button = form.locator("button[type=submit]");
  await button.focus();
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
}

// An emergency whistle in 和平街道's first grid summoning the Urban Management Law Enforcement
// Bureau, raised through the API by the district's dispatcher.
const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
const raised = await fetch(`${base}/api/v1/whistles`, {
  method: "POST", headers,
  body: JSON.stringify({
    kind: "emergency", title: "e2e：樱花园小区燃气泄漏", lat: 39.9744, lon: 116.3961, address: "樱花园小区5号楼",
    units: [{ unit_code: "CGZF", task: "现场封控" }, { unit_code: "ZJW", task: "排查管线" }],
  }),
});
assert.equal(raised.status, 201, `raise a whistle: ${raised.status}`);
const w = await raised.json();

const desk = await browser(DESKTOP);
const phone = await browser(PHONE);
try {
  // 1. The subdistrict leader watches the board; it is live.
  const d = desk.pages()[0] || (await desk.newPage());
  await login(d, "subdistrict_leader");
  await d.goto(`${base}/console/whistles?subdistrict=110199001`);
  await d.waitForSelector("#board[data-connected='1']");
  ok(await d.locator(`#whistle-${w.id}`).count() === 1, "the whistle is on the leader's board");
  ok((await d.textContent(`#whistle-${w.id}`)).includes("待响应"), "nobody has answered yet");
  await d.evaluate(() => { window.__noReload = true; });
  await d.screenshot({ path: join(shots, "whistles-board-desktop.png"), fullPage: false });

  // 2. The department, on a phone: the whistles summoning its unit; acknowledge; check in.
  const p = phone.pages()[0] || (await phone.newPage());
  await login(p, "department_staff");
  await p.goto(`${base}/console/whistles`);
  ok(await p.locator(`#inbox-${w.id}`).count() === 1, "the whistle is in the department's list");
  await p.screenshot({ path: join(shots, "whistles-board-phone.png"), fullPage: true });
  await p.click(`#inbox-${w.id} a`);
  ok(p.url().endsWith(`/console/whistles/${w.id}`), `opened the whistle: ${p.url()}`);
  ok(await p.locator("form[data-action]").count() === 1, "one thing to do: acknowledge");
  ok(await p.locator("#unit-ZJW").count() === 0, "another department's unit is not shown");
  await act(p, "acknowledge", "CGZF");
  ok((await p.textContent("#banner")).includes("操作已完成"), "acknowledged");
  await act(p, "check_in", "CGZF", async (f) => {
    await f.locator("input[name=lat]").fill("39.9745");
    await f.locator("input[name=lon]").fill("116.3962");
  });
  ok((await p.textContent("#unit-CGZF")).includes("已报到"), "checked in on site");
  ok(await p.locator("form[data-action=report_done][data-unit=CGZF]").count() === 1, "next: report done");
  await p.screenshot({ path: join(shots, "whistle-phone.png"), fullPage: true });

  // 3. The leader's board changed without a reload.
  await d.waitForFunction((id) => {
    const row = document.getElementById(`whistle-${id}`);
    return row && row.textContent.includes("已报到");
  }, w.id, { timeout: 30000 });
  ok(await d.evaluate(() => window.__noReload === true), "the board was not reloaded");
  await d.screenshot({ path: join(shots, "whistles-board-live-desktop.png"), fullPage: false });

  // 4. The whistle page on a desktop; a post without its CSRF token is refused.
  await d.goto(`${base}/console/whistles/${w.id}`);
  ok(await d.locator("#unit-ZJW").count() === 1, "the subdistrict sees every unit of a whistle on its territory");
  ok(await d.locator("form[data-action]").count() === 0, "but did not raise it: nothing to do");
  await d.screenshot({ path: join(shots, "whistle-desktop.png"), fullPage: true });
  const refused = await p.evaluate(async (id) => (await fetch(`/console/whistles/${id}/act`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "action=report_done&version=3&unit_code=CGZF&report=x",
  })).status, w.id);
  ok(refused === 403, `no CSRF token → ${refused}`);

  // 5. Scorecards: the department its own (phone); the district all, ranked (desktop).
  await p.goto(`${base}/console/scorecards`);
  ok(await p.locator("#scorecards tbody tr").count() === 1, "a department sees its own scorecard");
  await p.screenshot({ path: join(shots, "scorecards-phone.png"), fullPage: true });
  const admin = await desk.newPage();
  await desk.clearCookies();
  await login(admin, "dispatcher");
  await admin.goto(`${base}/console/scorecards`);
  ok(await admin.locator("#scorecards tbody tr").count() >= 10, "the district ranks every department");
  ok(await admin.locator("#rates tbody tr").count() >= 3, "and every subdistrict's whistle rate");
  await admin.screenshot({ path: join(shots, "scorecards-desktop.png"), fullPage: true });

  // 6. The grid map, desktop and phone.
  await admin.goto(`${base}/console/map?org=110199001`);
  ok(await admin.locator("#map svg").count() === 1, "the map is drawn");
  await admin.screenshot({ path: join(shots, "map-desktop.png"), fullPage: false });
  const pm = await phone.newPage();
  await phone.clearCookies();
  await login(pm, "subdistrict_leader");
  await pm.goto(`${base}/console/map`);
  ok(await pm.locator("#map svg").count() === 1, "the leader's own map");
  await pm.screenshot({ path: join(shots, "map-phone.png"), fullPage: true });
  await pm.goto(`${base}/console/whistles/${w.id}?lang=en`);
  ok((await pm.getAttribute("html", "lang")) === "en", "English switch");
  await pm.screenshot({ path: join(shots, "whistle-en-phone.png"), fullPage: true });
  console.log(`e2e console whistles: ${ok.count()} checks passed; screenshots in ${shots}`);
} finally {
  await desk.close();
  await phone.close();
  launched.removeProfiles();
}
