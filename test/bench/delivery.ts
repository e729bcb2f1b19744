/**
 * Delivery at the platform's limit (issue 22.2), on PostgreSQL and a virtual clock: a digest
 * morning — 1,500 bound chats — with a card storm of 5,000 new applications, through the fake
 * Bot API that enforces Telegram's limits (30 messages a second per bot, one a second per chat,
 * 20 a minute per group, edits included) and answers 429 to whatever exceeds them. The cards go
 * to 250 destination branches, each a bound group (20 cards each); the other 1,250 chats get
 * only their digest. Time until everything is delivered against the platform's minimum: the
 * tightest of the limits that apply. Sizes: BENCH_DELIVERY_CHATS, BENCH_DELIVERY_CARDS,
 * BENCH_DELIVERY_GROUPS. The test of the same on a small scale: test/reliability/rateLimits.test.ts.
 */
import { startTelegram } from "../../src/channels/telegram/runtime.ts";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { createOrganization } from "../../src/db/orgTree.ts";
import { chatBindings, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { createLogger } from "../../src/logger.ts";
import { systemClock } from "../../src/outbox/clock.ts";
import { relevance } from "../../src/outbox/relevance.ts";
import { startDeliveryLoop } from "../../src/outbox/worker.ts";
import { queueDigests } from "../../src/services/digests.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { type Call, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { virtualClock } from "../helpers/clock.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, YEAR } from "../helpers/world.ts";
import { idNumberOf, SECRET, TOKEN } from "../reliability/telegramScene.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const BENCH_DB = "zhtj_bench_delivery";
const CHATS = Number(process.env.BENCH_DELIVERY_CHATS ?? 1_500);
const CARDS = Number(process.env.BENCH_DELIVERY_CARDS ?? 5_000);
const GROUPS = Number(process.env.BENCH_DELIVERY_GROUPS ?? 250);
const NOW = new Date(`${YEAR}-08-10T00:30:00Z`); // 08:30 in Shanghai: the digest's hour
const DAY = `${YEAR}-08-10`;
const PER_BOT_PER_S = 30;
const PER_GROUP_PER_MIN = 20;
const TARGET = 1.2;

const SENDS = ["sendMessage", "sendPhoto", "editMessageText"];

/**
 * The least time the platform allows for these messages: all of them at 30 a second, or the
 * busiest chat's at one a second, or the busiest group's at 20 a minute (20 in the first minute,
 * 20 more in each minute after), whichever is longest.
 */
export function platformMinimumMs(sends: Call[]): number {
  const perChat = new Map<number, number>();
  for (const c of sends) {
    const chat = Number(c.params.chat_id);
    perChat.set(chat, (perChat.get(chat) ?? 0) + 1);
  }
  let chatMs = 0;
  let groupMs = 0;
  for (const [chat, n] of perChat) {
    chatMs = Math.max(chatMs, (n - 1) * 1_000);
    if (chat < 0) groupMs = Math.max(groupMs, Math.floor((n - 1) / PER_GROUP_PER_MIN) * 60_000);
  }
  return Math.max(((sends.length - 1) / PER_BOT_PER_S) * 1_000, chatMs, groupMs);
}

export const deliveryBench = {
  key: "delivery",
  name: `delivery at Telegram's limits: a digest morning to ${CHATS.toLocaleString("en")} chats and ${CARDS.toLocaleString("en")} new cards, PostgreSQL, virtual clock`,
  async run(): Promise<void> {
    await withScratchDatabase(BENCH_DB, async (url) => {
      const database = await openDatabase({ kind: "postgres", url });
      const clock = virtualClock(NOW);
      const fake = await startFakeBotApi({ limits: true, clock });
      const runtime = startTelegram({
        settings: loadConfig({
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: fake.url,
          TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
          TELEGRAM_WEBHOOK_SECRET: SECRET,
        }).telegram!,
        db: database.db,
        engine: testEngine(database.db, "zh-CN"),
        defaultLocale: "zh-CN",
        log: createLogger("silent"),
        now: () => new Date(clock.now()),
        clock: { now: () => clock.now(), sleep: systemClock.sleep },
      });
      try {
        await runMigrations(database, url);
        await runtime.ready;
        const db = database.db;
        const w = await buildWorld(db);
        const started = performance.now();
        // The cards' destinations: graduate classes of one university, each a bound group.
        const destinations = await db.transaction(async (tx) => {
          const ids: number[] = [];
          for (let i = 0; i < GROUPS; i++) {
            const branch = await createOrganization(tx, {
              parentId: w.org.V,
              name: `研究生2026级${i + 2}班团支部`,
              kind: "branch",
              domain: "school",
            });
            ids.push(branch.id);
          }
          return ids;
        });
        await db.insert(chatBindings).values([
          ...destinations.map((orgId, i) => ({
            channel: "telegram",
            chatId: String(-20_001 - i),
            orgId,
          })),
          ...Array.from({ length: CHATS - GROUPS }, (_, i) => ({
            channel: "telegram",
            chatId: String(-10_001 - i),
            orgId: i < 10 ? w.org.Y : w.org.UB1,
          })),
        ]);
        const people = await db
          .insert(members)
          .values(
            Array.from({ length: CARDS }, (_, i) => ({
              name: `学生${i}`,
              ...sealIdNumber(idNumberOf(10_000 + i)),
              branchId: w.org.UB1,
              graduationBranchId: w.org.UB1,
              graduationYear: YEAR,
            })),
          )
          .returning({ id: members.id });
        for (const [i, p] of people.entries()) {
          const to = destinations[i % destinations.length]!;
          const filed = await fileApplication(db, furtherStudy(p.id, to), NOW, TEST_SEASON);
          if (!filed.ok) throw new Error(`bench: filing failed: ${filed.reason}`);
        }
        await db.transaction((tx) => queueDigests(tx, DAY));
        process.stdout.write(
          `delivery: ${CARDS} applications filed and ${CHATS} digests queued in ` +
            `${((performance.now() - started) / 1000).toFixed(0)} s\n`,
        );
        const start = clock.now();
        const wallStart = performance.now();
        const loop = startDeliveryLoop({
          db,
          senders: [runtime.sender],
          render: notificationRenderer(TEST_SEASON),
          relevance: relevance(TEST_SEASON.timezone),
          intervalMs: 1_000,
          clock,
          // One worker, as in the reliability test: the virtual clock moves only when the loop
          // sleeps, so parallel workers' waits would not be on one clock (a test artifact: two
          // early sends to one chat in the same virtual second).
          tuning: { concurrency: 1 },
        });
        let open = -1;
        for (;;) {
          const [row] = await database.query<{ n: number }>(
            `select (select count(*)::int from outbox where status = 'queued')
                  + (select count(*)::int from deliveries where status <> 'sent') as n`,
          );
          open = row?.n ?? 0;
          if (open === 0) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        await loop.stop();
        const wallMs = performance.now() - wallStart;
        for (const refused of fake.tooMany.slice(0, 3)) {
          process.stdout.write(
            `429: ${refused.method} to ${refused.params.chat_id} at +${refused.at - start} ms\n`,
          );
        }
        const sends = fake.calls.filter(
          (c) => SENDS.includes(c.method) && c.result !== undefined && c.at >= start,
        );
        const tookMs = Math.max(...sends.map((c) => c.at)) - start;
        const minimumMs = platformMinimumMs(sends);
        const ratio = tookMs / minimumMs;
        const cardChats = new Set(
          sends.filter((c) => Number(c.params.chat_id) <= -20_001).map((c) => c.params.chat_id),
        );
        process.stdout.write(
          "| measure | messages | delivered in (virtual) | platform minimum | ratio | 429s | target | met |\n" +
            "|---|---:|---:|---:|---:|---:|---|---|\n" +
            `| digest morning, ${CHATS.toLocaleString("en")} chats + ${CARDS.toLocaleString("en")} cards to ${cardChats.size} groups | ` +
            `${sends.length.toLocaleString("en")} | ${(tookMs / 1000).toFixed(1)} s (${(wallMs / 1000).toFixed(0)} s of wall time) | ` +
            `${(minimumMs / 1000).toFixed(1)} s | ${ratio.toFixed(2)}× | ${fake.tooMany.length} | ` +
            `≤ ${TARGET}×, 0 × 429 | ${ratio <= TARGET && fake.tooMany.length === 0 ? "met" : "NOT met"} |\n`,
        );
      } finally {
        await runtime.stop();
        await fake.close();
        await database.close();
      }
    });
  },
};
