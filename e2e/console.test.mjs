// The staff console in a real browser: a dispatcher signs in and dispatches a case; a
// department user (on a phone) accepts and resolves it; the dispatcher's open board changes
// without a reload; another department gets 404 by URL; a post without its CSRF token is
// refused. Screenshots of the main pages at desktop and phone sizes go to target/screenshots/.
//
// Usage: node console.test.mjs BASE_URL DISPATCHER_TOKEN [SCREENSHOT_DIR]
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { DESKTOP, PHONE, browsers, checker, screenshotDir, signIn } from "./console_lib.mjs";

const [base, token, shotsArg] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node console.test.mjs BASE_URL DISPATCHER_TOKEN [SCREENSHOT_DIR]");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const shots = screenshotDir(shotsArg);
const ok = checker();
const launched = browsers("console");
const browser = (opts) => launched.open(opts);
const login = (page, user) => signIn(page, base, user);
async function act(page, action, fill) {
  const form = page.locator(`form[data-action=${action}]`);
  await form.evaluate((el) => { el.closest("details").open = true; });
  if (fill) await fill(form);
  await Promise.all([page.waitForNavigation(), form.locator("button[type=submit]").click()]);
}

const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
const created = await fetch(`${base}/api/v1/cases`, {
  method: "POST", headers,
  body: JSON.stringify({ description: "e2e：樱花园小区东门垃圾满溢", category_code: "E0101", grid_code: "110199001001001" }),
});
assert.equal(created.status, 201, `create case: ${created.status}`);
const c = await created.json();

const desk = await browser(DESKTOP);
const phone = await browser(PHONE);
try {
  // 1. The dispatcher signs in and lands on the board; a second tab keeps the board open.
  const d = desk.pages()[0] || (await desk.newPage());
  await login(d, "dispatcher");
  ok(d.url().endsWith("/console/board"), `dispatcher lands on the board: ${d.url()}`);
  ok(await d.locator(`#case-${c.id}`).count() === 1, "the new case is on the incoming queue");
  await d.screenshot({ path: join(shots, "board-desktop.png"), fullPage: false });
  const watch = await desk.newPage();
  await watch.goto(`${base}/console/board?queue=working`);
  await watch.waitForSelector("#board[data-connected='1']");
  await watch.evaluate(() => { window.__noReload = true; });

  // 2. One screen: register and dispatch with the suggested (or chosen) unit.
  await d.goto(`${base}/console/cases/${c.id}`);
  await d.screenshot({ path: join(shots, "case-desktop.png"), fullPage: true });
  await act(d, "register_dispatch", (f) => f.locator("select[name=handler_code]").selectOption("CGZF"));
  ok((await d.getAttribute("#status", "data-status")) === "dispatched", "dispatched");

  // 3. A post without its CSRF token is refused.
  const status = await d.evaluate(async (id) => (await fetch(`/console/cases/${id}/act`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "action=supervise&version=3&note=x",
  })).status, c.id);
  ok(status === 403, `no CSRF token → ${status}`);

  // 4. The department, on a phone: inbox, accept, resolve with evidence.
  const p = phone.pages()[0] || (await phone.newPage());
  await login(p, "department_staff");
  ok(p.url().endsWith("/console/inbox"), `department lands on the inbox: ${p.url()}`);
  await p.screenshot({ path: join(shots, "inbox-phone.png"), fullPage: true });
  await p.setViewportSize({ width: 1366, height: 768 });
  await p.screenshot({ path: join(shots, "inbox-desktop.png") });
  await p.setViewportSize({ width: 390, height: 844 });
  await p.goto(`${base}/console/cases/${c.id}`);
  await p.screenshot({ path: join(shots, "case-phone.png"), fullPage: true });
  await act(p, "accept");
  ok((await p.getAttribute("#status", "data-status")) === "accepted", "accepted");
  // The clocks read right: each named, the headline is the resolution deadline, the met
  // acceptance clock shows its outcome (no countdown), durations in the page language (also
  // after console.js has rewritten them).
  await p.waitForFunction(() => document.querySelector("#due .countdown")?.textContent.length > 0);
  ok((await p.getAttribute("#due", "data-clock")) === "resolution", "the headline is the resolution deadline");
  const dueZh = await p.textContent("#due");
  ok(/^办理时限/.test(dueZh.trim()) && /剩余 (\d+天(\d+小时)?|\d+小时\d+分|\d+分钟)/.test(dueZh), `headline reads in Chinese: ${dueZh}`);
  const met = p.locator("#clocks li[data-clock=acceptance]");
  ok((await met.getAttribute("data-state")) === "met", "the acceptance clock is met");
  ok((await met.locator(".countdown").count()) === 0 && /按时完成/.test(await met.textContent()), `a met clock shows its outcome: ${await met.textContent()}`);
  await p.goto(`${base}/console/cases/${c.id}?lang=en`);
  await p.waitForFunction(() => document.querySelector("#due .countdown")?.textContent.length > 0);
  const dueEn = await p.textContent("#due .countdown");
  ok(/^(\d+ d( \d+ h)?|\d+ h \d+ min|\d+ min) left$/.test(dueEn.trim()), `countdown reads in English: ${dueEn}`);
  ok(/Met on time/.test(await p.textContent("#clocks li[data-clock=acceptance]")), "outcome in English");
  await p.goto(`${base}/console/cases/${c.id}?lang=zh`);

  // 5. The dispatcher's open board changed without a reload.
  await watch.waitForSelector(`#case-${c.id}[data-status='accepted']`, { timeout: 30000 });
  ok(await watch.evaluate(() => window.__noReload === true), "the board was not reloaded");
  await watch.screenshot({ path: join(shots, "board-live-desktop.png") });

  await act(p, "resolve", async (f) => {
    await f.locator("textarea[name=result]").fill("已清运并消毒");
    await f.locator("input[name=photo]").setInputFiles(join(here, "fixtures", "after.png"));
  });
  ok((await p.getAttribute("#status", "data-status")) === "resolved", "resolved");
  ok(await p.locator("#result-photos img").count() === 1, "the result photo is on the desk");
  const thumb = await p.getAttribute("#result-photos img", "src");
  ok(await p.evaluate(async (src) => (await fetch(src)).headers.get("content-type") === "image/jpeg", thumb), "served re-encoded");
  await p.screenshot({ path: join(shots, "case-resolved-phone.png"), fullPage: true });
  // The dispatcher's open board saw the resolution too, still without a reload.
  await watch.waitForSelector(`#case-${c.id}`, { state: "detached", timeout: 30000 });
  ok(await watch.evaluate(() => window.__noReload === true), "the board left the resolved case without a reload");
  const track = await desk.newPage();
  await track.goto(`${base}/t/${c.tracking_code}`);
  ok(await track.locator(`#result-photos img[src='${thumb}']`).count() === 1, "the result photo is on the tracking page");
  await track.close();

  // 6. Another department opening this case by URL: 404, as if it did not exist.
  const other = await phone.newPage();
  await phone.clearCookies();
  await login(other, "staff_swj");
  const res = await other.goto(`${base}/console/cases/${c.id}`);
  ok(res.status() === 404, `other department → ${res.status()}`);

  // 7. Phone and desktop shots of the sign-in page and the board; the English switch.
  await other.goto(`${base}/login`);
  await other.screenshot({ path: join(shots, "login-phone.png") });
  await d.goto(`${base}/console/board?lang=en`);
  ok((await d.getAttribute("html", "lang")) === "en", "English switch");
  await d.screenshot({ path: join(shots, "board-en-desktop.png") });
  // 8. Bad input. A stale form: the API changes the case while the desk is open.
  const c2 = await (await fetch(`${base}/api/v1/cases`, {
    method: "POST", headers,
    body: JSON.stringify({ description: "e2e：并发修改", category_code: "E0101", grid_code: "110199001001001" }),
  })).json();
  await d.goto(`${base}/console/cases/${c2.id}?lang=zh`);
  const reg = await fetch(`${base}/api/v1/cases/${c2.id}/transitions`, {
    method: "POST", headers, body: JSON.stringify({ action: "register", version: c2.version }),
  });
  ok(reg.status === 200, `register through the API: ${reg.status}`);
  await act(d, "reject", (f) => f.locator("textarea[name=reason]").fill("重复"));
  ok((await d.textContent("#banner")).includes("其他人刚刚修改了此案件"), "stale version explained");
  ok((await d.getAttribute("#status", "data-status")) === "registered", "with the fresh state");

  // 9. Bulk: two new cases ticked on the board (one by keyboard), dispatched in one submit.
  const mk = async (text) => (await fetch(`${base}/api/v1/cases`, {
    method: "POST", headers,
    body: JSON.stringify({ description: text, category_code: "E0101", grid_code: "110199001001001" }),
  })).json();
  const b1 = await mk("e2e：批量一，路灯不亮");
  const b2 = await mk("e2e：批量二，井盖松动");
  await d.goto(`${base}/console/board?lang=zh`);
  await d.check(`#pick-${b1.id}`);
  await d.focus(`#pick-${b2.id}`);
  await d.keyboard.press("Space");
  ok(await d.isChecked(`#pick-${b2.id}`), "a case is picked with the keyboard");
  await d.selectOption("select[name=bulk_action]", "dispatch");
  await d.selectOption("#bulk select[name=handler_code]", "CGZF");
  await d.screenshot({ path: join(shots, "board-bulk-desktop.png") });
  await Promise.all([d.waitForNavigation(), d.click("#bulk button[type=submit]")]);
  ok((await d.textContent("#bulk-ok")) === "2" && (await d.textContent("#bulk-failed")) === "0", "bulk: both dispatched");
  await d.screenshot({ path: join(shots, "bulk-result-desktop.png") });

  // 10. Returns: the department returns one; the dispatcher finds it on the returns queue and
  // reassigns it by a ruling.
  const field = await browser(PHONE);
  const f = field.pages()[0] || (await field.newPage());
  await login(f, "department_staff");
  await f.goto(`${base}/console/cases/${b1.id}`);
  await act(f, "return", (x) => x.locator("textarea[name=reason]").fill("路灯归市政管理，不属于本单位"));
  await field.close();
  await d.goto(`${base}/console/board?queue=returns`);
  ok((await d.textContent(`#case-${b1.id}`)).includes("不属于本单位"), "the return and its reason on the returns queue");
  await d.screenshot({ path: join(shots, "returns-desktop.png") });
  await d.setViewportSize({ width: 390, height: 844 });
  await d.screenshot({ path: join(shots, "returns-phone.png"), fullPage: true });
  await d.goto(`${base}/console/board`);
  await d.screenshot({ path: join(shots, "board-phone.png"), fullPage: true });
  await d.setViewportSize({ width: 1366, height: 768 });
  await d.goto(`${base}/console/cases/${b1.id}`);
  ok(await d.locator("#returned").count() === 1, "the desk shows the return");
  await d.screenshot({ path: join(shots, "case-returned-desktop.png"), fullPage: true });
  await act(d, "arbitrate", (x) => x.locator("select[name=handler_code]").selectOption("ZJW"));
  ok((await d.getAttribute("#status", "data-status")) === "dispatched", "reassigned by the ruling");

  // Wrong passwords in a loop: the same answers for a real and an unknown name. Each name is
  // tried until the backoff answers; how many plain refusals come first depends on how fast
  // the pages load (the waits are 1 s, 2 s, 4 s …), so the distinct answers are compared.
  const answers = [];
  for (const user of ["viewer", "no_such_user"]) {
    const seen = new Set();
    for (let i = 0; i < 7; i++) {
      await other.goto(`${base}/login`);
      await other.fill("input[name=username]", user);
      await other.fill("input[name=password]", "wrong-password");
      await Promise.all([other.waitForNavigation(), other.click("button[type=submit]")]);
      const text = await other.textContent("#login-error");
      seen.add(text.replace(/\d+/g, "N"));
      if (text.includes("尝试次数过多")) break;
    }
    answers.push([...seen].sort().join("|"));
  }
  ok(answers[0] === answers[1], "no user enumeration");
  ok(answers[0].includes("尝试次数过多"), "backoff after repeated failures");
  console.log(`e2e console: ${ok.count()} checks passed; screenshots in ${shots}`);
} finally {
  await desk.close();
  await phone.close();
  launched.removeProfiles();
}
