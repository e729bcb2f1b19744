/**
 * The WeCom app end to end, against the local fake API: a member files a transfer by text
 * (numbered choices answered with digits), the admin binds their app chat and gets a template
 * card, a simulated encrypted click approves, the card is updated and the member told. The
 * access token expires mid-run; retried callbacks are handled once; limits hold deliveries back.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TemplateCard } from "../../../src/channels/wecom/client.ts";
import { WecomCrypto } from "../../../src/channels/wecom/crypto.ts";
import { createWecomChannel, type WecomChannel } from "../../../src/channels/wecom/index.ts";
import { chatIdentities, deliveries, sendLog, wecomCards } from "../../../src/db/schema.ts";
import { notificationRenderer } from "../../../src/dialogs/cards.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { deliverDue } from "../../../src/outbox/deliver.ts";
import { fanOut } from "../../../src/outbox/fanOut.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { virtualClock } from "../../helpers/clock.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { buildWorld, furtherStudy, type World } from "../../helpers/world.ts";
import { FakeWecom } from "./fakeWecom.ts";
import { envelope, messageXml, signedPath } from "./wire.ts";

const fake = new FakeWecom();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

describe.each(DB_KINDS)("the WeCom app on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;
  let now = new Date("2026-08-10T02:00:00Z");
  let channel: WecomChannel;
  let app: ReturnType<typeof createHttpApp>;
  const errors: unknown[] = [];
  let msgId = 7_300_000_000_000_000_000n;
  const settings = () => ({
    corpId: "ww-test-corp",
    agentId: 1000002,
    secret: "test-secret",
    token: "callback-token",
    encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    apiRoot: fake.url,
  });
  const crypto = () => new WecomCrypto(settings());

  beforeEach(async () => {
    w = await buildWorld(db());
    now = new Date("2026-08-10T02:00:00Z");
    errors.length = 0;
    fake.reset();
    const engine = testEngine(db(), "zh-CN");
    channel = createWecomChannel({
      settings: settings(),
      db: db(),
      engine,
      defaultLocale: "zh-CN",
      now: () => now,
      onError: (e) => errors.push(e),
    });
    const readiness: Readiness = { db: kind, wecomCallback: () => channel.callback };
    app = createHttpApp(readiness, "zh-CN");
    for (const [user, who] of [
      ["m1", { memberId: w.member.m1 }],
      ["aV", { adminId: w.admin.V }],
      ["aV2", { adminId: w.admin.V }],
      ["aV3", { adminId: w.admin.V }],
    ] as const) {
      await db()
        .insert(chatIdentities)
        .values({ channel: "wecom", externalUserId: user, ...who });
    }
  });

  /** Posts one encrypted callback as WeCom would and waits until it is handled. */
  const callback = async (fields: Record<string, string | number>) => {
    const c = crypto();
    const encrypted = c.encrypt(
      messageXml({
        ToUserName: "ww-test-corp",
        CreateTime: Math.floor(now.getTime() / 1000),
        ...fields,
      }),
    );
    const res = await app.request(
      signedPath(c, encrypted, {}, { timestamp: String(Math.floor(now.getTime() / 1000)) }),
      {
        method: "POST",
        body: envelope(encrypted),
      },
    );
    expect(res.status).toBe(200);
    await channel.idle();
    expect(errors).toEqual([]);
  };
  /** What a user was sent as text since `from` calls. */
  const textsTo = (user: string, from = 0) =>
    fake.calls
      .slice(from)
      .filter(
        (c) => c.api === "message/send" && c.body.touser === user && c.body.msgtype === "text",
      )
      .map((c) => (c.body.text as { content: string }).content)
      .join("\n---\n");
  const say = async (user: string, content: string, id = String(++msgId)) => {
    const from = fake.calls.length;
    await callback({
      FromUserName: user,
      MsgType: "text",
      Content: content,
      MsgId: id,
      AgentID: 1000002,
    });
    return textsTo(user, from);
  };
  let lastText = new Map<string, string>();
  /** Answers the numbered choice labelled `label` in the user's last message. */
  const choose = async (user: string, said: string, label: string) => {
    const line = said.split("\n").find((l) => l.replace(/^\d+\. /, "") === label);
    expect(line, `${label} in ${said}`).toBeDefined();
    const reply = await say(user, line!.split(".")[0]!);
    lastText.set(user, reply);
    return reply;
  };
  const deliver = async () => {
    await fanOut(db(), now);
    return deliverDue(db(), {
      senders: [channel.sender],
      render: notificationRenderer(TEST_SEASON),
      now,
    });
  };
  const cardsSent = () =>
    fake
      .sent("message/send")
      .filter((c) => c.body.msgtype === "template_card" && c.errcode === 0)
      .map((c) => ({ to: c.body.touser, card: c.body.template_card as TemplateCard }));

  it("a member files by text, the admin approves on the card, the card is updated, the member told", async () => {
    lastText = new Map();
    // Every app chat of the committee's admins that said /bind gets the cards.
    for (const admin of ["aV", "aV2", "aV3"]) {
      expect(await say(admin, "/bind")).toContain("太原工学院团委");
    }

    let said = await say("m1", "/menu");
    expect(said).toMatch(/^\d+\. 办理组织关系转接$/m);
    expect(said).toContain("回复编号即可选择");
    said = await choose("m1", said, "办理组织关系转接");
    said = await choose("m1", said, "否");
    said = await choose("m1", said, "升学");
    said = await choose("m1", said, "普通高校");
    await say("m1", "太原工学院");
    said = await say("m1", "太原市迎泽西大街79号");
    said = await choose("m1", said, "团山西省委");
    said = await say("m1", "工学院");
    said = await choose("m1", said, "太原工学院团委（团山西省委）");
    expect(await choose("m1", said, "确认提交")).toContain("申请已提交");

    // The token expires before the card goes out: refreshed and retried, the card still sent.
    const tokensBefore = fake.tokensIssued;
    fake.expireToken();
    expect(await deliver()).toMatchObject({ sent: expect.any(Number), retried: 0, dead: 0 });
    expect(fake.tokensIssued).toBe(tokensBefore + 1);
    const cards = cardsSent();
    // Sent side by side: in no particular order.
    expect(cards.map((c) => c.to).sort()).toEqual(["aV", "aV2", "aV3"]);
    expect(new Set(cards.map((c) => c.card.task_id)).size).toBe(3);
    const cardOf = (user: string) => cards.find((c) => c.to === user)!.card;
    const card = cardOf("aV");
    expect(card.card_type).toBe("button_interaction");
    expect(card.task_id).toMatch(/^app_\d+_org_\d+-[\w-]+$/);
    expect(card.main_title.title).toContain("新的转接申请");
    expect(card.sub_title_text).toContain("申请人：张小明");
    expect(card.sub_title_text).not.toContain(w.idNumber.m1);
    expect(card.button_list.map((b) => b.text)).toEqual(["同意", "不同意", "详情"]);

    // The admin clicks Approve: WeCom posts an encrypted template_card_event.
    const approve = card.button_list[0]!.key;
    const click = {
      FromUserName: "aV",
      MsgType: "event",
      Event: "template_card_event",
      EventKey: approve,
      TaskId: card.task_id,
      CardType: "button_interaction",
      ResponseCode: "click-code-1",
      AgentID: 1000002,
    };
    let from = fake.calls.length;
    await callback(click);
    said = textsTo("aV", from);
    expect(said).toContain("已同意申请");
    // WeCom retries a callback it thinks went unanswered: handled once.
    from = fake.calls.length;
    await callback(click);
    expect(fake.calls.slice(from)).toEqual([]);

    // The committee picks the branch by number; the decision is final on assignment.
    expect(await choose("aV", said, "研究生2026级1班团支部")).toContain("已完成");
    // aV3's card can no longer be updated (its code spent or expired).
    await db()
      .update(wecomCards)
      .set({ responseCode: null })
      .where(eq(wecomCards.taskId, cardOf("aV3").task_id));
    from = fake.calls.length;
    await deliver();
    expect(textsTo("m1", from)).toContain("已完成，转入 研究生2026级1班团支部");
    // The clicked card with the click's code; the other with the code its sending returned.
    const updates = fake
      .sent("message/update_template_card")
      .sort(
        (a, b) =>
          (a.body.response_code === "click-code-1" ? -1 : 0) -
          (b.body.response_code === "click-code-1" ? -1 : 0),
      );
    expect(updates.map((u) => u.body.response_code)).toEqual([
      "click-code-1",
      expect.stringMatching(/^send-code-/),
    ]);
    expect(updates[0]!.body).toMatchObject({
      atall: 1,
      agentid: 1000002,
      template_card: {
        card_type: "button_interaction",
        task_id: card.task_id,
        replace_text: "已处理",
        button_list: card.button_list,
      },
    });
    expect((updates[1]!.body.template_card as TemplateCard).task_id).toBe(cardOf("aV2").task_id);
    for (const u of updates) {
      expect((u.body.template_card as TemplateCard).sub_title_text).toContain(
        "结果：已完成转接（管理员V",
      );
    }
    expect(textsTo("aV", from)).toBe("");
    expect(textsTo("aV3", from)).toContain("结果：已完成转接（管理员V");
  });

  it("a number outside the last list is taken as plain text", async () => {
    const menu = await say("m1", "/menu");
    const count = menu.split("\n").filter((l) => /^\d+\. /.test(l)).length;
    expect(count).toBeGreaterThan(1);
    expect(await say("m1", String(count + 5))).toContain("没有听懂这句话。");
  });

  it("holds deliveries back while a member is at WeCom's per-minute limit", async () => {
    await say("aV", "/bind");
    // 30 messages reached aV in the last 10 seconds (answers count too).
    await db()
      .insert(sendLog)
      .values(
        Array.from({ length: 30 }, (_, i) => ({
          key: "wecom:aV",
          at: now.getTime() - 10_000 + i,
        })),
      );
    fake.reset();
    await fileApplication(db(), furtherStudy(w.member.m2, w.org.V), now, TEST_SEASON);
    await fanOut(db(), now);
    const clock = virtualClock(now);
    const report = await deliverDue(db(), {
      senders: [channel.sender],
      render: notificationRenderer(TEST_SEASON),
      now,
      clock,
    });
    expect(report).toMatchObject({ sent: 0, dead: 0 });
    expect(cardsSent()).toEqual([]);
    // Not before the window has room again (two are kept free for answers): about 50 s on.
    const [row] = await db().select().from(deliveries).where(eq(deliveries.chatId, "aV"));
    expect(row!.status).toBe("queued");
    expect(row!.availableAt.getTime()).toBeGreaterThanOrEqual(now.getTime() + 50_000);
    now = new Date(now.getTime() + 60_000);
    expect(await deliver()).toMatchObject({ sent: 1 });
    expect(cardsSent()).toHaveLength(1);
  });
});
