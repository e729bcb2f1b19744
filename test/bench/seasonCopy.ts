/**
 * One app copy of the season replay (season.ts), in a process of its own: its pool, Telegram
 * runtime and webhook server, delivery loop and batch runner, on the driver's virtual clock
 * (seasonIpc.ts). The driver calls its services as people would use them.
 */
import "../helpers/secretKey.ts";
import { serve } from "@hono/node-server";
import { startTelegram } from "../../src/channels/telegram/runtime.ts";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/client.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { createHttpApp } from "../../src/http/app.ts";
import { startBatchRunner } from "../../src/jobs/batchRunner.ts";
import { appJobs } from "../../src/jobs/jobs.ts";
import { runSlot } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { relevance } from "../../src/outbox/relevance.ts";
import { startDeliveryLoop } from "../../src/outbox/worker.ts";
import {
  batchCandidates,
  filterCandidates,
  queueBatch,
} from "../../src/services/batchApprovals.ts";
import { approve, reject, withdraw } from "../../src/services/decisions/index.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { freePort } from "../helpers/spawnApp.ts";
import { SECRET, webhookSettings } from "../reliability/telegramScene.ts";
import { reportViolation, serveDriver } from "./seasonIpc.ts";

const season = TEST_SEASON;
const jobs = new Map(appJobs(season, loadConfig({}).schedules).map((j) => [j.name, j]));
let stop: () => Promise<void> = async () => {};
let database: Awaited<ReturnType<typeof openDatabase>> | null = null;
let now = () => new Date();
let peak = 0;
const rssTimer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 1_000);
const db = () => database!.db;

serveDriver({
  async init(init, clock) {
    now = () => new Date(clock.now());
    database = await openDatabase({ kind: "postgres", url: init.url });
    const log = createLogger("silent");
    const runtime = startTelegram({
      settings: webhookSettings(init.fakeUrl),
      db: database.db,
      engine: testEngine(database.db, "zh-CN"),
      defaultLocale: "zh-CN",
      log,
      now,
      clock,
    });
    await runtime.ready;
    const app = createHttpApp(
      { db: database.kind, telegramWebhook: runtime.webhook, telegramSecret: SECRET },
      "zh-CN",
    );
    const port = await freePort();
    const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
    await new Promise((r) => server.once("listening", r));
    const delivery = Array.from({ length: init.loops }, () =>
      startDeliveryLoop({
        db: database!.db,
        senders: [runtime.sender],
        render: notificationRenderer(season),
        relevance: relevance(season.timezone),
        intervalMs: 1_000,
        clock,
        onError: (error) => reportViolation(`delivery: ${String(error)}`),
      }),
    );
    const batches = startBatchRunner({
      db: database.db,
      intervalMs: 1_000,
      clock,
      onError: (error) => reportViolation(`batch: ${String(error)}`),
    });
    stop = async () => {
      for (const loop of delivery) await loop.stop();
      await batches.stop();
      await new Promise<void>((r) => server.close(() => r()));
      await runtime.stop();
      await database!.close();
      clearInterval(rssTimer);
    };
    return port;
  },
  calls: {
    file: (input) => fileApplication(db(), input as FileInput, now(), season),
    approve: (input) => approve(db(), input, now()),
    reject: (input) => reject(db(), input, now()),
    withdraw: (input) =>
      withdraw(
        db(),
        { actor: { kind: "member", memberId: input.memberId }, applicationId: input.applicationId },
        now(),
      ),
    async candidates(input) {
      const found = await batchCandidates(db(), input, now(), season);
      if (!found.ok) return { ok: false, reason: found.reason, ids: [] };
      return {
        ok: true,
        ids: filterCandidates(found.byStage.receiver ?? [], { stage: "receiver" }).map((a) => ({
          id: a.id,
          memberId: a.memberId,
        })),
      };
    },
    queueBatch: (input) => queueBatch(db(), { ...input, channel: "telegram" }),
    async runSlot({ job, fire }) {
      const known = jobs.get(job);
      if (!known) throw new Error(`no job named ${job} in this copy`);
      return runSlot(db(), known, new Date(fire), season.timezone, now(), (error) =>
        reportViolation(`job ${job} afterwards: ${String(error)}`),
      );
    },
    sync: async () => null,
    rss: async () => ({ rss: process.memoryUsage().rss, peak }),
  },
  stop: () => stop(),
});
