/**
 * The Telegram channel (issue 7) against a fake Bot API server: long polling and webhook, a
 * member filing in a private chat, cards in a bound group, racing approvals, reject with a
 * force-reply reason, edits in place, duplicates, 429, outages, migrated groups, long texts and
 * user text that looks like markup.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTelegram, type TelegramRuntime } from "../../../src/channels/telegram/runtime.ts";
import { loadConfig } from "../../../src/config.ts";
import {
  admins,
  chatBindings,
  chatIdentities,
  deliveries,
  members,
} from "../../../src/db/schema.ts";
import { notificationRenderer } from "../../../src/dialogs/cards.ts";
import { raw } from "../../../src/dialogs/replies.ts";
import type { Reply } from "../../../src/dialogs/types.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { createLogger } from "../../../src/logger.ts";
import { deliverDue, RetryLater } from "../../../src/outbox/deliver.ts";
import { fanOut } from "../../../src/outbox/fanOut.ts";
import { issueMemberCode } from "../../../src/services/bindings.ts";
import { fileApplication } from "../../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import { TEST_SEASON } from "../../helpers/season.ts";
import { buildWorld, furtherStudy, type World } from "../../helpers/world.ts";
import { BOT, type FakeBotApi, type Params, startFakeBotApi, webhookAnswer } from "./fakeBotApi.ts";

const TOKEN = `${BOT.id}:AAHfakeTokenForTestsOnly_0123456789`;
const SECRET = "s3cret-token_for-tests";
const M1 = 1001;
const M2 = 1002;
const AV = 2001;
const AVB = 2002;
const AVB2 = 2003;
const GV = -301;
const GVB = -302;
const SUPERGROUP = -1001234567890;

const userOf = (id: number) => ({
  id,
  is_bot: false as const,
  first_name: `user${id}`,
  username: `user${id}`,
});
const chatOf = (id: number) =>
  id > 0
    ? { id, type: "private" as const, first_name: `user${id}` }
    : { id, type: "group" as const, title: `group${id}` };

let messageSeq = 1;
const textUpdate = (from: number, chat: number, text: string, replyTo?: Params) => ({
  message: {
    message_id: messageSeq++,
    date: 1_786_000_000,
    chat: chatOf(chat),
    from: userOf(from),
    text,
    ...(replyTo ? { reply_to_message: replyTo } : {}),
  },
});

/** A press of the button labelled `label` in the latest message to `chat` that has it. */
function pressUpdate(fake: FakeBotApi, from: number, chat: number, label: string) {
  for (const sent of fake.sent(chat).reverse()) {
    const button = (sent.reply_markup?.inline_keyboard ?? [])
      .flat()
      .find((b: Params) => b.text === label);
    if (!button) continue;
    return {
      callback_query: {
        id: `q${messageSeq++}`,
        from: userOf(from),
        chat_instance: "ci",
        data: button.callback_data as string,
        message: {
          message_id: sent.message_id,
          date: 1_786_000_000,
          chat: chatOf(chat),
          from: BOT,
          text: sent.text,
        },
      },
    };
  }
  throw new Error(`no button ${label} in ${JSON.stringify(fake.sent(chat))}`);
}

const lastText = (fake: FakeBotApi, chat: number) => fake.sent(chat).at(-1)?.text as string;
const answers = (fake: FakeBotApi) =>
  fake.calls.filter((c) => c.method === "answerCallbackQuery").map((c) => c.params);

describe.each(DB_KINDS)("Telegram on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const now = new Date("2026-08-10T02:00:00Z");
  let fake: FakeBotApi;
  let runtime: TelegramRuntime | undefined;
  let w: World;

  const start = async (mode: "polling" | "webhook") => {
    const env = {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.url,
      ...(mode === "webhook"
        ? {
            TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
            TELEGRAM_WEBHOOK_SECRET: SECRET,
          }
        : {}),
    };
    runtime = startTelegram({
      settings: loadConfig(env).telegram!,
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      log: createLogger("silent"),
      now: () => now,
      pollTimeoutSeconds: 1,
      retryMs: 50,
    });
    await runtime.ready;
    return runtime;
  };
  const deliver = async () => {
    await fanOut(db(), now);
    return deliverDue(db(), {
      senders: [runtime!.sender],
      render: notificationRenderer(TEST_SEASON),
      now,
    });
  };
  const bind = (user: number, who: { memberId?: number; adminId?: number }) =>
    db()
      .insert(chatIdentities)
      .values({ channel: "telegram", externalUserId: String(user), ...who });
  const bindGroup = (chat: number, orgId: number) =>
    db()
      .insert(chatBindings)
      .values({ channel: "telegram", chatId: String(chat), orgId });
  const fileToVB = (memberId: number) =>
    fileApplication(db(), furtherStudy(memberId, w.org.VB), now, TEST_SEASON);

  beforeAll(async () => {
    fake = await startFakeBotApi();
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    fake.calls.length = 0;
    fake.down = false;
    w = await buildWorld(db());
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it("long polling: a member binds by deep link and files; the card reaches the group; reject asks by force-reply; the member is told; the card is edited in place", async () => {
    await start("polling");
    expect(fake.calls.some((c) => c.method === "deleteWebhook")).toBe(true);
    const handle = async (update: ReturnType<typeof textUpdate> | Params) =>
      fake.handled(fake.push(update as never));
    const say = (from: number, text: string, chat = from, replyTo?: Params) =>
      handle(textUpdate(from, chat, text, replyTo));
    const press = (from: number, label: string, chat = from) =>
      handle(pressUpdate(fake, from, chat, label));

    // User text that looks like markup is shown as typed: no parse mode anywhere.
    await db().update(members).set({ name: "<b>_*明" }).where(eq(members.id, w.member.m1));
    const issued = await issueMemberCode(db(), {
      adminId: w.admin.UB1,
      memberId: w.member.m1,
      now,
    });
    if (!issued.ok) throw new Error(issued.reason);
    await bind(AV, { adminId: w.admin.V });
    await say(AV, `/bind@${BOT.username}`, GV);
    expect(lastText(fake, GV)).toContain("本群已绑定 太原工学院团委");
    // In a group, another bot's command and plain chatter are not for this bot.
    const before = fake.calls.length;
    await say(AV, "/bind@other_bot", GV);
    await say(AV, "大家好", GV);
    expect(fake.calls.slice(before).filter((c) => c.method === "sendMessage")).toEqual([]);

    await say(M1, `/start ${issued.code}`);
    expect(fake.sent(M1).map((s) => s.text)).toContainEqual(expect.stringContaining("绑定成功"));
    await say(M1, "/menu");
    await press(M1, "办理组织关系转接");
    await press(M1, "否");
    await press(M1, "升学");
    await press(M1, "普通高校");
    await say(M1, "太原工学院");
    await say(M1, "太原市迎泽西大街79号");
    await press(M1, "团山西省委");
    await say(M1, "工学院");
    await press(M1, "太原工学院团委（团山西省委）");
    await press(M1, "确认提交");
    expect(fake.sent(M1).map((s) => s.text)).toContainEqual(expect.stringContaining("申请已提交"));
    // Every button press was answered.
    const pressed = fake.calls.filter((c) => c.method === "answerCallbackQuery").length;
    expect(pressed).toBe(7);

    expect(await deliver()).toMatchObject({ sent: 1 });
    const card = fake.sent(GV).at(-1)!;
    expect(card.text).toContain("【新的转接申请");
    expect(card.text).toContain("申请人：<b>_*明");
    expect(card.reply_markup.inline_keyboard.flat().map((b: Params) => b.text)).toEqual([
      "同意",
      "不同意",
      "详情",
    ]);

    await press(AV, "不同意", GV);
    // R30: the preset reasons first; a written one is asked by force-reply.
    await press(AV, "其他原因（自行填写）", GV);
    const question = fake.sent(GV).at(-1)!;
    expect(question.reply_markup).toEqual({ force_reply: true, selective: true });
    expect(question.text).toMatch(new RegExp(`^@user${AV} 请写明不同意申请`));
    await say(AV, "名额已满", GV, {
      message_id: question.message_id,
      date: 1_786_000_000,
      chat: chatOf(GV),
      from: BOT,
      text: question.text,
    });
    expect(lastText(fake, GV)).toContain("已退回申请");

    await deliver();
    expect(lastText(fake, M1)).toContain("被退回。原因：名额已满");
    const edit = fake.calls.find((c) => c.method === "editMessageText")!.params;
    expect(edit).toMatchObject({
      chat_id: String(GV),
      message_id: card.message_id,
      reply_markup: { inline_keyboard: [] },
    });
    expect(edit.text).toContain("结果：已退回");
    expect(fake.calls.some((c) => "parse_mode" in c.params)).toBe(false);
  });

  it("webhook: the secret is checked; two admins approve at once, one wins and the other is told; an update delivered twice acts once", async () => {
    await start("webhook");
    expect(fake.calls.find((c) => c.method === "setWebhook")?.params).toMatchObject({
      url: "https://bot.example.org/telegram/webhook",
      secret_token: SECRET,
      allowed_updates: ["message", "callback_query"],
    });
    const readiness: Readiness = {
      db: kind,
      telegramWebhook: runtime!.webhook,
      telegramSecret: SECRET,
    };
    const app = createHttpApp(readiness, "zh-CN");
    let updateId = 1;
    // In webhook mode a press is answered in the webhook's response, not by a call.
    const webhookAnswers: Params[] = [];
    const post = async (update: Params, secret: string | null = SECRET) => {
      const res = await app.request("/telegram/webhook", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }),
        },
        body: JSON.stringify({ update_id: updateId++, ...update }),
      });
      const answer = await webhookAnswer(res.clone());
      if (answer) webhookAnswers.push(answer);
      return res;
    };

    await bind(AVB, { adminId: w.admin.VB });
    const [second] = await db()
      .insert(admins)
      .values({ orgId: w.org.VB, name: "管理员VB2", phone: "0351-0002" })
      .returning({ id: admins.id });
    await bind(AVB2, { adminId: second!.id });
    await bind(M2, { memberId: w.member.m2 });

    expect((await post(textUpdate(AVB, GVB, "/bind"), "wrong")).status).toBe(401);
    expect((await post(textUpdate(AVB, GVB, "/bind"), null)).status).toBe(401);
    expect(fake.sent(GVB)).toEqual([]);
    expect((await post(textUpdate(AVB, GVB, "/bind"))).status).toBe(200);
    expect(lastText(fake, GVB)).toContain("本群已绑定 研究生2026级1班团支部");

    expect((await fileToVB(w.member.m2)).ok).toBe(true);
    await deliver();
    const [a, b] = [pressUpdate(fake, AVB, GVB, "同意"), pressUpdate(fake, AVB2, GVB, "同意")];
    const results = await Promise.all([post(a), post(b)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(answers(fake)).toEqual([]);
    const popups = webhookAnswers.map((p) => p.text as string);
    expect(popups).toHaveLength(2);
    expect(popups.filter((p) => p.startsWith("已同意申请"))).toHaveLength(1);
    expect(popups.filter((p) => p.includes("已经有结果"))).toHaveLength(1);
    await deliver();
    expect(lastText(fake, M2)).toContain("已完成");

    // The same update twice: answered twice (the client must stop spinning), acted on once.
    const details = { update_id: 9_000, ...pressUpdate(fake, AVB, GVB, "同意") };
    const sentBefore = fake.sent().length;
    await post(details);
    await post(details);
    expect(
      webhookAnswers.filter((p) => p.callback_query_id === details.callback_query.id),
    ).toHaveLength(2);
    const typed = { update_id: 9_001, ...textUpdate(M2, M2, "/help") };
    await post(typed);
    await post(typed);
    expect(fake.sent().length - sentBefore).toBe(1);
  });

  it("429 waits its retry_after in the outbox; an outage keeps notifications queued; a migrated group keeps its binding; long texts split; not modified is fine", async () => {
    const { sender } = await start("webhook");
    const target = (chat: number) => ({ chatId: String(chat), locale: null });
    const send = async (chat: number, message: Reply, previous: string | null = null) => {
      const ready = await sender.prepare(db(), target(chat), message, previous);
      return ready.transmit(async () => {});
    };

    fake.failNext("sendMessage", 429, {
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 1",
      parameters: { retry_after: 1 },
    });
    const limited = await send(M1, { text: raw("你好 <b>_*") }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RetryLater);
    expect((limited as RetryLater).afterMs).toBe(1_000);
    await send(M1, { text: raw("你好 <b>_*") });
    expect(fake.calls.filter((c) => c.method === "sendMessage")).toHaveLength(2);
    expect(fake.sent(M1).map((s) => s.text)).toEqual(["你好 <b>_*"]);

    const long = Array.from({ length: 102 }, (_, i) => `${i}`.padEnd(49, "x")).join("\n");
    await send(M2, { text: raw(long) });
    const parts = fake.sent(M2).map((s) => s.text as string);
    expect(parts.length).toBe(2);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join("\n")).toBe(long);

    const { messageId } = await send(M1, { text: raw("a"), ref: "r" });
    const edited = { text: raw("b"), ref: "r", edit: true };
    expect(await send(M1, edited, messageId)).toMatchObject({ messageId });
    expect(await send(M1, edited, messageId)).toMatchObject({ messageId });

    // Telegram unreachable: the card stays in the outbox and goes out later.
    await bindGroup(GVB, w.org.VB);
    await fileToVB(w.member.m2);
    fake.down = true;
    expect(await deliver()).toMatchObject({ sent: 0, retried: 1 });
    fake.down = false;
    const later = await deliverDue(db(), {
      senders: [sender],
      render: notificationRenderer(TEST_SEASON),
      now: new Date(now.getTime() + 60_000),
    });
    expect(later).toMatchObject({ sent: 1 });
    expect(lastText(fake, GVB)).toContain("【新的转接申请");

    // A send answered "upgraded to a supergroup" moves the binding and goes to the new id.
    await db().delete(deliveries);
    fake.failNext("sendMessage", 400, {
      ok: false,
      error_code: 400,
      description: "Bad Request: group chat was upgraded to a supergroup chat",
      parameters: { migrate_to_chat_id: SUPERGROUP },
    });
    await fileToVB(w.member.m1);
    expect(await deliver()).toMatchObject({ sent: 1 });
    expect(lastText(fake, SUPERGROUP)).toContain("【新的转接申请");
    const bound = await db()
      .select({ chatId: chatBindings.chatId })
      .from(chatBindings)
      .where(and(eq(chatBindings.channel, "telegram"), eq(chatBindings.orgId, w.org.VB)));
    expect(bound).toEqual([{ chatId: String(SUPERGROUP) }]);
  });

  it("a migrate_to_chat_id service message moves the binding", async () => {
    await start("webhook");
    const app = createHttpApp(
      { db: kind, telegramWebhook: runtime!.webhook, telegramSecret: SECRET },
      "zh-CN",
    );
    await bindGroup(GV, w.org.V);
    const res = await app.request("/telegram/webhook", {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      body: JSON.stringify({
        update_id: 1,
        message: {
          message_id: 9,
          date: 1_786_000_000,
          chat: chatOf(GV),
          from: userOf(AV),
          migrate_to_chat_id: SUPERGROUP,
        },
      }),
    });
    expect(res.status).toBe(200);
    const bound = await db().select({ chatId: chatBindings.chatId }).from(chatBindings);
    expect(bound).toEqual([{ chatId: String(SUPERGROUP) }]);
    expect(
      (await createHttpApp({ db: kind }, "zh-CN").request("/telegram/webhook", { method: "POST" }))
        .status,
    ).toBe(404);
  });
});
