/**
 * The web chat page in a real browser (issue 5.6): pick a demo graduate, open the menu, ask for
 * the hotline by clicking, switch language; file a further-study transfer end to end and find it
 * under "my applications". Screenshots are left in test/.artifacts/.
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

  it("lets a demo graduate file a further-study transfer by clicking and typing", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    await page.goto(`http://127.0.0.1:${app.port}/`);
    const graduate = page.locator("#demoUser option", { hasText: "计算机2022级1班" });
    await graduate.waitFor({ state: "attached" });
    await page.selectOption("#demoUser", (await graduate.getAttribute("value"))!);
    const bot = page.locator(".msg.bot");
    const click = (name: string) => page.getByRole("button", { name, exact: true }).last().click();
    const type = async (text: string) => {
      await page.fill("#text", text);
      await page.press("#text", "Enter");
    };

    await page.click("#menuButton");
    await click("办理组织关系转接");
    await click("否");
    await click("升学");
    await click("普通高校");
    await expect.poll(() => bot.last().textContent()).toContain("请输入转入学校的名称");
    await type("太原工学院");
    await expect.poll(() => bot.last().textContent()).toContain("详细地址");
    await type("太原市迎泽西大街79号");
    await click("团山西省委");
    await expect.poll(() => bot.last().textContent()).toContain("请输入转入组织名称中的几个字");
    await type("工学院");
    await click("太原工学院团委（团山西省委）");
    await expect.poll(() => bot.last().textContent()).toContain("转入组织：太原工学院团委");
    await click("确认提交");
    await expect
      .poll(() => bot.last().textContent())
      .toMatch(/申请已提交（编号 \d+），当前状态：待接收方审批/);

    await click("菜单");
    // Wait for the new menu: the older menus' buttons are out of date.
    await expect.poll(() => bot.last().textContent()).toContain("请选择要办理的事项");
    await click("我的申请");
    await expect
      .poll(() => page.locator(".msg.bot", { hasText: "升学 → 太原工学院团委" }).count())
      .toBe(1);
    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat-transfer.png"), fullPage: true });
  });

  it("lets an admin bind a group, see the card there, approve, assign a branch; the card shows the outcome", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
    await page.goto(`http://127.0.0.1:${app.port}/`);
    const bot = page.locator(".msg.bot");
    const click = (name: string) => page.getByRole("button", { name, exact: true }).last().click();
    const type = async (text: string) => {
      await page.fill("#text", text);
      await page.press("#text", "Enter");
    };
    const choose = async (label: string) => {
      const option = page.locator("#demoUser option", { hasText: label });
      await option.first().waitFor({ state: "attached" });
      await page.selectOption("#demoUser", (await option.first().getAttribute("value"))!);
    };
    // The page switches chats on the field's change event, which fires when it loses focus.
    const inChat = async (chat: string) => {
      await page.fill("#chatId", chat);
      await page.locator("#chatId").blur();
    };

    await choose("校团委管理员");
    await inChat("school-admins");
    await type("/bind");
    await expect.poll(() => bot.last().textContent()).toContain("本群已绑定 山西示范大学团委");

    // A graduate of another school applies to stay for graduate study at this one.
    await choose("机械2022级");
    await inChat("");
    await page.click("#menuButton");
    await click("办理组织关系转接");
    await click("否");
    await click("升学");
    await click("普通高校");
    await expect.poll(() => bot.last().textContent()).toContain("请输入转入学校的名称");
    await type("山西示范大学");
    await expect.poll(() => bot.last().textContent()).toContain("详细地址");
    await type("太原市坞城路92号");
    await click("团山西省委");
    await expect.poll(() => bot.last().textContent()).toContain("请输入转入组织名称中的几个字");
    await type("山西示范大学");
    await click("山西示范大学团委（团山西省委）");
    await click("确认提交");
    await expect.poll(() => bot.last().textContent()).toContain("申请已提交");

    await choose("校团委管理员");
    await inChat("school-admins");
    const sent = page.locator(".msg.bot", { hasText: "【新的转接申请" });
    await expect.poll(() => sent.count(), { timeout: 15_000 }).toBe(1);
    // The card keeps its place while its title follows the application's stage.
    const card = page.locator(`.msg.bot[data-ref="${await sent.getAttribute("data-ref")}"]`);
    await card.getByRole("button", { name: "同意", exact: true }).click();
    await expect.poll(() => bot.last().textContent()).toContain("请选择把团员分配到哪个团支部");
    await click("计算机2024级1班团支部");
    await expect
      .poll(() => bot.last().textContent())
      .toContain("已完成：团员已分配到 计算机2024级1班团支部");
    // The card in the group is replaced by its outcome, without buttons.
    await expect
      .poll(() => card.textContent(), { timeout: 15_000 })
      .toContain("结果：已完成转接（校团委管理员·刘洋");
    expect(await card.getByRole("button").count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat-admin.png"), fullPage: true });
  });
});
