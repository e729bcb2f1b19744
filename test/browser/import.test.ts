/**
 * An import in the web chat, in a real browser, on an installation without demo data (issue
 * 18): the first admin is made by `npm run admin -- create` (its one-time code printed), logs in
 * with the `?code=` link, uploads the organizations and then the members with the page's upload
 * button, sees each preview (the refused row with its row, column and reason, and the refused
 * rows as a download), applies, and downloads the binding codes of the imported branch.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ExcelJS from "exceljs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { badChecksum, csvBuffer, idNumber, workbookBuffer } from "../helpers/sheetFiles.ts";
import { freePort, type SpawnedApp, spawnApp, waitHealthy } from "../helpers/spawnApp.ts";
import { ARTIFACTS_DIR } from "../helpers/templates.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const U = "团山西省委/山西示范大学团委";
const BRANCH = `${U}/计算机2022级1班团支部`;

/** `npm run admin -- create …` as the operator runs it, before the app starts (one process). */
function createFirstAdmin(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const child = spawn(
      `${ROOT}node_modules/.bin/tsx`,
      ["src/cli/admin.ts", "create", "--org", "团山西省委", "--name", "王书记"],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
    );
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      out += String(d);
    });
    child.on("exit", (code) => {
      const printed = /一次性绑定码：(\S+)（/.exec(out)?.[1];
      if (code === 0 && printed) resolve(printed);
      else reject(new Error(`admin create failed (${code})`));
    });
  });
}

describe.skipIf(!hasChromium)("an import in the web chat (chromium)", () => {
  let app: SpawnedApp;
  let browser: Browser;
  let dataDir: string;
  let code = "";

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "zhtj-import-"));
    const env = {
      DATA_DIR: dataDir,
      DEMO_DATA: "off",
      SECRET_KEY: TEST_SECRET_KEY,
      GRADUATION_YEAR: "2026",
    };
    code = await createFirstAdmin(env);
    app = spawnApp(env, await freePort());
    await waitHealthy(app.port);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    app?.child.kill("SIGTERM");
    await app?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const botText = (page: Page) =>
    page.locator(".msg.bot").evaluateAll((els) => els.map((e) => e.textContent ?? "").join("\n"));

  /** Uploads a file with the page's button, waits for its preview, applies it. */
  async function importFile(page: Page, name: string, buffer: Buffer, expectPreview: string[]) {
    const applied = await page.getByText("已导入：", { exact: false }).count();
    await page.setInputFiles("#uploadFile", { name, mimeType: "application/octet-stream", buffer });
    await expect.poll(() => botText(page), { timeout: 10_000 }).toContain(`导入预览（`);
    for (const line of expectPreview) await expect.poll(() => botText(page)).toContain(line);
    await page.getByRole("button", { name: "应用", exact: true }).last().click();
    await expect
      .poll(() => page.getByText("已导入：", { exact: false }).count(), { timeout: 10_000 })
      .toBe(applied + 1);
  }

  it("the first admin uploads organizations and members, applies them and downloads an export", async () => {
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 900, height: 1000 },
    });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${app.port}/?code=${code}`);
    await expect.poll(() => page.locator("#who").textContent()).toContain("王书记");
    await expect.poll(() => page.locator("#uploadButton").isVisible()).toBe(true);

    const organizations = csvBuffer(
      [
        ["团组织全称", "组织类型", "领域", "学校机构编号", "毕业时间"],
        [U, "团委", "学校", "90108", ""],
        [BRANCH, "团支部", "学校", "", "2026-06"],
      ],
      "gbk",
    );
    await importFile(page, "organizations.csv", organizations, ["共 2 行：新增 2"]);
    await expect
      .poll(() => botText(page))
      .toContain("已读完“organizations.csv”：共 2 行，拒绝 0 行。");

    const people = workbookBuffer(
      [
        ["2026届名单"],
        ["姓名", "身份证号", "所在团支部"],
        ["张三", idNumber("20040115", 1), BRANCH],
        ["李四", badChecksum(idNumber("20040115", 2)), BRANCH],
      ],
      "xlsx",
    );
    await importFile(page, "members.xlsx", people, [
      "共 2 行：新增 1，修改 0，调动 0，不变 0，拒绝 1",
      "第 4 行 [身份证号] 身份证号校验位不对",
    ]);
    // The refused rows came as a download of their own.
    await expect.poll(() => page.locator("a.file").last().textContent()).toBe("下载: 拒绝行.xlsx");
    await page.screenshot({ path: join(ARTIFACTS_DIR, "webchat-import.png"), fullPage: true });

    const links = await page.locator("a.file").count();
    await page.fill("#text", "/export");
    await page.press("#text", "Enter");
    await page.getByRole("button", { name: "团员绑定码（可打印）", exact: true }).last().click();
    await expect
      .poll(() => botText(page), { timeout: 10_000 })
      .toContain("请输入团支部名称中的关键字");
    await page.fill("#text", "计算机");
    await page.press("#text", "Enter");
    await page
      .getByRole("button", { name: /计算机2022级1班团支部/ })
      .last()
      .click();
    await expect.poll(() => page.locator("a.file").count(), { timeout: 10_000 }).toBe(links + 1);
    const link = page.locator("a.file").last();
    expect(await link.textContent()).toMatch(/^下载: .*\.xlsx$/);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const path = join(dataDir, "codes.xlsx");
    await download.saveAs(path);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(readFileSync(path) as unknown as ArrayBuffer);
    const cells: string[] = [];
    workbook.worksheets[0]!.eachRow((row) => {
      row.eachCell((cell) => {
        cells.push(String(cell.value));
      });
    });
    expect(cells).toContain("张三");
    await context.close();
  });
});
