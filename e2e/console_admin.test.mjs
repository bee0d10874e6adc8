// User administration in a real browser: the admin signs in, opens the user directory from
// the menu, creates a user with a role (the password generated and shown once); the new user
// signs in on a phone, is made to choose a new password, then works in the role; the admin
// revokes that user's sessions and the phone is signed out at its next page; a form post
// without its CSRF token is refused. Screenshots of the admin pages at 1366×768 and phone size
// go to target/screenshots/.
//
// Usage: node console_admin.test.mjs BASE_URL [SCREENSHOT_DIR]
import { join } from "node:path";
import { DESKTOP, PASSWORD, PHONE, browsers, checker, screenshotDir, signIn } from "./console_lib.mjs";

const [base, shotsArg] = process.argv.slice(2);
if (!base) {
  console.error("usage: node console_admin.test.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const shots = screenshotDir(shotsArg);
const ok = checker();
const launched = browsers("admin");
const browser = (opts) => launched.open(opts);
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(`${selector} button[type=submit]`)]);
}

const desk = await browser(DESKTOP);
const phone = await browser(PHONE);
const username = `e2e.zhao${Date.now() % 100000}`;
try {
  // 1. The admin signs in and opens the directory from the menu.
  const a = desk.pages()[0] || (await desk.newPage());
  await signIn(a, base, "admin", PASSWORD);
  await Promise.all([a.waitForNavigation(), a.click("nav a[href='/console/admin/users']")]);
  ok(a.url().endsWith("/console/admin/users"), `directory from the menu: ${a.url()}`);
  ok(await a.locator("tr[data-username=dispatcher]").count() === 1, "demo users listed");
  await a.screenshot({ path: join(shots, "admin-users-desktop.png"), fullPage: false });

  // 2. A new user with a role; the password is generated and shown once.
  await Promise.all([a.waitForNavigation(), a.click("#new-user")]);
  await a.fill("input[name=username]", username);
  await a.fill("input[name=display_name]", "赵敏");
  await a.selectOption("select[name=role]", "department_staff");
  await a.selectOption("select[name=org]", "CGZF");
  await a.screenshot({ path: join(shots, "admin-new-user-desktop.png"), fullPage: true });
  await submit(a, "#create-user");
  const generated = (await a.textContent("#new-password")).trim();
  ok(generated.length >= 12, "a generated password is shown");
  ok(await a.locator("#roles li[data-role=department_staff]").count() === 1, "with its role");
  const userPath = (await a.getAttribute("#grant", "action")).replace(/\/grant$/, "");
  await a.screenshot({ path: join(shots, "admin-user-desktop.png"), fullPage: true });

  // 3. The new user, on a phone: must choose a new password, then works in the role.
  const p = phone.pages()[0] || (await phone.newPage());
  await signIn(p, base, username, generated);
  ok(p.url().endsWith("/console/password"), `sent to change the password: ${p.url()}`);
  await p.goto(`${base}/console/inbox`);
  ok(p.url().endsWith("/console/password"), "and kept there until it is changed");
  await p.fill("input[name=current_password]", generated);
  await p.fill("input[name=new_password]", "Zhao-min-2026");
  await Promise.all([p.waitForNavigation(), p.click("main button[type=submit]")]);
  await p.goto(`${base}/console/inbox`);
  ok(p.url().endsWith("/console/inbox"), `the inbox opens after the change: ${p.url()}`);
  const forbidden = await p.goto(`${base}/console/admin/users`);
  ok(forbidden.status() === 403, `no administration for department staff: ${forbidden.status()}`);

  // 4. A post without its CSRF token is refused.
  const status = await a.evaluate(async (path) => (await fetch(`${path}/disable`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "",
  })).status, userPath);
  ok(status === 403, `no CSRF token → ${status}`);

  // 5. The admin sees the live session and revokes it; the phone is out at its next page.
  await a.goto(`${base}${userPath}`);
  ok((await a.textContent("#sessions")).trim() === "1", "one live session");
  await submit(a, "#revoke-sessions");
  ok((await a.textContent("#banner")).includes("会话已全部注销"), "confirmed");
  await p.goto(`${base}/console/inbox`);
  ok(p.url().includes("/login"), `signed out at the next request: ${p.url()}`);

  // 6. The admin pages at phone size, and the English switch.
  await signIn(p, base, "admin", PASSWORD);
  await p.goto(`${base}/console/admin/users`);
  await p.screenshot({ path: join(shots, "admin-users-phone.png"), fullPage: true });
  await p.goto(`${base}${userPath}`);
  await p.screenshot({ path: join(shots, "admin-user-phone.png"), fullPage: true });
  await a.goto(`${base}/console/admin/users?lang=en`);
  ok((await a.getAttribute("html", "lang")) === "en", "English switch");
  ok((await a.textContent("h1")).includes("User administration"), "English headings");
  await a.goto(`${base}/console/admin/users?lang=zh`);
  console.log(`e2e console admin: ${ok.count()} checks passed; screenshots in ${shots}`);
} finally {
  await desk.close();
  await phone.close();
  launched.removeProfiles();
}
