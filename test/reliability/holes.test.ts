/**
 * Issue 16.6, small holes: an update Telegram would never send (text or button data not a
 * string), a NUL in a web chat id or session cookie, and a reply to the bot from someone unbound in a group.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTelegram, type TelegramRuntime } from "../../src/channels/telegram/runtime.ts";
import { createHttpApp } from "../../src/http/app.ts";
import { createLogger } from "../../src/logger.ts";
import {
  BOT,
  type FakeBotApi,
  startFakeBotApi,
  webhookAnswer,
} from "../channels/telegram/fakeBotApi.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { SESSION_COOKIE, sessionCookie } from "../helpers/webchat.ts";
import { buildWorld } from "../helpers/world.ts";
import { SECRET, webhookSettings } from "./telegramScene.ts";

const NOW = new Date("2026-08-10T02:00:00Z");
const GROUP = -4401;
const STRANGER = 9301;

describe.each(DB_KINDS)("small holes on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let fake: FakeBotApi | undefined;
  let runtime: TelegramRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    await fake?.close();
  });

  const telegramApp = async () => {
    fake = await startFakeBotApi();
    const logged: string[] = [];
    runtime = startTelegram({
      settings: webhookSettings(fake.url),
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      log: createLogger("error", { write: (line: string) => logged.push(line) }),
      now: () => NOW,
      retryMs: 50,
    });
    await runtime.ready;
    const app = createHttpApp(
      { db: kind, telegramWebhook: runtime.webhook, telegramSecret: SECRET },
      "zh-CN",
    );
    const post = (update: unknown) =>
      app.request("/telegram/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
      });
    return { post, logged, fake };
  };

  const groupMessage = (id: number, text: unknown, extra: Record<string, unknown> = {}) => ({
    update_id: id,
    message: {
      message_id: id,
      date: 1_786_000_000,
      chat: { id: GROUP, type: "group", title: "g" },
      from: { id: STRANGER, is_bot: false, first_name: "someone" },
      text,
      ...extra,
    },
  });

  it("a Telegram update whose text or button data is not a string is dropped, nothing thrown", async () => {
    const { post, logged, fake } = await telegramApp();
    const privateText = {
      update_id: 1,
      message: {
        message_id: 1,
        date: 1_786_000_000,
        chat: { id: STRANGER, type: "private", first_name: "someone" },
        from: { id: STRANGER, is_bot: false, first_name: "someone" },
        text: { not: "a string" },
      },
    };
    const button = {
      update_id: 2,
      callback_query: {
        id: "q2",
        from: { id: STRANGER, is_bot: false, first_name: "someone" },
        chat_instance: "ci",
        data: 12345,
        message: {
          message_id: 7,
          date: 1_786_000_000,
          chat: { id: STRANGER, type: "private", first_name: "someone" },
          from: BOT,
          text: "card",
        },
      },
    };
    for (const update of [privateText, groupMessage(3, ["/menu"])]) {
      expect((await post(update)).status).toBe(200);
    }
    const pressed = await post(button);
    expect(pressed.status).toBe(200);
    // The press still gets its (empty) answer, so the client stops spinning.
    expect(await webhookAnswer(pressed)).toMatchObject({ method: "answerCallbackQuery" });
    expect(logged).toEqual([]);
    expect(fake.sent()).toEqual([]);
  });

  it("a reply to the bot from someone unbound in a group posts no bind prompt there", async () => {
    const { post, fake } = await telegramApp();
    const reply = groupMessage(4, "我也想申请", {
      reply_to_message: {
        message_id: 3,
        date: 1_786_000_000,
        chat: { id: GROUP, type: "group", title: "g" },
        from: BOT,
        text: "card",
      },
    });
    expect((await post(reply)).status).toBe(200);
    expect(fake.sent(GROUP)).toEqual([]);
    // In a private chat the same person is asked for their code, as before.
    const privately = {
      update_id: 5,
      message: {
        message_id: 5,
        date: 1_786_000_000,
        chat: { id: STRANGER, type: "private", first_name: "someone" },
        from: { id: STRANGER, is_bot: false, first_name: "someone" },
        text: "你好",
      },
    };
    expect((await post(privately)).status).toBe(200);
    expect(
      fake
        .sent(STRANGER)
        .map((m) => m.text)
        .join("\n"),
    ).toContain("绑定码");
  });

  it("a NUL in a web chat id or a session cookie is a 4xx with a message, not a 500", async () => {
    const w = await buildWorld(db());
    const { cookie } = await sessionCookie(db(), { memberId: w.member.m1 }, NOW);
    const app = createHttpApp(
      {
        db: kind,
        web: {
          db: db(),
          engine: testEngine(db(), "zh-CN"),
          demo: false,
          defaultLocale: "zh-CN",
          graduationYear: 2026,
          now: () => NOW,
        },
      },
      "zh-CN",
    );
    const send = (body: unknown, as = cookie) =>
      app.request("/api/webchat/messages", {
        method: "POST",
        headers: { "content-type": "application/json", cookie: as },
        body: JSON.stringify(body),
      });
    const error = async (res: Response) => ((await res.json()) as { error: string }).error;
    const nulChat = await send({ chat: "g\u0000", text: "/menu" });
    expect(nulChat.status).toBe(400);
    expect(await error(nulChat)).toBe("字段 chat 无效");
    // The person is the session's, never a field: a NUL there is an unknown field.
    const nulUser = await send({ user: "a\u0000b", text: "/menu" });
    expect(nulUser.status).toBe(400);
    expect(await error(nulUser)).toBe("不认识的字段：user");
    // A cookie that decodes to a NUL is no session (it never reaches the database).
    const nulCookie = await send({ text: "/menu" }, `${SESSION_COOKIE}=a%00b`);
    expect(nulCookie.status).toBe(401);
    expect(await error(nulCookie)).toBe("请先登录（输入绑定码）");
    const inbox = await app.request(`/api/webchat/inbox?chat=${encodeURIComponent("g\u0000")}`, {
      headers: { cookie },
    });
    expect(inbox.status).toBe(400);
    expect(await error(inbox)).toBe("字段 chat 无效");
    // The same session still works.
    expect((await send({ text: "/menu" })).status).toBe(200);
  });
});
