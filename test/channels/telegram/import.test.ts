/**
 * Imports over Telegram (issue 18): an admin sends a sheet as a document in a private chat; the
 * bot downloads it (getFile, then the file URL, at the fake Bot API), shows one progress message
 * that it edits, then the preview with the refused rows as a document and Apply / Cancel.
 */
import { eq, inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTelegram, type TelegramRuntime } from "../../../src/channels/telegram/runtime.ts";
import { loadConfig } from "../../../src/config.ts";
import { DEMO_DATA_KEY } from "../../../src/db/demo/loadDemoData.ts";
import { chatIdentities, imports, jobRuns, members } from "../../../src/db/schema.ts";
import { createLogger } from "../../../src/logger.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import {
  badChecksum,
  type Cell,
  csvBuffer,
  idNumber,
  workbookBuffer,
} from "../../helpers/sheetFiles.ts";
import { buildWorld, shanghai, type World, YEAR } from "../../helpers/world.ts";
import { BOT, type FakeBotApi, startFakeBotApi } from "./fakeBotApi.ts";
import { telegramPeople } from "./people.ts";

const TOKEN = `${BOT.id}:AAHfakeTokenForTestsOnly_0123456789`;
const ADMIN = 4001;
const MEMBER = 4002;
const UB1 = "团山西省委/山西示范大学团委/计算机学院团总支/计算机2022级1班团支部";
const NEW = ["导入甲", "导入乙", "导入丙"];

const memberRows = (): Cell[][] => [
  ["山西示范大学团员名单"],
  ["姓名", "身份证号", "所在团支部"],
  [NEW[0]!, idNumber("20040115", 11), UB1],
  [NEW[1]!, idNumber("20040216", 12), UB1],
  [NEW[2]!, idNumber("20040317", 13), UB1],
  ["错校验", badChecksum(idNumber("20040418", 14)), UB1],
];

describe.each(DB_KINDS)("Telegram imports on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const now = shanghai(`${YEAR}-03-10T10:00:00`);
  let fake: FakeBotApi;
  let runtime: TelegramRuntime | undefined;
  let w: World;

  const { say, press, sendDocument } = telegramPeople(() => fake, 60_000);
  const said = (chat: number) =>
    fake.calls
      .filter(
        (c) =>
          ["sendMessage", "sendDocument", "editMessageText"].includes(c.method) &&
          Number(c.params.chat_id) === chat,
      )
      .map((c) => String(c.params.text ?? c.params.caption ?? ""));
  const imported = async () =>
    (await db().select({ name: members.name }).from(members).where(inArray(members.name, NEW)))
      .map((m) => m.name)
      .sort();

  beforeEach(async () => {
    // A fake of its own per test: a new bot would be handed the earlier tests' updates again.
    fake = await startFakeBotApi();
    w = await buildWorld(db());
    runtime = startTelegram({
      settings: loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url }).telegram!,
      db: db(),
      engine: testEngine(db(), "zh-CN", undefined, { progressEveryMs: 0 }),
      defaultLocale: "zh-CN",
      log: createLogger("silent"),
      now: () => now,
      pollTimeoutSeconds: 1,
      retryMs: 50,
    });
    await runtime.ready;
    await db()
      .insert(chatIdentities)
      .values([
        { channel: "telegram", externalUserId: String(ADMIN), adminId: w.admin.U },
        { channel: "telegram", externalUserId: String(MEMBER), memberId: w.member.m1 },
      ]);
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    await fake.close();
  });

  it("a document becomes a preview: one progress message edited, the refused rows as a file, Apply imports", async () => {
    await sendDocument(ADMIN, "members.xlsx", workbookBuffer(memberRows(), "xlsx"));
    expect(fake.calls.some((c) => c.method === "getFile")).toBe(true);
    expect(fake.downloads).toContainEqual(expect.stringContaining("/file/bot<token>/documents/"));
    const first = fake.calls.find((c) => c.method === "sendMessage")!;
    expect(first.params.text).toBe("正在读取“members.xlsx”……");
    const edits = fake.calls.filter((c) => c.method === "editMessageText");
    expect(edits.map((e) => Number(e.params.message_id))).toEqual(
      edits.map(() => Number(first.result?.message_id)),
    );
    expect(edits.at(-1)!.params.text).toBe("已读完“members.xlsx”：共 4 行，拒绝 1 行。");
    const document = fake.calls.find((c) => c.method === "sendDocument")!;
    expect(document.params.document.filename).toBe("拒绝行.xlsx");
    const preview = said(ADMIN).join("\n");
    expect(preview).toContain("导入预览（团员）：members.xlsx");
    expect(preview).toContain("新增 3，修改 0，调动 0，不变 0，拒绝 1");
    expect(preview).toContain("第 6 行 [身份证号] 身份证号校验位不对");
    expect(await imported()).toEqual([]);

    await press(ADMIN, "应用");
    expect(said(ADMIN).at(-1)).toContain("已导入：新增 3，修改 0，调动 0（拒绝的 1 行未导入）");
    expect(await imported()).toEqual([...NEW].sort());
    const [row] = await db().select().from(imports).where(eq(imports.adminId, w.admin.U));
    expect(row?.state).toBe("applied");

    await press(ADMIN, "撤销这次导入");
    expect(said(ADMIN).at(-1)).toContain("已撤销这次导入");
    expect(await imported()).toEqual([]);
  });

  it("Cancel writes nothing", async () => {
    await sendDocument(ADMIN, "members.csv", csvBuffer(memberRows(), "utf8-bom"));
    await press(ADMIN, "取消");
    expect(said(ADMIN).at(-1)).toContain("已取消，没有导入任何数据。");
    expect(await imported()).toEqual([]);
    const [row] = await db().select().from(imports).where(eq(imports.adminId, w.admin.U));
    expect(row?.state).toBe("cancelled");
  });

  it("a long file edits the one progress message as rows are read", async () => {
    const rows: Cell[][] = [["姓名", "身份证号", "所在团支部"]];
    for (let i = 0; i < 2500; i++) {
      const day = String((i % 25) + 1).padStart(2, "0");
      rows.push([`团员${i}`, idNumber(`200402${day}`, Math.floor(i / 25) + 1), UB1]);
    }
    await sendDocument(ADMIN, "big.csv", csvBuffer(rows, "utf8"));
    const first = fake.calls.find((c) => c.method === "sendMessage")!;
    const edits = fake.calls
      .filter((c) => c.method === "editMessageText")
      .map((c) => ({ id: Number(c.params.message_id), text: String(c.params.text) }));
    expect(edits).toContainEqual({
      id: Number(first.result?.message_id),
      text: "正在读取“big.csv”：已读 1000 行，拒绝 0 行……",
    });
    expect(edits.at(-1)).toEqual({
      id: Number(first.result?.message_id),
      text: "已读完“big.csv”：共 2500 行，拒绝 0 行。",
    });
  }, 120_000);

  it("refuses, each with the way forward: not an admin, unknown type, too big, demo data on", async () => {
    const sheet = workbookBuffer(memberRows(), "xlsx");
    await sendDocument(MEMBER, "members.xlsx", sheet);
    expect(said(MEMBER).at(-1)).toBe("只有团组织管理员可以导入表格。请把表格交给本组织的管理员。");
    await sendDocument(ADMIN, "members.pdf", sheet);
    expect(said(ADMIN).at(-1)).toContain(
      "无法导入“members.pdf”：只能导入 .xlsx、.xls 或 .csv 表格",
    );
    await sendDocument(ADMIN, "huge.xlsx", sheet, 25 * 1024 * 1024);
    expect(said(ADMIN).at(-1)).toContain("“huge.xlsx”太大：聊天中导入的文件最大 20 MB");
    await db().insert(jobRuns).values({ key: DEMO_DATA_KEY });
    await sendDocument(ADMIN, "members.xlsx", sheet);
    expect(said(ADMIN).at(-1)).toContain("演示数据开启时不能导入真实数据");
    // Nothing was downloaded for any of them, nothing staged.
    expect(fake.calls.filter((c) => c.method === "getFile")).toEqual([]);
    expect(await db().select().from(imports)).toEqual([]);
  });

  it("/import tells an admin how to send the file", async () => {
    await say(ADMIN, "/import");
    expect(said(ADMIN).at(-1)).toContain("作为文件发到这个私聊中");
    await say(MEMBER, "/import");
    expect(said(MEMBER).join("\n")).toContain("这项功能只对已绑定的团组织管理员开放。");
  });
});
