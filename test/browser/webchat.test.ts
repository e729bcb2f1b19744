/**
 * The web chat page in a real browser (issues 5.6, 14.10, 15.1): log in with a `?code=` link or
 * by picking a demo person, open the menu, ask for the hotline by clicking, switch language (the
 * page's and the bot's are one); file a further-study transfer end to end; an admin binds a
 * group and decides there. Typing a group id and clicking elsewhere keeps the conversation, and
 * a reload shows it again. Screenshots are left in test/.artifacts/.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
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
  const url = (path = "/") => `http://127.0.0.1:${app.port}${path}`;

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

  /** A fresh browser profile (its own cookies and storage), on the page. */
  async function openPage(height = 1000, path = "/"): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 900, height } });
    const page = await context.newPage();
    await page.goto(url(path));
    return page;
  }
  const bot = (page: Page) => page.locator(".msg.bot");
  const click = (page: Page, name: string) =>
    page.getByRole("button", { name, exact: true }).last().click();
  const type = async (page: Page, text: string) => {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
  };
  /** Picks a demo person (logging out whoever is in first). */
  const become = async (page: Page, label: string) => {
    if (await page.locator("#chat").isVisible()) await page.click("#logout");
    const option = page.locator("#demoUser option", { hasText: label });
    await option.first().waitFor({ state: "attached" });
    await page.selectOption("#demoUser", (await option.first().getAttribute("value"))!);
    await page.locator("#chat").waitFor({ state: "visible" });
  };
  /** The member wizard up to the summary: further study at a school, found under the province. */
  const fileFurtherStudy = async (page: Page, school: string, address: string, org: string) => {
    await page.click("#menuButton");
    await click(page, "办理组织关系转接");
    await click(page, "否");
    await click(page, "升学");
    await click(page, "普通高校");
    await expect.poll(() => bot(page).last().textContent()).toContain("请输入转入学校的名称");
    await type(page, school);
    await expect.poll(() => bot(page).last().textContent()).toContain("详细地址");
    await type(page, address);
    await click(page, "团山西省委");
    await expect
      .poll(() => bot(page).last().textContent())
      .toContain("请输入转入组织名称中的几个字");
    await type(page, school.slice(-3));
    // Results name their parent organization.
    await click(page, `${org}（团山西省委）`);
    await expect.poll(() => bot(page).last().textContent()).toContain(`转入组织：${org}`);
  };
  const openGroup = async (page: Page, chat: string) => {
    await page.fill("#chatId", chat);
    await page.click("#openChat");
    await expect.poll(() => page.locator("#where").textContent()).toContain(chat);
  };

  it("logs in from a ?code= link, and the code leaves the address bar", async () => {
    const match = /演示绑定码：([^：\n]+)：([A-Z0-9-]{14})/.exec(app.output());
    expect(match).not.toBeNull();
    const [, name, code] = match!;
    const page = await openPage(700, `/?code=${code}`);
    await expect.poll(() => page.locator("#who").textContent()).toContain(name!);
    expect(new URL(page.url()).search).toBe("");
    // A code works once: the same link again says so.
    const again = await openPage(700, `/?code=${code}`);
    await expect.poll(() => again.locator("#loginNote").textContent()).toContain("已经用过");
    expect(await again.locator("#chat").isVisible()).toBe(false);
  });

  it("lets a demo graduate open the menu, get the county hotline; page and bot share one language", async () => {
    const page = await openPage(900);
    await become(page, "高三(1)班");

    await page.click("#menuButton");
    await expect.poll(() => bot(page).last().textContent()).toMatch(/^你好，.+！/);
    await page.getByRole("button", { name: "咨询电话" }).last().click();
    await expect
      .poll(() => bot(page).last().textContent())
      .toContain("团太原市迎泽区委：0351-4033631");

    // The bot's language switch moves the page's too.
    await click(page, "菜单");
    await page.getByRole("button", { name: "语言 / Language" }).last().click();
    await page.getByRole("button", { name: "English" }).last().click();
    await expect.poll(() => bot(page).last().textContent()).toMatch(/^Hello, .+!/);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Transfer assistant");
    expect(await page.locator("#uiLang").inputValue()).toBe("en");
    // And the page's moves the bot's.
    await page.selectOption("#uiLang", "zh-CN");
    await page.click("#menuButton");
    await expect.poll(() => bot(page).last().textContent()).toMatch(/^你好，.+！/);

    // An over-long message is not sent: the page says the limit.
    await page.fill("#text", "团".repeat(4097));
    await page.press("#text", "Enter");
    await expect
      .poll(() => page.locator(".msg.note").last().textContent())
      .toContain("消息最多 4096 个字");

    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat.png"), fullPage: true });
    expect(existsSync(fileURLToPath(new URL("../.artifacts/webchat.png", import.meta.url)))).toBe(
      true,
    );
  });

  it("keeps the conversation when a group id is typed and something else clicked, and after a reload", async () => {
    const page = await openPage(1000);
    await become(page, "校团委管理员");
    await page.click("#menuButton");
    await expect.poll(() => bot(page).last().textContent()).toContain("请选择要办理的事项");
    const before = await page.locator("#log .msg").count();

    // The group id is typed but not opened; the click lands on the menu in the log.
    await page.fill("#chatId", "school-admins");
    await page.getByRole("button", { name: "帮助", exact: true }).last().click();
    await expect.poll(() => page.locator("#log .msg").count()).toBeGreaterThan(before);
    expect(await page.locator("#log").textContent()).toContain("请选择要办理的事项");
    expect(await page.locator("#where").textContent()).toBe("私聊");

    // Opening the group shows its own conversation; an admin opens it with /bind.
    await page.click("#openChat");
    await expect.poll(() => page.locator("#where").textContent()).toContain("school-admins");
    await type(page, "/bind");
    await expect
      .poll(() => bot(page).last().textContent())
      .toContain("本群已绑定 山西示范大学团委");

    // A reload: the same person (the session), the same chat, the same conversation.
    await page.reload();
    await expect.poll(() => page.locator("#who").textContent()).toContain("校团委管理员");
    await expect.poll(() => page.locator("#where").textContent()).toContain("school-admins");
    await expect
      .poll(() => bot(page).last().textContent())
      .toContain("本群已绑定 山西示范大学团委");
    expect(await page.locator(".msg.me").first().textContent()).toBe("/bind");
    // And back in the private chat, what was said there is there again.
    await page.click("#toPrivate");
    await expect.poll(() => page.locator("#log").textContent()).toContain("请选择要办理的事项");
    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat-reload.png"), fullPage: true });
  });

  it("lets a demo graduate file a further-study transfer by clicking and typing", async () => {
    const page = await openPage(1000);
    await become(page, "计算机2022级1班");
    await fileFurtherStudy(page, "太原工学院", "太原市迎泽西大街79号", "太原工学院团委");
    await click(page, "确认提交");
    await expect
      .poll(() => bot(page).last().textContent())
      .toMatch(/申请已提交（编号 \d+），当前状态：待接收方审批/);

    await click(page, "菜单");
    // Wait for the new menu: the older menus' buttons are out of date.
    await expect.poll(() => bot(page).last().textContent()).toContain("请选择要办理的事项");
    await click(page, "我的申请");
    await expect
      .poll(() => page.locator(".msg.bot", { hasText: "升学 → 太原工学院团委" }).count())
      .toBe(1);
    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat-transfer.png"), fullPage: true });
  });

  it("lets an admin see the card in the bound group, approve, assign a branch; the card shows the outcome", async () => {
    const page = await openPage(1100);
    // A graduate of another school applies to stay for graduate study at this one.
    await become(page, "机械2022级");
    await fileFurtherStudy(page, "山西示范大学", "太原市坞城路92号", "山西示范大学团委");
    await click(page, "确认提交");
    await expect.poll(() => bot(page).last().textContent()).toContain("申请已提交");

    // The group was bound in the test before; its admin opens it.
    await become(page, "校团委管理员");
    await openGroup(page, "school-admins");
    const sent = page.locator(".msg.bot", { hasText: "【新的转接申请" });
    await expect.poll(() => sent.count(), { timeout: 15_000 }).toBe(1);
    // The card keeps its place while its title follows the application's stage.
    const card = page.locator(`.msg.bot[data-ref="${await sent.getAttribute("data-ref")}"]`);
    await card.getByRole("button", { name: "同意", exact: true }).click();
    await expect
      .poll(() => bot(page).last().textContent())
      .toContain("请选择把团员分配到哪个团支部");
    await click(page, "计算机2024级1班团支部");
    await expect
      .poll(() => bot(page).last().textContent())
      .toContain("已完成：团员已分配到 计算机2024级1班团支部");
    // The card in the group is replaced by its outcome, without buttons.
    await expect
      .poll(() => card.textContent(), { timeout: 15_000 })
      .toContain("结果：已完成转接（校团委管理员·刘洋");
    expect(await card.getByRole("button").count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat-admin.png"), fullPage: true });
  });
});
