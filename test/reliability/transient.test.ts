/**
 * Issue 16.3: transient is not dead. Telegram unreachable for 11 minutes: the card is tried
 * again and again (backoff capped at 5 minutes), never dead, counted late in /healthz, and
 * sent once Telegram is back. 5xx is passing too; 400 (chat not found) and 403 (bot blocked)
 * are dead at once. A card whose application was decided meanwhile, and a digest whose day has
 * ended, are given up (expired), not sent late.
 */
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { startTelegram, type TelegramRuntime } from "../../src/channels/telegram/runtime.ts";
import { rowsOf } from "../../src/db/client.ts";
import { chatBindings } from "../../src/db/schema.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { createHttpApp } from "../../src/http/app.ts";
import { createLogger } from "../../src/logger.ts";
import { deliverDue } from "../../src/outbox/deliver.ts";
import { fanOut } from "../../src/outbox/fanOut.ts";
import { relevance } from "../../src/outbox/relevance.ts";
import { deliveryCounts } from "../../src/services/deliveryHealth.ts";
import { queueDigests } from "../../src/services/digests.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { type FakeBotApi, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { virtualClock } from "../helpers/clock.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, YEAR } from "../helpers/world.ts";
import { webhookSettings } from "./telegramScene.ts";

const NOW = new Date(`${YEAR}-08-10T02:00:00Z`);
const MINUTE = 60_000;
const GROUP = -5501;

describe.each(DB_KINDS)("transient failures on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let fake: FakeBotApi | undefined;
  let runtime: TelegramRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    await fake?.close();
  });

  const setUp = async () => {
    const clock = virtualClock(NOW);
    fake = await startFakeBotApi({ limits: true, clock });
    runtime = startTelegram({
      settings: webhookSettings(fake.url),
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      log: createLogger("silent"),
      now: () => new Date(clock.now()),
      clock,
      retryMs: 50,
    });
    await runtime.ready;
    const w = await buildWorld(db());
    const deliver = async () => {
      await fanOut(db(), new Date(clock.now()));
      return deliverDue(db(), {
        senders: [runtime!.sender],
        render: notificationRenderer(TEST_SEASON),
        relevance: relevance(TEST_SEASON.timezone),
        now: new Date(clock.now()),
        clock,
      });
    };
    const status = async () =>
      rowsOf<{ chat_id: string; status: string; attempts: number; available_at: string | Date }>(
        await db().execute(
          sql`select chat_id, status, attempts, available_at from deliveries order by id`,
        ),
      );
    return { clock, fake: fake!, w, deliver, status };
  };

  it("Telegram unreachable for 11 minutes: the card waits, is late in /healthz, and goes once it is back", async () => {
    const { clock, fake, w, deliver, status } = await setUp();
    await db()
      .insert(chatBindings)
      .values({ channel: "telegram", chatId: String(GROUP), orgId: w.org.VB });
    await fileApplication(db(), furtherStudy(w.member.m1, w.org.VB), NOW, TEST_SEASON);
    fake.down = true;
    const tries: number[] = [];
    for (let minute = 0; minute <= 11; minute++) {
      const report = await deliver();
      expect(report.dead).toBe(0);
      const [row] = await status();
      expect(row!.status).toBe("queued");
      tries.push(row!.attempts);
      const wait = new Date(row!.available_at).getTime() - clock.now();
      expect(wait).toBeLessThanOrEqual(5 * MINUTE);
      clock.advance(MINUTE);
    }
    // Tried again and again, waits doubling from 5 s and capped at 5 minutes.
    expect(tries.at(-1)).toBeGreaterThanOrEqual(6);
    // Rows are stamped by the database's clock; this test's clock is its own.
    await db().execute(sql`update deliveries set created_at = ${NOW.toISOString()}::timestamptz`);
    expect(await deliveryCounts(db(), new Date(clock.now()))).toEqual({ dead: 0, late: 1 });
    const app = createHttpApp(
      { db: kind, deliveries: () => deliveryCounts(db(), new Date(clock.now())) },
      "zh-CN",
    );
    const health = await app.request("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, db: kind, deliveries: { dead: 0, late: 1 } });

    fake.down = false;
    clock.advance(5 * MINUTE);
    expect(await deliver()).toMatchObject({ sent: 1, dead: 0 });
    expect(fake.sent(GROUP).map((m) => String(m.text).split("\n")[0])).toEqual([
      expect.stringContaining("新的转接申请"),
    ]);
    expect(await deliveryCounts(db(), new Date(clock.now()))).toEqual({ dead: 0, late: 0 });
  });

  it("5xx is tried again; 400 chat not found and 403 bot blocked are dead at once", async () => {
    const { fake, w, deliver, status, clock } = await setUp();
    for (const chat of [-5601, -5602, -5603]) {
      await db()
        .insert(chatBindings)
        .values({ channel: "telegram", chatId: String(chat), orgId: w.org.VB });
    }
    await fileApplication(db(), furtherStudy(w.member.m1, w.org.VB), NOW, TEST_SEASON);
    const refusal = (status: number, description: string) => ({
      ok: false,
      error_code: status,
      description,
    });
    fake.failNext("sendMessage", 502, refusal(502, "Bad Gateway"));
    fake.failNext("sendMessage", 400, refusal(400, "Bad Request: chat not found"));
    fake.failNext("sendMessage", 403, refusal(403, "Forbidden: bot was blocked by the user"));
    expect(await deliver()).toMatchObject({ sent: 0, retried: 1, dead: 2 });
    expect((await status()).map((r) => r.status).sort()).toEqual(["dead", "dead", "queued"]);
    clock.advance(MINUTE);
    expect(await deliver()).toMatchObject({ sent: 1, dead: 0 });
    expect(await deliveryCounts(db(), new Date(clock.now()))).toMatchObject({ dead: 2 });
  });

  it("a card whose application was decided meanwhile, and a digest after its day, are given up", async () => {
    const { fake, w, deliver, status, clock } = await setUp();
    await db()
      .insert(chatBindings)
      .values({ channel: "telegram", chatId: String(GROUP), orgId: w.org.VB });
    const filed = await fileApplication(
      db(),
      furtherStudy(w.member.m1, w.org.VB),
      NOW,
      TEST_SEASON,
    );
    await db().transaction((tx) => queueDigests(tx, `${YEAR}-08-10`));
    fake.down = true;
    expect(await deliver()).toMatchObject({ retried: 1 });
    // The card first (a chat's messages go in order), then, once that is given up, the digest.
    if (!filed.ok) throw new Error("filing failed");
    await db().execute(
      sql`update applications set state = 'withdrawn' where id = ${filed.applicationId}`,
    );
    clock.advance(MINUTE);
    expect(await deliver()).toMatchObject({ expired: 1 });
    // The digest keeps failing until the day is over in Shanghai (16:00 UTC), then expires.
    clock.set(new Date(`${YEAR}-08-10T15:59:00Z`).getTime());
    expect(await deliver()).toMatchObject({ retried: 1, expired: 0 });
    clock.set(new Date(`${YEAR}-08-10T16:01:00Z`).getTime());
    fake.down = false;
    expect(await deliver()).toMatchObject({ sent: 0, expired: 1 });
    expect((await status()).map((r) => r.status)).toEqual(["expired", "expired"]);
    expect(fake.sent(GROUP)).toEqual([]);
  });
});
