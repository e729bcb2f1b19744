/**
 * Exports in the WeCom app (issue 18): the file is uploaded as temporary media (multipart, with
 * its name and `filelength`) and sent as a file message before its text; the app chat is a
 * private one, so a leading organ's list shows full ID numbers (R4).
 */
import ExcelJS from "exceljs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WecomCrypto } from "../../../src/channels/wecom/crypto.ts";
import { createWecomChannel, type WecomChannel } from "../../../src/channels/wecom/index.ts";
import { chatIdentities } from "../../../src/db/schema.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { approve } from "../../../src/services/decisions/index.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { buildWorld, furtherStudy, type World } from "../../helpers/world.ts";
import { FakeWecom } from "./fakeWecom.ts";
import { envelope, messageXml, signedPath } from "./wire.ts";

const fake = new FakeWecom();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

describe.each(DB_KINDS)("WeCom exports on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const now = new Date("2026-09-10T02:00:00Z");
  let w: World;
  let channel: WecomChannel;
  let app: ReturnType<typeof createHttpApp>;
  const errors: unknown[] = [];
  let msgId = 7_400_000_000_000_000_000n;
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
      .values({ channel: "wecom", externalUserId: "aP", adminId: w.admin.P });
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.VB),
      now,
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, now);
  });

  /** One encrypted text callback from `user`, handled. */
  const say = async (user: string, content: string) => {
    const c = new WecomCrypto(settings);
    const encrypted = c.encrypt(
      messageXml({
        ToUserName: "ww-test-corp",
        CreateTime: Math.floor(now.getTime() / 1000),
        FromUserName: user,
        MsgType: "text",
        Content: content,
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
  const lastText = () => {
    const texts = fake.sent("message/send").filter((c) => c.body.msgtype === "text");
    return (texts.at(-1)?.body.text as { content: string } | undefined)?.content ?? "";
  };
  const choose = (label: string) => {
    const line = lastText()
      .split("\n")
      .find((l) => l.replace(/^\d+\. /, "") === label);
    expect(line, label).toBeDefined();
    return say("aP", line!.split(".")[0]!);
  };

  it("uploads the export as media and sends it as a file message, then its text", async () => {
    await say("aP", "/export");
    await choose("待录入智慧团建（1 条）");
    const calls = fake.sent();
    const upload = calls.findIndex((c) => c.api === "media/upload");
    expect(upload).toBeGreaterThanOrEqual(0);
    const media = calls[upload]!.body as {
      field: string;
      filename: string;
      filelength: number;
      data: Buffer;
    };
    expect(media.field).toBe("media");
    expect(media.filename).toBe("待录入智慧团建-团山西省委-2026-09-10.xlsx");
    expect(media.filelength).toBe(media.data.length);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(media.data as unknown as ArrayBuffer);
    expect(workbook.worksheets[0]!.getCell("C2").value).toBe(w.idNumber.m1);
    const file = calls[upload + 1]!;
    expect(file.body).toMatchObject({
      touser: "aP",
      msgtype: "file",
      agentid: 1000002,
      file: { media_id: `media-${fake.calls.indexOf(calls[upload]!) + 1}` },
    });
    expect(lastText()).toContain(
      "待录入智慧团建：待录入智慧团建-团山西省委-2026-09-10.xlsx，共 1 行。",
    );
    expect(lastText()).toContain("整份已在智慧团建办结（1 条）");
  });
});
