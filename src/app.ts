/**
 * Wires the application: HTTP first (so /healthz answers 503 while starting), then the
 * database, migrations and demo data. `main.ts` is the process around it.
 */
import { type ServerType, serve } from "@hono/node-server";
import { createInboundQueue } from "./channels/inbound.ts";
import { demoBindingCodes } from "./channels/web/demo.ts";
import { webSender } from "./channels/web/sender.ts";
import { createWecomChannel } from "./channels/wecom/index.ts";
import { createWecomBotChannel } from "./channels/wecombot/index.ts";
import { type Config, configuredSeason } from "./config.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { loadDemoData } from "./db/demo/loadDemoData.ts";
import { loadReferenceData } from "./db/demo/referenceData.ts";
import { runMigrations } from "./db/migrate.ts";
import { lockDataDir } from "./db/pidLock.ts";
import { sealAtRest } from "./db/resealing.ts";
import { installConfiguredKeys } from "./db/secretKey.ts";
import { notificationRenderer } from "./dialogs/cards.ts";
import { DialogEngine } from "./dialogs/engine.ts";
import { createRegistry } from "./dialogs/flows/index.ts";
import { createHttpApp, type Readiness } from "./http/app.ts";
import { translator } from "./i18n.ts";
import { startBatchRunner } from "./jobs/batchRunner.ts";
import { appJobs } from "./jobs/jobs.ts";
import { startScheduler } from "./jobs/runner.ts";
import type { Logger } from "./logger.ts";
import { relevance } from "./outbox/relevance.ts";
import { startDeliveryLoop } from "./outbox/worker.ts";
import { deliveryCounts } from "./services/deliveryHealth.ts";

export interface RunningApp {
  port: number;
  database: Database;
  stop(): Promise<void>;
}

/** How often the inbound queue is looked at when no store woke it. */
const INBOUND_INTERVAL_MS = 1_000;

/** Stop everything within this budget, whatever is still in flight. */
const SHUTDOWN_BUDGET_MS = 9_000;

export async function startApp(config: Config, log: Logger): Promise<RunningApp> {
  const t = translator(config.defaultLocale);
  const releaseLock =
    config.database.kind === "pglite" ? lockDataDir(config.dataDir) : () => undefined;
  const readiness: Readiness = { db: null };
  if (config.telegram?.webhookUrl) {
    readiness.telegramWebhook = () => null;
    readiness.telegramSecret = config.telegram.webhookSecret;
  }
  if (config.wecom) readiness.wecomCallback = () => null;
  const app = createHttpApp(readiness, config.defaultLocale, {
    webchat: config.webchat.enabled ? { settings: config.webchat, ...config.limits } : null,
    onError: (err) => log.error({ err }, t("startup.httpError")),
  });
  let server: ServerType | undefined;
  let database: Database | undefined;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) =>
        resolve(info.port),
      );
      server.once("error", reject);
    });
    // Before the database is touched: every ID number is read and written sealed (R4).
    installConfiguredKeys(config.secretKey, config.dataDir);
    database = await openDatabase(config.database);
    await runMigrations(
      database,
      config.database.kind === "postgres" ? config.database.url : undefined,
    );
    const atRest = await sealAtRest(database.db);
    if (atRest.sealed + atRest.resealed > 0) log.info(t("startup.sealed", { ...atRest }));
    // The hotline table is reference data: an installation without demo data has it too.
    await loadReferenceData(database.db);
    if (config.demoData) {
      const demo = await loadDemoData(database.db, config.graduationYear);
      log.info(demo.loaded ? t("startup.demoLoaded", { ...demo }) : t("startup.demoPresent"));
      for (const { name, code } of await demoBindingCodes(
        database.db,
        config.graduationYear,
        new Date(),
      )) {
        log.info(t("webchat:demoCode", { name, code }));
      }
    }
    const season = configuredSeason(config);
    const engine = new DialogEngine(database.db, {
      registry: createRegistry({
        webChatUrl: config.webchat.publicUrl ?? `http://localhost:${port}/`,
      }),
      defaultLocale: config.defaultLocale,
      season,
      onError: (err) => log.error({ err }, t("webchat:engineError")),
      perPersonPerMinute: config.limits.perPersonPerMinute,
    });
    // grammY is loaded only where Telegram is set up (a WeCom-only county never holds it).
    const telegram = config.telegram
      ? (await import("./channels/telegram/runtime.ts")).startTelegram({
          settings: config.telegram,
          db: database.db,
          engine,
          defaultLocale: config.defaultLocale,
          log,
        })
      : null;
    if (telegram && config.telegram?.webhookUrl) readiness.telegramWebhook = telegram.webhook;
    // Messages acknowledged before they are handled wait here, stored (WeCom's callback).
    const inbound = createInboundQueue({
      db: database.db,
      onError: (err) => log.error({ err }, t("reliability:log.inboundError")),
    });
    const wecom = config.wecom
      ? createWecomChannel({
          settings: config.wecom,
          db: database.db,
          engine,
          defaultLocale: config.defaultLocale,
          now: () => new Date(),
          onError: (err) => log.error({ err }, t("wecom:processError")),
          inbound,
        })
      : null;
    const wecomBot = config.wecomBot
      ? createWecomBotChannel({
          settings: config.wecomBot,
          db: database.db,
          engine,
          defaultLocale: config.defaultLocale,
          now: () => new Date(),
          onError: (err) => log.error({ err }, t("wecombot:error")),
        })
      : null;
    inbound.start(INBOUND_INTERVAL_MS);
    wecomBot?.start();
    if (wecom) readiness.wecomCallback = () => wecom.callback;
    const delivery = startDeliveryLoop({
      db: database.db,
      senders: [
        webSender(config.defaultLocale),
        ...(telegram ? [telegram.sender] : []),
        ...(wecom ? [wecom.sender] : []),
        ...(wecomBot ? [wecomBot.sender] : []),
      ],
      render: notificationRenderer(season, config.defaultLocale),
      relevance: relevance(config.timezone),
      intervalMs: 1_000,
      onError: (err) => log.error({ err }, t("startup.deliveryError")),
    });
    const batches = startBatchRunner({
      db: database.db,
      intervalMs: 1_000,
      onError: (err) => log.error({ err }, t("batch:log.runFailed")),
    });
    const scheduler = startScheduler({
      db: database.db,
      jobs: appJobs(season, config.schedules),
      timezone: config.timezone,
      onRun: (key) => log.info(t("digest:log.jobRan", { key })),
      onError: (job, err) => log.error({ err }, t("digest:log.jobFailed", { job })),
    });
    readiness.web = {
      db: database.db,
      engine,
      demo: config.demoData,
      defaultLocale: config.defaultLocale,
      graduationYear: config.graduationYear,
      now: () => new Date(),
    };
    const opened = database;
    readiness.deliveries = () => deliveryCounts(opened.db, new Date());
    readiness.db = database.kind;
    log.info(t("startup.listening", { url: `http://localhost:${port}`, db: database.kind }));
    const httpServer = server!;
    return {
      port,
      database: opened,
      async stop() {
        readiness.db = null;
        await closeServer(httpServer);
        await telegram?.stop();
        await wecomBot?.stop();
        await inbound.stop();
        await scheduler.stop();
        await batches.stop();
        await delivery.stop();
        await opened.close();
        releaseLock();
      },
    };
  } catch (error) {
    if (server) await closeServer(server);
    await database?.close();
    releaseLock();
    throw error;
  }
}

/** Stops accepting connections and waits for requests in flight, up to the budget. */
function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ("closeAllConnections" in server) server.closeAllConnections();
      resolve();
    }, SHUTDOWN_BUDGET_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  });
}
