/**
 * The web chat page in a real browser (issue 5.6): pick a demo graduate, open the menu, ask for
 * the hotline by clicking, switch language; a screenshot is left in test/.artifacts/webchat.png.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type SpawnedApp, spawnApp, waitHealthy } from "../helpers/spawnApp.ts";
import { ARTIFACTS_DIR } from "../helpers/templates.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`Skipping the browser test: ${CHROMIUM} is missing (apt-get install chromium).`);

describe.skipIf(!hasChromium)("web chat page in chromium", () => {
  let app: SpawnedApp;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "zhtj-browser-"));
    app = spawnApp({ DATA_DIR: dataDir }, await freePort());
    await waitHealthy(app.port);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    app?.child.kill("SIGTERM");
    await app?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lets a demo graduate open the menu, get the county hotline and switch language", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    await page.goto(`http://127.0.0.1:${app.port}/`);
    const graduate = page.locator("#demoUser option", { hasText: "高三(1)班" });
    await graduate.waitFor({ state: "attached" });
    await page.selectOption("#demoUser", (await graduate.getAttribute("value"))!);

    await page.click("#menuButton");
    const bot = page.locator(".msg.bot");
    await expect.poll(() => bot.last().textContent()).toMatch(/^你好，.+！/);
    await page.getByRole("button", { name: "咨询电话" }).last().click();
    await expect.poll(() => bot.last().textContent()).toContain("团太原市迎泽区委：0351-4033631");

    await page.getByRole("button", { name: "菜单" }).last().click();
    await page.getByRole("button", { name: "语言 / Language" }).last().click();
    await page.getByRole("button", { name: "English" }).last().click();
    await expect.poll(() => bot.nth(-2).textContent()).toBe("Language set to English.");
    await expect.poll(() => bot.last().textContent()).toMatch(/^Hello, .+!/);
    await expect(page.getByRole("button", { name: "Hotline" }).last().isVisible()).resolves.toBe(
      true,
    );

    // The page's own strings follow its language switch.
    await page.selectOption("#uiLang", "en");
    expect(await page.locator("h1").textContent()).toBe("Transfer assistant");

    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat.png"), fullPage: true });
    expect(existsSync(fileURLToPath(new URL("../.artifacts/webchat.png", import.meta.url)))).toBe(
      true,
    );
  });
});
