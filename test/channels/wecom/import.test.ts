/**
 * Imports in the WeCom app (issue 18): a file message's media_id is downloaded by `media/get`
 * (its name from the download when the message names none), the preview arrives as text with
 * numbered choices after the refused rows as a file message; no edits, so the progress is said
 * once. Choosing "应用" imports.
 */
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WecomCrypto } from "../../../src/channels/wecom/crypto.ts";
import { createWecomChannel, type WecomChannel } from "../../../src/channels/wecom/index.ts";
import { chatIdentities, imports, members } from "../../../src/db/schema.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { badChecksum, type Cell, idNumber, workbookBuffer } from "../../helpers/sheetFiles.ts";
import { buildWorld, shanghai, type World, YEAR } from "../../helpers/world.ts";
import { FakeWecom } from "./fakeWecom.ts";
import { envelope, messageXml, signedPath } from "./wire.ts";

const fake = new FakeWecom();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const UB1 = "团山西省委/山西示范大学团委/计算机学院团总支/计算机2022级1班团支部";
const NEW = ["企微甲", "企微乙"];

describe.each(DB_KINDS)("WeCom imports on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const now = shanghai(`${YEAR}-03-10T10:00:00`);
  let w: World;
  let channel: WecomChannel;
  let app: ReturnType<typeof createHttpApp>;
  const errors: unknown[] = [];
  let msgId = 7_500_000_000_000_000_000n;
  const settings = {
    corpId: "ww-test-corp",
    agentId: 1000002,
    secret: "test-secret",
    token: "callback-token",
    encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    apiRoot: "",
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    errors.length = 0;
    fake.reset();
    channel = createWecomChannel({
      settings: { ...settings, apiRoot: fake.url },
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      now: () => now,
      onError: (e) => errors.push(e),
    });
    const readiness: Readiness = { db: kind, wecomCallback: () => channel.callback };
    app = createHttpApp(readiness, "zh-CN");
    await db()
      .insert(chatIdentities)
      .values([
        { channel: "wecom", externalUserId: "aU", adminId: w.admin.U },
        { channel: "wecom", externalUserId: "m1", memberId: w.member.m1 },
      ]);
  });

  /** One encrypted callback from `user`, handled. */
  const callback = async (user: string, fields: Record<string, string | number>) => {
    const c = new WecomCrypto(settings);
    const encrypted = c.encrypt(
      messageXml({
        ToUserName: "ww-test-corp",
        CreateTime: Math.floor(now.getTime() / 1000),
        FromUserName: user,
        ...fields,
        MsgId: String(++msgId),
        AgentID: 1000002,
      }),
    );
    const res = await app.request(
      signedPath(c, encrypted, {}, { timestamp: String(Math.floor(now.getTime() / 1000)) }),
      { method: "POST", body: envelope(encrypted) },
    );
    expect(res.status).toBe(200);
    await channel.idle();
    expect(errors).toEqual([]);
  };
  const sendFile = (user: string, data: Buffer, name: string, named = true) =>
    callback(user, {
      MsgType: "file",
      MediaId: fake.addMedia(data, name),
      ...(named ? { FileName: name } : {}),
    });
  const texts = () =>
    fake
      .sent("message/send")
      .filter((c) => c.body.msgtype === "text")
      .map((c) => (c.body.text as { content: string }).content);
  const choose = (label: string) => {
    const line = texts()
      .at(-1)!
      .split("\n")
      .find((l) => l.replace(/^\d+\. /, "") === label);
    expect(line, label).toBeDefined();
    return callback("aU", { MsgType: "text", Content: line!.split(".")[0]! });
  };
  const sheet = () => {
    const rows: Cell[][] = [
      ["姓名", "身份证号", "所在团支部"],
      [NEW[0]!, idNumber("20040115", 31), UB1],
      [NEW[1]!, idNumber("20040216", 32), UB1],
      ["错校验", badChecksum(idNumber("20040418", 33)), UB1],
    ];
    return workbookBuffer(rows, "xlsx");
  };
  const imported = async () =>
    (await db().select({ name: members.name }).from(members).where(inArray(members.name, NEW)))
      .map((m) => m.name)
      .sort();

  it("a file message is downloaded by media/get, previewed, and applied by its numbered choice", async () => {
    // The message names no file: the name comes with the download.
    await sendFile("aU", sheet(), "团员名单.xlsx", false);
    expect(fake.sent("media/get")).toHaveLength(1);
    const said = texts();
    expect(said[0]).toBe("正在读取“团员名单.xlsx”……");
    const preview = said.at(-1)!;
    expect(preview).toContain("导入预览（团员）：团员名单.xlsx");
    expect(preview).toContain("第 4 行 [身份证号] 身份证号校验位不对");
    // The refused rows: uploaded as media, sent as a file message.
    const upload = fake.sent("media/upload")[0]!;
    expect((upload.body as { filename: string }).filename).toBe("拒绝行.xlsx");
    expect(fake.sent("message/send").some((c) => c.body.msgtype === "file")).toBe(true);
    expect(await imported()).toEqual([]);

    await choose("应用");
    expect(texts().at(-1)).toContain("已导入：新增 2");
    expect(await imported()).toEqual([...NEW].sort());
  });

  it("refuses a member's file and a file that is no sheet, downloading nothing", async () => {
    await sendFile("m1", sheet(), "members.xlsx");
    expect(texts().at(-1)).toBe("只有团组织管理员可以导入表格。请把表格交给本组织的管理员。");
    await sendFile("aU", sheet(), "photo.jpg");
    expect(texts().at(-1)).toContain("无法导入“photo.jpg”");
    expect(fake.sent("media/get")).toEqual([]);
    expect(await db().select().from(imports)).toEqual([]);
  });
});
