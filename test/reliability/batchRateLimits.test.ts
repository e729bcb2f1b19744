/**
 * Issue 20.1 at scale, on PostgreSQL: a branch's group with 200 cards approves them in one
 * batch. The batch ends with ONE summary in the group, before any card is touched; the 200
 * card edits the outbox then schedules never exceed Telegram's 20 a minute per group (the fake
 * Bot API enforces the platform's limits and counts every 429). Run on a virtual clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTelegram, type TelegramRuntime } from "../../src/channels/telegram/runtime.ts";
import { chatBindings, chatIdentities, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { createLogger } from "../../src/logger.ts";
import { systemClock } from "../../src/outbox/clock.ts";
import { relevance } from "../../src/outbox/relevance.ts";
import { startDeliveryLoop } from "../../src/outbox/worker.ts";
import { runQueuedBatches } from "../../src/services/batchApprovals.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { type Call, type FakeBotApi, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { tokenOf } from "../dialogs/fixtures.ts";
import { virtualClock } from "../helpers/clock.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, YEAR } from "../helpers/world.ts";
import { idNumberOf, webhookSettings } from "./telegramScene.ts";

const NOW = new Date(`${YEAR}-09-10T02:00:00Z`);
const COUNT = 200;
const GROUP = -302;
const ADMIN_USER = "2002";

/** The most calls in any window of `ms` (calls sorted by time). */
function densest(calls: Call[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < calls.length; j++) {
    while (calls[j]!.at - calls[i]!.at >= ms) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

const toGroup = (fake: FakeBotApi) =>
  fake.calls.filter(
    (c) =>
      ["sendMessage", "sendPhoto", "editMessageText"].includes(c.method) &&
      Number(c.params.chat_id) === GROUP &&
      c.result,
  );

describe.runIf(process.env.TEST_DATABASE_URL)("issue 20.1 a batch of 200 on PostgreSQL", () => {
  const database = useTestDatabase("postgres");
  const db = () => database.current.db;
  let fake: FakeBotApi | undefined;
  let runtime: TelegramRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    await fake?.close();
  });

  /** Runs the delivery loop on the virtual clock until nothing is left to send. */
  async function deliverAll(clock: ReturnType<typeof virtualClock>) {
    const loop = startDeliveryLoop({
      db: db(),
      senders: [runtime!.sender],
      render: notificationRenderer(TEST_SEASON),
      relevance: relevance(TEST_SEASON.timezone),
      intervalMs: 1_000,
      clock,
      tuning: { concurrency: 1 },
    });
    const deadline = Date.now() + 200_000;
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
  }

  it("one summary, then 200 card edits at no more than 20 a minute in the group, no 429", async () => {
    const clock = virtualClock(NOW);
    fake = await startFakeBotApi({ limits: true, clock });
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
    const w = await buildWorld(db());
    await db()
      .insert(chatBindings)
      .values({ channel: "telegram", chatId: String(GROUP), orgId: w.org.VB });
    await db().insert(chatIdentities).values({
      channel: "telegram",
      externalUserId: ADMIN_USER,
      adminId: w.admin.VB,
      locale: "en",
    });
    const people = await db()
      .insert(members)
      .values(
        Array.from({ length: COUNT }, (_, i) => ({
          name: `学生${i}`,
          ...sealIdNumber(idNumberOf(7_000 + i)),
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
    // The 200 cards reach the group first (at 20 a minute: ten virtual minutes).
    await deliverAll(clock);
    const cardsSent = toGroup(fake).length;
    expect(cardsSent).toBe(COUNT);

    // The admin approves them all in one batch, in the group.
    const engine = testEngine(db(), "zh-CN");
    const say = async (input: { type: "text"; text: string } | { type: "action"; token: string }) =>
      (
        await engine.handle({
          channel: "telegram",
          chatId: String(GROUP),
          userId: ADMIN_USER,
          isGroup: true,
          now: new Date(clock.now()),
          input,
        })
      ).replies;
    let replies = await say({ type: "text", text: "/batch" });
    expect(replies.map((r) => r.text).join("\n")).toContain(`${COUNT} applications match.`);
    replies = await say({ type: "action", token: tokenOf(replies, `Preview (${COUNT})`) });
    replies = await say({ type: "action", token: tokenOf(replies, `Approve all ${COUNT}`) });
    expect(replies.map((r) => r.text).join("\n")).toContain(`Approving ${COUNT} applications.`);
    const started = Date.now();
    expect(await runQueuedBatches(db(), () => new Date(clock.now()))).toBe(1);
    const runMs = Date.now() - started;
    const [states] = await database.current.query<{ completed: number }>(
      "select count(*)::int as completed from applications where state = 'completed'",
    );
    expect(states!.completed).toBe(COUNT);

    const batchStart = clock.now();
    await deliverAll(clock);
    expect(fake.tooMany).toEqual([]);
    const after = toGroup(fake).slice(cardsSent);
    const summaries = after.filter((c) => String(c.params.text ?? "").includes("批量审批 #"));
    expect(summaries).toHaveLength(1);
    // The summary comes first, the cards after it, each edited once.
    expect(after[0]).toBe(summaries[0]);
    const edits = after.filter((c) => c.method === "editMessageText");
    expect(edits).toHaveLength(COUNT);
    expect(after).toHaveLength(COUNT + 1);
    // Never more than 20 in a minute in the group, edits included, nor two in a second.
    expect(densest(toGroup(fake), 60_000)).toBeLessThanOrEqual(20);
    expect(densest(after, 1_000)).toBe(1);
    const tookMs = Math.max(...after.map((c) => c.at)) - batchStart;
    // 201 messages at 20 a minute: ten minutes, and not much more.
    expect(tookMs).toBeLessThanOrEqual(1.2 * ((COUNT + 1 - 20) / 20) * 60_000 + 60_000);
    console.log(
      `batch of ${COUNT}: approved in ${(runMs / 1000).toFixed(1)} s real, summary + ${edits.length} edits in ${(tookMs / 60_000).toFixed(1)} min virtual, densest minute ${densest(after, 60_000)}`,
    );
  }, 420_000);
});
