/**
 * The WeCom AI bot channel end to end against a fake long-connection server (fakeBotServer.ts
 * says where each frame's shape comes from): a member files in private chat by pressing card
 * buttons and typing, an admin binds a group, the group gets the card, the admin approves by
 * clicking it there, the card is updated through the click's req_id, the member is told; a
 * resent callback is handled once; someone not allowed who clicks hears why; a dropped
 * connection comes back and nothing is lost; two copies never both hold the connection.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createWecomBotChannel,
  type WecomBotChannel,
} from "../../../src/channels/wecombot/index.ts";
import { connectionLease } from "../../../src/channels/wecombot/lease.ts";
import { query } from "../../../src/db/client.ts";
import { chatBindings, chatIdentities } from "../../../src/db/schema.ts";
import { notificationRenderer } from "../../../src/dialogs/cards.ts";
import { deliverDue } from "../../../src/outbox/deliver.ts";
import { fanOut } from "../../../src/outbox/fanOut.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { freePort, spawnApp, waitHealthy } from "../../helpers/spawnApp.ts";
import { buildWorld, furtherStudy, shanghai, type World } from "../../helpers/world.ts";
import { BOT_ID, BOT_SECRET, FakeBotServer, type FakeCard } from "./fakeBotServer.ts";

const fake = new FakeBotServer();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const GROUP = "wrgroup0001";

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(DB_KINDS)("the WeCom AI bot on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;
  const channels: WecomBotChannel[] = [];
  const errors: unknown[] = [];

  const newChannel = (leaseTtlMs = 1_500) => {
    const channel = createWecomBotChannel({
      settings: { botId: BOT_ID, secret: BOT_SECRET, wsUrl: fake.url, leaseTtlMs },
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      now: () => new Date(),
      onError: (e) => errors.push(e),
      timings: { heartbeatMs: 200, backoffMs: 50, backoffMaxMs: 200 },
    });
    channels.push(channel);
    return channel;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    errors.length = 0;
    fake.reset();
    for (const [user, who] of [
      ["m1", { memberId: w.member.m1 }],
      ["aV", { adminId: w.admin.V }],
    ] as const) {
      await db()
        .insert(chatIdentities)
        .values({ channel: "wecombot", externalUserId: user, ...who });
    }
  });

  afterEach(async () => {
    for (const c of channels.splice(0)) await c.stop();
    await until("the fake to see every connection closed", () => fake.live === 0);
  });

  /** Waits until the callback `msgid` was handled and its answers pushed. */
  const handled = async (msgid: string) => {
    await until(`callback ${msgid} handled`, async () => {
      for (const c of channels) await c.idle();
      const [row] = await query<{ done: boolean }>(
        db(),
        sql`select exists (select 1 from processed_updates
                           where channel = 'wecombot' and update_key = ${`msg:${msgid}`})
               and not exists (select 1 from inbound_messages
                               where channel = 'wecombot' and update_key = ${`msg:${msgid}`}) as done`,
      );
      return row?.done === true;
    });
  };
  const say = async (user: string, text: string, chatid?: string) => {
    const before = fake.received.length;
    await handled(fake.say(user, text, chatid));
    return fake.received.slice(before);
  };
  /** Presses the button `label` on the latest card in the chat that has it. */
  const press = async (user: string, label: string, chatid?: string) => {
    const card = fake
      .cardsTo(chatid ?? user)
      .filter((c) => c.button_list?.some((b) => b.text === label))
      .at(-1);
    expect(card, `a card with ${label}`).toBeDefined();
    const key = card!.button_list!.find((b) => b.text === label)!.key;
    const before = fake.received.length;
    const msgid = fake.click(user, card!.task_id, key, chatid);
    await handled(msgid);
    return { card: card!, msgid, key, answers: fake.received.slice(before) };
  };
  const deliver = async () => {
    await fanOut(db(), new Date());
    return deliverDue(db(), {
      senders: channels.map((c) => c.sender),
      render: notificationRenderer(TEST_SEASON),
      now: new Date(),
    });
  };
  const connected = async (channel: WecomBotChannel) => {
    channel.start();
    await until("the connection to subscribe", () => channel.connection.ready);
  };

  it("files, approves by a card click in a group, updates the card, tells the member (R22, R26)", async () => {
    const channel = newChannel();
    await connected(channel);

    // The admin binds the group: /bind after @-mentioning the bot there.
    await say("aV", "/bind", GROUP);
    expect(fake.shownTo(GROUP)).toContain("太原工学院团委");
    const [binding] = await db()
      .select()
      .from(chatBindings)
      .where(eq(chatBindings.chatId, `group:${GROUP}`));
    expect(binding?.channel).toBe("wecombot");

    // The member files in private chat: the menu and every choice are cards with buttons.
    await say("m1", "/menu");
    await press("m1", "办理组织关系转接");
    await press("m1", "否");
    await press("m1", "升学");
    await press("m1", "普通高校");
    await say("m1", "太原工学院");
    await say("m1", "太原市迎泽西大街79号");
    await press("m1", "团山西省委");
    await say("m1", "工学院");
    await press("m1", "太原工学院团委（团山西省委）");
    await press("m1", "确认提交");
    expect(fake.shownTo("m1")).toContain("申请已提交");

    // The group gets the card, pushed as a template card with 同意 / 不同意 / 详情.
    await deliver();
    const [card] = fake.cardsTo(GROUP).filter((c) => c.main_title.title.includes("新的转接申请"));
    expect(card).toMatchObject({ card_type: "button_interaction" });
    expect(card!.button_list!.map((b) => b.text)).toEqual(["同意", "不同意", "详情"]);
    expect(card!.sub_title_text).toContain("申请人：张小明");
    expect(card!.sub_title_text).not.toContain(w.idNumber.m1);

    // Someone not allowed clicks 同意: told so in the group, @-mentioned; nothing changes.
    const stranger = await press("x9", "同意", GROUP);
    const refusal = fake.textsTo(GROUP).at(-1)!;
    expect(refusal).toMatch(/^<@x9> /);
    expect(refusal).toContain("无权");
    expect(stranger.answers.every((r) => r.cmd === "aibot_send_msg")).toBe(true);

    // The admin clicks 同意 in the group; the card is updated through that click's req_id.
    const approved = await press("aV", "同意", GROUP);
    expect(fake.shownTo(GROUP)).toContain("已同意");
    await deliver();
    const [update] = fake.updates();
    expect(update).toMatchObject({
      errcode: 0,
      body: { response_type: "update_template_card", template_card: { task_id: card!.task_id } },
    });
    // R22: the committee assigns the branch; the updated card offers 分配团支部.
    const updated = update!.body.template_card as FakeCard;
    expect(updated.button_list?.map((b) => b.text)).toContain("分配团支部");

    // The same click delivered again: handled once, nothing more is sent.
    const before = fake.received.length;
    fake.click("aV", card!.task_id, approved.key, GROUP, approved.msgid);
    await new Promise((r) => setTimeout(r, 200));
    await channel.idle();
    expect(fake.received.slice(before)).toEqual([]);

    // The branch picker came as a card to the group: the admin picks; the member is told.
    await press("aV", "研究生2026级1班团支部", GROUP);
    await deliver();
    expect(fake.shownTo("m1")).toContain("已完成，转入 研究生2026级1班团支部");
    // No click on the application card since: its outcome comes as a new message.
    expect(fake.shownTo(GROUP)).toContain("结果：已完成转接（管理员V");
    expect(errors).toEqual([]);
  });

  it("R23 the reject reason is asked of the admin who pressed, in the group; /pending brings the cards", async () => {
    const channel = newChannel();
    await connected(channel);
    await say("aV", "/bind", GROUP);
    // A bare @-mention: the help, never silence.
    const shown = fake.shownTo(GROUP).length;
    await say("aV", "", GROUP);
    expect(fake.shownTo(GROUP).slice(shown)).toContain("/pending");
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.V),
      shanghai("2026-08-10T10:00:00"),
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await fake.say("m1", "/menu"); // the member has spoken to the bot: pushes reach them
    await deliver();

    // /pending in the group: the waiting application's card, with its buttons.
    const before = fake.cardsTo(GROUP).length;
    await say("aV", "/pending", GROUP);
    const pending = fake.cardsTo(GROUP).slice(before);
    expect(pending.map((c) => c.button_list?.map((b) => b.text))).toContainEqual([
      "同意",
      "不同意",
      "详情",
    ]);

    // 不同意: the presets come as a card; "other" asks aV for the written reason.
    await press("aV", "不同意", GROUP);
    await press("aV", "其他原因（自行填写）", GROUP);
    expect(fake.shownTo(GROUP)).toContain(`请写明不同意申请 #${filed.applicationId} 的原因`);
    // Someone else's words in the group are not taken as aV's reason.
    await say("x9", "随便写的", GROUP);
    await say("aV", "去向学校填写有误", GROUP);
    await deliver();
    expect(fake.shownTo("m1")).toContain("去向学校填写有误");
    expect(errors).toEqual([]);
  });

  it("the digest's chart goes through the connection's media upload, in chunks from index 0", async () => {
    const channel = newChannel();
    await connected(channel);
    await fake.say("aV", "/help");
    await until("aV answered", () => fake.pushesTo("aV").length > 0);
    // A chart larger than one chunk (512 KB before Base64): two chunks, 0 and 1.
    const png = Buffer.alloc(600 * 1024, 7);
    const sent = await db().transaction(async (tx) => {
      const prepared = await channel.sender.prepare(
        tx,
        { chatId: "aV", locale: "zh-CN" },
        {
          text: { key: "digest:title", params: { org: "团山西省委", day: "2026-08-10" } },
          image: { png: png.toString("base64"), alt: { key: "digest:chart.sx" } },
        },
        null,
      );
      return prepared;
    });
    await sent.transmit(async () => {});
    const chunks = fake.received.filter((r) => r.cmd === "aibot_upload_media_chunk");
    expect(chunks.map((c) => c.body.chunk_index)).toEqual([0, 1]);
    const finish = fake.received.find((r) => r.cmd === "aibot_upload_media_finish");
    expect(finish?.body.bytes).toBe(png.length);
    const image = fake.pushesTo("aV").at(-1);
    expect(image).toMatchObject({
      msgtype: "image",
      image: { media_id: expect.stringMatching(/^media_/) },
    });
    expect(fake.textsTo("aV").at(-1)).toContain("每日简报");
  });

  it("a connection whose heartbeats go unanswered is given up and opened again", async () => {
    const channel = newChannel();
    await connected(channel);
    const subscribes = fake.subscribes;
    fake.silent = true;
    await until("a new subscribe", () => fake.subscribes > subscribes, 3_000);
    fake.silent = false;
    await until("ready again", () => channel.connection.ready);
  });

  it("someone opening the private chat is welcomed at once with the way to begin", async () => {
    const channel = newChannel();
    await connected(channel);
    const reqId = fake.enter("m1");
    await until("the welcome", () =>
      fake.received.some((r) => r.cmd === "aibot_respond_welcome_msg"),
    );
    const [welcome] = fake.received.filter((r) => r.cmd === "aibot_respond_welcome_msg");
    expect(welcome).toMatchObject({ reqId, errcode: 0, body: { msgtype: "text" } });
    expect((welcome!.body.text as { content: string }).content).toContain("/menu");
  });

  it("a dropped connection comes back and the answer to what was said before is not lost", async () => {
    const channel = newChannel();
    await connected(channel);
    const subscribes = fake.subscribes;
    const msgid = fake.say("m1", "/menu");
    fake.dropAll();
    await handled(msgid);
    expect(fake.subscribes).toBeGreaterThan(subscribes);
    expect(
      fake
        .cardsTo("m1")
        .at(-1)
        ?.button_list?.map((b) => b.text),
    ).toContain("办理组织关系转接");
    // Heartbeats keep the new connection: it is still the one after several intervals.
    const now = fake.subscribes;
    await new Promise((r) => setTimeout(r, 700));
    expect(fake.subscribes).toBe(now);
    expect(channel.connection.ready).toBe(true);
    expect(errors).toEqual([]);
  });

  it("two copies never both hold the connection; the other takes over when the holder stops", async () => {
    const a = newChannel();
    const b = newChannel();
    a.start();
    b.start();
    await until("one copy to connect", () => a.connection.ready || b.connection.ready);
    await new Promise((r) => setTimeout(r, 1_000));
    expect([a, b].filter((c) => c.connection.ready)).toHaveLength(1);
    expect(fake.maxLive).toBe(1);
    expect(fake.replaced).toBe(0);
    const [holder, other] = a.connection.ready ? [a, b] : [b, a];
    await holder!.stop();
    await until("the other copy to take over", () => other!.connection.ready, 3_000);
    expect(fake.maxLive).toBe(1);
    expect(fake.replaced).toBe(0);
  });

  it("a lease whose holder died is taken over once it expired, not before", async () => {
    const t0 = new Date("2026-08-10T02:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const first = connectionLease(db(), "wecombot:test", "copy-1", 10_000);
    const second = connectionLease(db(), "wecombot:test", "copy-2", 10_000);
    expect(await first.acquire(t0)).toBe(true);
    expect(await second.acquire(at(9_999))).toBe(false);
    expect(await first.acquire(at(5_000))).toBe(true);
    expect(await second.acquire(at(14_999))).toBe(false);
    expect(await second.acquire(at(15_000))).toBe(true);
    expect(await first.acquire(at(16_000))).toBe(false);
  });

  it("a wrong secret is refused and the connection is not held open", async () => {
    const channel = createWecomBotChannel({
      settings: { botId: BOT_ID, secret: "wrong", wsUrl: fake.url, leaseTtlMs: 1_500 },
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      now: () => new Date(),
      onError: () => {},
      timings: { backoffMs: 50, backoffMaxMs: 100 },
    });
    channels.push(channel);
    channel.start();
    await until("two tries", () => fake.subscribes >= 2);
    expect(channel.connection.ready).toBe(false);
    expect(fake.live).toBe(0);
  });
});

describe("npm start with the AI bot configured", () => {
  it("connects at start and lets go on SIGTERM (unset, config.wecomBot is absent: config.test.ts)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "zhtj-bot-"));
    try {
      fake.reset();
      const port = await freePort();
      const app = spawnApp(
        {
          DATA_DIR: dataDir,
          DEMO_DATA: "off",
          WECOM_BOT_ID: BOT_ID,
          WECOM_BOT_SECRET: BOT_SECRET,
          WECOM_BOT_WS_URL: fake.url,
        },
        port,
      );
      await waitHealthy(port, 140_000);
      await until("the app to subscribe", () => fake.live === 1, 20_000);
      app.child.kill("SIGTERM");
      expect(await app.exited).toBe(0);
      await until("the connection to close", () => fake.live === 0);
      expect(app.output()).not.toContain(BOT_SECRET);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // A fresh embedded database runs initdb: slow on a busy machine.
  }, 180_000);
});
