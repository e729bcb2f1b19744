/**
 * Issue 16.4: the platforms' rate limits are kept before the platform says no. A fake Bot API
 * enforces Telegram's (30 a second per bot, one a second per chat, 20 a minute per group, edits
 * included) and counts every 429 it had to send. On a virtual clock: a digest morning to 1,500
 * chats with a group's 30 new cards, an answer and one 429 that comes anyway. On the real clock:
 * two copies of the delivery loop sharing one bot's budget through the database.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTelegram, type TelegramRuntime } from "../../src/channels/telegram/runtime.ts";
import { type Database, openDatabase } from "../../src/db/client.ts";
import { chatBindings, members, outbox } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { createLogger } from "../../src/logger.ts";
import { systemClock } from "../../src/outbox/clock.ts";
import { deliverDue, type Renderer } from "../../src/outbox/deliver.ts";
import { fanOut } from "../../src/outbox/fanOut.ts";
import { relevance } from "../../src/outbox/relevance.ts";
import { startDeliveryLoop } from "../../src/outbox/worker.ts";
import { queueDigests } from "../../src/services/digests.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { type Call, type FakeBotApi, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { sharedClock, virtualClock } from "../helpers/clock.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, YEAR } from "../helpers/world.ts";
import { idNumberOf, webhookSettings } from "./telegramScene.ts";

const NOW = new Date(`${YEAR}-08-10T00:30:00Z`); // 08:30 in Shanghai: the digest's hour
const DAY = `${YEAR}-08-10`;
const CHATS = 1_500;
const CHARTED = 10;
const CARDS = 30;
const GROUP_VB = -302;
const ANSWERED = -10_001;

const counted = (fake: FakeBotApi) =>
  fake.calls.filter((c) => ["sendMessage", "sendPhoto", "editMessageText"].includes(c.method));

/** The most calls in any window of `ms` (calls sorted by time). */
function densest(calls: Call[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < calls.length; j++) {
    while (calls[j]!.at - calls[i]!.at >= ms) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/** A message that says only its event's id. */
const byId: Renderer = async (_db, event) => ({
  text: { key: "chat:raw", params: { value: event.id } },
});

describe.runIf(process.env.TEST_DATABASE_URL)("platform rate limits on PostgreSQL", () => {
  const database = useTestDatabase("postgres");
  const db = () => database.current.db;
  let fake: FakeBotApi | undefined;
  let runtime: TelegramRuntime | undefined;
  const others: Database[] = [];
  afterEach(async () => {
    await runtime?.stop();
    await fake?.close();
    for (const other of others.splice(0)) await other.close();
  });

  const telegram = async (clock: { now(): number }, limits = true) => {
    fake = await startFakeBotApi({ limits, clock });
    runtime = startTelegram({
      settings: webhookSettings(fake.url),
      db: db(),
      engine: testEngine(db(), "zh-CN"),
      defaultLocale: "zh-CN",
      log: createLogger("silent"),
      now: () => new Date(clock.now()),
      clock: { now: () => clock.now(), sleep: systemClock.sleep },
    });
    await runtime.ready;
    return { fake, runtime };
  };

  /** One queued event each for `count` private chats from `firstChat` on. */
  const queueOneEach = (count: number, firstChat: number, tag: string) =>
    db()
      .insert(outbox)
      .values(
        Array.from({ length: count }, (_, i) => ({
          event: "test",
          recipientType: "chat" as const,
          recipientId: `telegram:${firstChat + i}`,
          payload: {},
          dedupeKey: `${tag}:${i}`,
          status: "queued" as const,
        })),
      );

  it("a digest morning to 1,500 chats and a group's 30 cards: no 429, within 1.2× the platform's minimum", async () => {
    const clock = virtualClock(NOW);
    const { fake, runtime } = await telegram(clock);
    const w = await buildWorld(db());
    // 1,490 branch groups (a text digest), 10 county groups (a chart, then the text).
    await db()
      .insert(chatBindings)
      .values(
        Array.from({ length: CHATS }, (_, i) => ({
          channel: "telegram",
          chatId: String(-10_001 - i),
          orgId: i < CHARTED ? w.org.Y : w.org.UB1,
        })),
      );
    await db()
      .insert(chatBindings)
      .values({ channel: "telegram", chatId: String(GROUP_VB), orgId: w.org.VB });
    const people = await db()
      .insert(members)
      .values(
        Array.from({ length: CARDS }, (_, i) => ({
          name: `学生${i}`,
          ...sealIdNumber(idNumberOf(5_000 + i)),
          branchId: w.org.UB1,
          graduationBranchId: w.org.UB1,
          graduationYear: YEAR,
        })),
      )
      .returning({ id: members.id });
    for (const p of people) {
      const filed = await fileApplication(db(), furtherStudy(p.id, w.org.VB), NOW, TEST_SEASON);
      expect(filed.ok).toBe(true);
    }
    await db().transaction((tx) => queueDigests(tx, DAY));
    // Someone in a digest's chat just got an answer: that counts against the chat's second.
    await runtime.api.sendMessage(ANSWERED, "你好");
    const answeredAt = clock.now();
    // And Telegram says no once anyway (its limits are not ours to know exactly).
    fake.failNext("sendMessage", 429, {
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 7",
      parameters: { retry_after: 7 },
    });
    const start = clock.now();
    const loop = startDeliveryLoop({
      db: db(),
      senders: [runtime.sender],
      render: notificationRenderer(TEST_SEASON),
      relevance: relevance(TEST_SEASON.timezone),
      intervalMs: 1_000,
      clock,
      tuning: { concurrency: 1 },
    });
    const deadline = Date.now() + 150_000;
    let open = -1;
    while (Date.now() < deadline) {
      const [row] = await database.current.query<{ n: number }>(
        `select (select count(*)::int from outbox where status = 'queued')
              + (select count(*)::int from deliveries where status <> 'sent') as n`,
      );
      open = row!.n;
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await loop.stop();
    expect(open).toBe(0);

    expect(fake.tooMany).toEqual([]);
    const sends = counted(fake).filter((c) => c.result !== undefined);
    // Every chat got its digest once; the county groups their chart first.
    const perChat = new Map<number, number>();
    for (const m of sends) {
      const chat = Number(m.params.chat_id);
      if (chat <= -10_001 && m.result) perChat.set(chat, (perChat.get(chat) ?? 0) + 1);
    }
    expect(perChat.size).toBe(CHATS);
    expect([...perChat.entries()].filter(([chat, n]) => n !== (chat === ANSWERED ? 2 : 1))).toEqual(
      [],
    );
    const photos = fake.calls.filter((c) => c.method === "sendPhoto");
    expect(new Set(photos.map((p) => Number(p.params.chat_id))).size).toBe(CHARTED);
    // The group's 30 cards (and its digest): a second apart at least, at most 20 in a minute.
    const cards = counted(fake).filter((c) => Number(c.params.chat_id) === GROUP_VB && c.result);
    expect(cards).toHaveLength(CARDS + 1);
    expect(densest(cards, 1_000)).toBe(1);
    expect(densest(cards, 60_000)).toBeLessThanOrEqual(20);
    expect(densest(sends, 1_000)).toBeLessThanOrEqual(30);
    // The answered chat's digest waited out the second after the answer.
    const toAnswered = sends.filter((c) => Number(c.params.chat_id) === ANSWERED);
    expect(toAnswered).toHaveLength(2);
    expect(toAnswered[1]!.at - answeredAt).toBeGreaterThanOrEqual(1_000);
    // The refused send came back no sooner than Telegram asked.
    const refused = fake.calls.find(
      (c) => c.method === "sendMessage" && !c.result && c.at >= start,
    )!;
    const again = fake.calls.find(
      (c) => c.result && c.params.chat_id === refused.params.chat_id && c.at > refused.at,
    )!;
    expect(again.at - refused.at).toBeGreaterThanOrEqual(7_000);

    // The platform's minimum: every message at 30 a second, or the group's 31 messages at 20 a
    // minute (20 in the first 19 s, the rest from the 60th s on), whichever is longer.
    const messages = sends.length;
    const minimumMs = Math.max((messages / 30) * 1_000, 60_000 + (cards.length - 21) * 1_000);
    const tookMs = Math.max(...sends.map((c) => c.at)) - start;
    expect(tookMs).toBeLessThanOrEqual(1.2 * minimumMs);
    const digestsDone = Math.max(
      ...sends.filter((c) => Number(c.params.chat_id) <= -10_001).map((c) => c.at),
    );
    expect(digestsDone - start).toBeLessThanOrEqual(1.2 * ((CHATS + CHARTED) / 30) * 1_000);
    console.log(
      `rate limits: ${messages} messages in ${(tookMs / 1000).toFixed(1)} s virtual (minimum ${(minimumMs / 1000).toFixed(1)} s), digests done after ${((digestsDone - start) / 1000).toFixed(1)} s, 429s ${fake.tooMany.length}`,
    );
  }, 300_000);

  it("sends in flight side by side: three at one instant, 111 ms apart, within Telegram's limits", async () => {
    // A clock that counts the pool's sends in flight (the production default of four at once),
    // as a replay's copies do: each instant's sends are made and sent together.
    const clock = sharedClock(NOW, 1);
    const { fake, runtime } = await telegram(clock);
    const count = 60;
    await queueOneEach(count, 30_000, "instant");
    await fanOut(db(), NOW);
    const report = await deliverDue(db(), {
      senders: [runtime.sender],
      render: byId,
      now: NOW,
      clock,
    });
    expect(report.sent).toBe(count);
    expect(fake.tooMany).toEqual([]);
    const sends = counted(fake).filter((c) => c.result);
    expect(sends).toHaveLength(count);
    const instants = [...new Set(sends.map((c) => c.at))].sort((x, y) => x - y);
    const together = instants.map((at) => sends.filter((c) => c.at === at).length);
    expect(Math.max(...together)).toBe(3);
    expect(together.filter((n) => n === 3).length).toBeGreaterThanOrEqual(count / 3 - 2);
    for (let i = 1; i < instants.length; i++)
      expect(instants[i]! - instants[i - 1]!).toBeGreaterThanOrEqual(111);
    expect(densest(sends, 1_000)).toBeLessThanOrEqual(27);
  }, 60_000);

  it("two copies of the delivery loop share one bot's budget through the database", async () => {
    const { fake, runtime } = await telegram(systemClock);
    const second = await openDatabase({ kind: "postgres", url: database.current.url! });
    others.push(second);
    const count = 90;
    await queueOneEach(count, 20_000, "share");
    await fanOut(db(), new Date());
    const started = Date.now();
    const copy = async (handle: Database) => {
      let sent = 0;
      for (let round = 0; round < 200; round++) {
        const report = await deliverDue(handle.db, {
          senders: [runtime.sender],
          render: byId,
          now: new Date(),
          clock: systemClock,
        });
        sent += report.sent;
        const [row] = await handle.query<{ n: number }>(
          "select count(*)::int as n from deliveries where status <> 'sent'",
        );
        if (row!.n === 0) return sent;
        await new Promise((r) => setTimeout(r, 20));
      }
      return sent;
    };
    const [a, b] = await Promise.all([copy(database.current), copy(second)]);
    expect(a + b).toBe(count);
    expect(Math.min(a, b)).toBeGreaterThan(0);
    expect(fake.tooMany).toEqual([]);
    const sends = counted(fake).filter((c) => c.result);
    expect(sends).toHaveLength(count);
    expect(densest(sends, 1_000)).toBeLessThanOrEqual(30);
    // Alone, each copy would have sent at the full rate: together they kept to one bot's.
    expect(Date.now() - started).toBeGreaterThanOrEqual(((count - 30) / 30) * 1_000);
    const [log] = await database.current.query<{ n: number }>(
      "select count(*)::int as n from send_log where key = 'telegram'",
    );
    expect(log!.n).toBeGreaterThanOrEqual(count);
  }, 60_000);
});
