/**
 * Delivery at the platform's limit (issue 22.2), on PostgreSQL and a virtual clock: a digest
 * morning — 1,500 bound chats — with a card storm of 5,000 new applications, through the fake
 * Bot API that enforces Telegram's limits (30 messages a second per bot, one a second per chat,
 * 20 a minute per group, edits included) and answers 429 to whatever exceeds them. The cards go
 * to 250 destination branches, each a bound group (20 cards each); the other 1,250 chats get
 * only their digest. Time until everything is delivered against the platform's minimum: the
 * tightest of the limits that apply. The same morning then goes through the WeCom AI bot's fake
 * (its quotas per chat: 30 a minute, 1,000 an hour; what exceeds them is refused with 45009).
 * Sizes: BENCH_DELIVERY_CHATS, BENCH_DELIVERY_CARDS,
 * BENCH_DELIVERY_GROUPS. The test of the same on a small scale: test/reliability/rateLimits.test.ts.
 */
import { startTelegram } from "../../src/channels/telegram/runtime.ts";
import { createWecomBotChannel } from "../../src/channels/wecombot/index.ts";
import { type Database, type Db, openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { createOrganization } from "../../src/db/orgTree.ts";
import { chatBindings, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { createLogger } from "../../src/logger.ts";
import { systemClock } from "../../src/outbox/clock.ts";
import type { ChannelSender } from "../../src/outbox/deliver.ts";
import { relevance } from "../../src/outbox/relevance.ts";
import { startDeliveryLoop } from "../../src/outbox/worker.ts";
import { queueDigests } from "../../src/services/digests.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { type Call, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { BOT_ID, BOT_SECRET, FakeBotServer } from "../channels/wecombot/fakeBotServer.ts";
import { type VirtualClock, virtualClock } from "../helpers/clock.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, YEAR } from "../helpers/world.ts";
import { idNumberOf, webhookSettings } from "../reliability/telegramScene.ts";
import { withScratchDatabase } from "./scratchDatabase.ts";

const BENCH_DB = "zhtj_bench_delivery";
const CHATS = Number(process.env.BENCH_DELIVERY_CHATS ?? 1_500);
const CARDS = Number(process.env.BENCH_DELIVERY_CARDS ?? 5_000);
const GROUPS = Number(process.env.BENCH_DELIVERY_GROUPS ?? 250);
/**
 * WeCom's quota is per chat only (30 a minute): 20 cards to a group never meet it, so its row
 * sends the same cards to fewer groups — 100 each, a September morning of a big school's classes.
 */
const WECOM_GROUPS = Number(process.env.BENCH_DELIVERY_WECOM_GROUPS ?? 50);
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

/** Bound chat ids of a channel: the i-th card group and the i-th digest-only chat. */
interface ChatIds {
  channel: string;
  cardGroup(i: number): string;
  digestOnly(i: number): string;
}

/**
 * The morning's work, queued: 250 bound destination groups with 20 new cards each, 1,250 more
 * bound chats, and the digest of every one. Returns the chats' ids for the platform's fake.
 */
async function queueMorning(db: Db, ids: ChatIds, groups = GROUPS): Promise<string[]> {
  const w = await buildWorld(db);
  const started = performance.now();
  // The cards' destinations: graduate classes of one university, each a bound group.
  const destinations = await db.transaction(async (tx) => {
    const made: number[] = [];
    for (let i = 0; i < groups; i++) {
      const branch = await createOrganization(tx, {
        parentId: w.org.V,
        name: `研究生2026级${i + 2}班团支部`,
        kind: "branch",
        domain: "school",
      });
      made.push(branch.id);
    }
    return made;
  });
  const bindings = [
    ...destinations.map((orgId, i) => ({ channel: ids.channel, chatId: ids.cardGroup(i), orgId })),
    ...Array.from({ length: CHATS - groups }, (_, i) => ({
      channel: ids.channel,
      chatId: ids.digestOnly(i),
      orgId: i < 10 ? w.org.Y : w.org.UB1,
    })),
  ];
  await db.insert(chatBindings).values(bindings);
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
  return bindings.map((b) => b.chatId);
}

/** Runs the delivery loop on the virtual clock until nothing waits; the wall time it took. */
async function deliverAll(
  database: Database,
  sender: ChannelSender,
  clock: VirtualClock,
): Promise<number> {
  const wallStart = performance.now();
  const loop = startDeliveryLoop({
    db: database.db,
    senders: [sender],
    render: notificationRenderer(TEST_SEASON),
    relevance: relevance(TEST_SEASON.timezone),
    intervalMs: 1_000,
    clock,
    // One worker, as in the reliability test: the virtual clock moves only when the loop
    // sleeps, so parallel workers' waits would not be on one clock (a test artifact: two
    // early sends to one chat in the same virtual second).
    tuning: { concurrency: 1 },
  });
  for (;;) {
    const [row] = await database.query<{ n: number }>(
      `select (select count(*)::int from outbox where status = 'queued')
            + (select count(*)::int from deliveries where status <> 'sent') as n`,
    );
    if ((row?.n ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await loop.stop();
  return performance.now() - wallStart;
}

function printRow(row: {
  platform: string;
  sent: number;
  groups: number;
  tookMs: number;
  wallMs: number;
  minimumMs: number;
  refused: number;
  refusedAs: string;
}): void {
  // Nothing had to wait (every chat within its quota): as fast as the platform allows.
  const ratio =
    row.minimumMs === 0
      ? row.tookMs === 0
        ? 1
        : Number.POSITIVE_INFINITY
      : row.tookMs / row.minimumMs;
  process.stdout.write(
    `| measure | messages | delivered in (virtual) | platform minimum | ratio | ${row.refusedAs} | target | met |\n` +
      "|---|---:|---:|---:|---:|---:|---|---|\n" +
      `| ${row.platform}: digest morning, ${CHATS.toLocaleString("en")} chats + ${CARDS.toLocaleString("en")} cards to ${row.groups} groups | ` +
      `${row.sent.toLocaleString("en")} | ${(row.tookMs / 1000).toFixed(1)} s (${(row.wallMs / 1000).toFixed(0)} s of wall time) | ` +
      `${(row.minimumMs / 1000).toFixed(1)} s | ${ratio.toFixed(2)}× | ${row.refused} | ` +
      `≤ ${TARGET}×, 0 ${row.refusedAs} | ${ratio <= TARGET && row.refused === 0 ? "met" : "NOT met"} |\n`,
  );
}

export const deliveryBench = {
  key: "delivery",
  name: `delivery at the platforms' limits (Telegram, WeCom AI bot): a digest morning to ${CHATS.toLocaleString("en")} chats and ${CARDS.toLocaleString("en")} new cards, PostgreSQL, virtual clock`,
  async run(): Promise<void> {
    await telegramMorning(scratchPostgres);
    await wecomMorning();
  },
};

/** The database a morning runs on, made for it and gone after it. */
export type ScratchDatabase = <T>(
  run: (database: Database, url?: string) => Promise<T>,
) => Promise<T>;

const scratchPostgres: ScratchDatabase = (run) =>
  withScratchDatabase(BENCH_DB, async (url) =>
    run(await openDatabase({ kind: "postgres", url }), url),
  );

export async function telegramMorning(scratch: ScratchDatabase = scratchPostgres): Promise<void> {
  await scratch(async (database, url) => {
    const clock = virtualClock(NOW);
    const fake = await startFakeBotApi({ limits: true, clock });
    const runtime = startTelegram({
      settings: webhookSettings(fake.url),
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
      await queueMorning(database.db, {
        channel: "telegram",
        cardGroup: (i) => String(-20_001 - i),
        digestOnly: (i) => String(-10_001 - i),
      });
      const start = clock.now();
      const wallMs = await deliverAll(database, runtime.sender, clock);
      for (const refused of fake.tooMany.slice(0, 3)) {
        process.stdout.write(
          `429: ${refused.method} to ${refused.params.chat_id} at +${refused.at - start} ms\n`,
        );
      }
      const sends = fake.calls.filter(
        (c) => SENDS.includes(c.method) && c.result !== undefined && c.at >= start,
      );
      printRow({
        platform: "Telegram",
        sent: sends.length,
        groups: new Set(
          sends.filter((c) => Number(c.params.chat_id) <= -20_001).map((c) => c.params.chat_id),
        ).size,
        tookMs: Math.max(...sends.map((c) => c.at)) - start,
        wallMs,
        minimumMs: platformMinimumMs(sends),
        refused: fake.tooMany.length,
        refusedAs: "429s",
      });
    } finally {
      await runtime.stop();
      await fake.close();
      await database.close();
    }
  });
}

/**
 * WeCom's AI bot counts per chat, replies and pushes together: 30 a minute and 1,000 an hour
 * (a group is one chat); there is no bot-wide rate. The least time is the busiest chat's.
 */
function wecomMinimumMs(sends: { chat: string }[]): number {
  const perChat = new Map<string, number>();
  for (const s of sends) perChat.set(s.chat, (perChat.get(s.chat) ?? 0) + 1);
  let ms = 0;
  for (const n of perChat.values()) {
    const minutes = Math.floor((n - 1) / 30) * 60_000;
    const hours = Math.floor((n - 1) / 1_000) * 3_600_000;
    ms = Math.max(ms, minutes, hours);
  }
  return ms;
}

async function wecomMorning(): Promise<void> {
  await withScratchDatabase(BENCH_DB, async (url) => {
    const database = await openDatabase({ kind: "postgres", url });
    const clock = virtualClock(NOW);
    const fake = new FakeBotServer({ quotas: true, clock });
    await fake.start();
    const channel = createWecomBotChannel({
      settings: { botId: BOT_ID, secret: BOT_SECRET, wsUrl: fake.url, leaseTtlMs: 60_000 },
      db: database.db,
      engine: testEngine(database.db, "zh-CN"),
      defaultLocale: "zh-CN",
      now: () => new Date(clock.now()),
      onError: (error) => process.stdout.write(`wecom: ${String(error)}\n`),
    });
    try {
      await runMigrations(database, url);
      const chats = await queueMorning(
        database.db,
        {
          channel: "wecombot",
          cardGroup: (i) => `group:wrcard${i}`,
          digestOnly: (i) => `group:wrdigest${i}`,
        },
        WECOM_GROUPS,
      );
      // Pushes reach only chats that have spoken to the bot: these are bound, so they have.
      for (const chat of chats) fake.markSpoken(chat.replace(/^group:/, ""));
      channel.start();
      while (!channel.connection.ready) await new Promise((r) => setTimeout(r, 50));
      const start = clock.now();
      const wallMs = await deliverAll(database, channel.sender, clock);
      const sends = fake.received
        .filter((r) => r.cmd === "aibot_send_msg" && r.errcode === 0 && r.at >= start)
        .map((r) => ({ chat: String(r.body.chatid), at: r.at }));
      for (const refused of fake.overQuota.slice(0, 3)) {
        process.stdout.write(
          `45009: ${refused.cmd} to ${String(refused.body.chatid)} at +${refused.at - start} ms\n`,
        );
      }
      printRow({
        platform: "WeCom AI bot",
        sent: sends.length,
        groups: new Set(sends.filter((s) => s.chat.startsWith("wrcard")).map((s) => s.chat)).size,
        tookMs: Math.max(...sends.map((s) => s.at)) - start,
        wallMs,
        minimumMs: wecomMinimumMs(sends),
        refused: fake.overQuota.length,
        refusedAs: "over quota",
      });
    } finally {
      await channel.stop();
      await fake.stop();
      await database.close();
    }
  });
}
