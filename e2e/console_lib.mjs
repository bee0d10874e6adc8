// Shared by the console's browser tests: the demo password, the two viewports, browsers on
// fresh profiles (Debian's chromium, override with CHROMIUM), a counting assertion and sign-in.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

export const PASSWORD = "chuishao-demo";
export const DESKTOP = { viewport: { width: 1366, height: 768 } };
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** The screenshot directory, made if need be. */
export function screenshotDir(arg) {
  const dir = arg || "../target/screenshots";
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Browsers on fresh profile directories named after `prefix`; `removeProfiles` deletes them. */
export function browsers(prefix) {
  const profiles = [];
  return {
    async open(opts) {
      const profile = mkdtempSync(join(tmpdir(), `chuishao-${prefix}-`));
      profiles.push(profile);
      return chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync"],
        locale: "zh-CN",
        ...opts,
      });
    },
    removeProfiles() {
      for (const p of profiles) rmSync(p, { recursive: true, force: true });
    },
  };
}

/** `ok(cond, what)` asserts and counts; `ok.count()` is how many passed. */
export function checker() {
  let n = 0;
  const ok = (cond, what) => { assert.ok(cond, what); n++; };
  ok.count = () => n;
  return ok;
}

/** Signs in on the login page and waits for the page it leads to. */
export async function signIn(page, base, user, password = PASSWORD) {
  await page.goto(`${base}/login`);
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}
