/**
 * Exports over Telegram (issue 18): /export in a private chat, the file arrives as
 * `sendDocument` at the fake Bot API with its name and its bytes, the caption carries the
 * buttons to tick transfers off; a leading organ sees full ID numbers in private only (R4).
 */
import ExcelJS from "exceljs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTelegram, type TelegramRuntime } from "../../../src/channels/telegram/runtime.ts";
import { loadConfig } from "../../../src/config.ts";
import { chatIdentities } from "../../../src/db/schema.ts";
import { maskIdNumber } from "../../../src/domain/idNumber.ts";
import { createLogger } from "../../../src/logger.ts";
import { approve } from "../../../src/services/decisions/index.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { buildWorld, furtherStudy, type World } from "../../helpers/world.ts";
import { BOT, type FakeBotApi, startFakeBotApi, type UploadedFile } from "./fakeBotApi.ts";
import { telegramPeople } from "./people.ts";

const TOKEN = `${BOT.id}:AAHfakeTokenForTestsOnly_0123456789`;
const AP = 3001;
const GP = -3001;

describe.each(DB_KINDS)("Telegram exports on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const now = new Date("2026-09-10T02:00:00Z");
  let fake: FakeBotApi;
  let runtime: TelegramRuntime | undefined;
  let w: World;

  const { say, press } = telegramPeople(() => fake);
  const documents = (chat: number) =>
    fake.calls.filter((c) => c.method === "sendDocument" && Number(c.params.chat_id) === chat);
  const idCell = async (file: UploadedFile) => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file.data as unknown as ArrayBuffer);
    return workbook.worksheets[0]!.getCell("C2").value;
  };

  beforeAll(async () => {
    fake = await startFakeBotApi();
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    fake.calls.length = 0;
    w = await buildWorld(db());
    runtime = startTelegram({
      settings: loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url }).telegram!,
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      log: createLogger("silent"),
      now: () => now,
      pollTimeoutSeconds: 1,
      retryMs: 50,
    });
    await runtime.ready;
    await db()
      .insert(chatIdentities)
      .values({ channel: "telegram", externalUserId: String(AP), adminId: w.admin.P });
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.VB),
      now,
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, now);
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it("sends the to-enter list by sendDocument, full ID numbers in private (R4), ticked off from its caption", async () => {
    await say(AP, "/export");
    await press(AP, "待录入智慧团建（1 条）");
    const [call] = documents(AP);
    const file = call!.params.document as UploadedFile;
    expect(file.filename).toBe("待录入智慧团建-团山西省委-2026-09-10.xlsx");
    expect(await idCell(file)).toBe(w.idNumber.m1);
    expect(call!.params.caption).toContain("身份证号已完整显示");
    await press(AP, "整份已在智慧团建办结（1 条）");
    await press(AP, "确认，全部办结");
    const last = fake.sent(AP).at(-1)?.text as string;
    expect(last).toContain("已标记 1 条为“已在智慧团建办结”。还剩 0 条待录入。");
  });

  it("in a group the same list is masked (R4)", async () => {
    await say(AP, "/export", GP);
    await press(AP, "待录入智慧团建（1 条）", GP);
    const [call] = documents(GP);
    expect(await idCell(call!.params.document as UploadedFile)).toBe(maskIdNumber(w.idNumber.m1));
  });
});
