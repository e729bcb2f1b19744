/**
 * An export downloaded in the web chat, in a real browser, on an installation without demo
 * data (issue 18): the organizations, the admin and a completed transfer are put into the
 * app's own database before it starts, the admin logs in with a printed `?code=` link, asks
 * for /export and downloads the to-enter list from the link in the chat; the province sees
 * the ID number in full in its private chat (R4).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { issueOperatorCode } from "../../src/services/bindings.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { freePort, type SpawnedApp, spawnApp, waitHealthy } from "../helpers/spawnApp.ts";
import { buildWorld, furtherStudy, type World } from "../helpers/world.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)("an export downloaded in the web chat (chromium)", () => {
  let app: SpawnedApp;
  let browser: Browser;
  let dataDir: string;
  let w: World;
  let code = "";

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "zhtj-export-"));
    // The app's own embedded database, made and filled before it starts (sealed with the key
    // the app is given).
    const database = await openDatabase({ kind: "pglite", dataDir: join(dataDir, "pglite") });
    await runMigrations(database);
    w = await buildWorld(database.db);
    const now = new Date();
    const filed = await fileApplication(
      database.db,
      furtherStudy(w.member.m1, w.org.VB),
      now,
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(database.db, { adminId: w.admin.VB, applicationId: filed.applicationId }, now);
    const issued = await issueOperatorCode(database.db, { adminId: w.admin.P }, now);
    if (!issued.ok) throw new Error(issued.reason);
    code = issued.code;
    await database.close();
    app = spawnApp(
      { DATA_DIR: dataDir, DEMO_DATA: "off", SECRET_KEY: TEST_SECRET_KEY },
      await freePort(),
    );
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

  it("logs in with a code link, exports the to-enter list and downloads it", async () => {
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 900, height: 1000 },
    });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${app.port}/?code=${code}`);
    await expect.poll(() => page.locator("#who").textContent()).toContain("管理员P");
    await page.fill("#text", "/export");
    await page.press("#text", "Enter");
    await page.getByRole("button", { name: "待录入智慧团建（1 条）", exact: true }).last().click();
    const link = page.locator("a.file").last();
    await link.waitFor({ state: "visible" });
    expect(await link.textContent()).toMatch(/^下载: 待录入智慧团建-团山西省委-[\d-]{10}\.xlsx$/);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toMatch(
      /^待录入智慧团建-团山西省委-\d{4}-\d{2}-\d{2}\.xlsx$/,
    );
    const path = join(dataDir, "downloaded.xlsx");
    await download.saveAs(path);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(readFileSync(path) as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getCell("B2").value).toBe("张小明");
    expect(sheet.getCell("C2").value).toBe(w.idNumber.m1);
    await context.close();
  });
});
