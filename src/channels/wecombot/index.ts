/**
 * The WeCom AI bot channel (智能机器人, long connection), assembled from `config.wecomBot`. Off
 * unless WECOM_BOT_ID and WECOM_BOT_SECRET are set. Every copy of the app runs it; only the copy
 * holding the database lease connects and handles the stored callbacks (its answers need the
 * connection), renewing the lease while it lives; when it dies another copy takes the lease
 * over once it expired (within `leaseTtlMs`), connects, and handles what is still queued.
 */
import { randomUUID } from "node:crypto";
import type { Config } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import { loadChatUser } from "../../dialogs/identity.ts";
import { type Locale, translator } from "../../i18n.ts";
import { systemClock } from "../../outbox/clock.ts";
import type { ChannelSender } from "../../outbox/deliver.ts";
import { answerBudget } from "../../outbox/sendLog.ts";
import { createInboundQueue, type InboundQueue } from "../inbound.ts";
import { BotConnection } from "./connection.ts";
import { CMD } from "./frames.ts";
import { botInbound, inboundMessage } from "./inbound.ts";
import { connectionLease } from "./lease.ts";
import { botSender } from "./sender.ts";
import { WECOMBOT_CHANNEL } from "./store.ts";

export interface WecomBotChannel {
  sender: ChannelSender;
  connection: BotConnection;
  /** Resolves when every stored callback due now is handled (tests). */
  idle(): Promise<void>;
  /** Starts competing for the lease (and connecting once held). */
  start(): void;
  /** Closes the connection and gives the lease up for another copy. */
  stop(): Promise<void>;
}

/** After a newer connection pushed ours out, this copy waits this long before trying again. */
const REPLACED_PAUSE_MS = 60_000;
/** A callback whose storing failed (the database away) is tried again this often, this long. */
const STORE_RETRY_MS = 1_000;
const STORE_ATTEMPTS = 30;
/** How often the holder looks at the stored callbacks when no store woke it. */
const INBOUND_INTERVAL_MS = 1_000;

export function createWecomBotChannel(options: {
  settings: NonNullable<Config["wecomBot"]>;
  db: Db;
  engine: DialogEngine;
  defaultLocale: Locale;
  now(): Date;
  onError(error: unknown): void;
  /** Connection timings (tests shorten them). */
  timings?: { heartbeatMs?: number; backoffMs?: number; backoffMaxMs?: number };
}): WecomBotChannel {
  const { settings, db, now, onError } = options;
  const lease = connectionLease(
    db,
    `wecombot:${settings.botId}`,
    randomUUID(),
    settings.leaseTtlMs,
  );
  let stopped = true;
  let timer: NodeJS.Timeout | null = null;
  let heldUntil = 0;
  let pausedUntil = 0;
  let ticking: Promise<void> = Promise.resolve();
  /** Stores callbacks; the holder's worker (below) handles them. */
  const storage = createInboundQueue({ db, onError });
  /** The worker of the stored callbacks, while this copy holds the lease. */
  let worker: InboundQueue | null = null;

  const store = async (callback: Parameters<typeof inboundMessage>[0]) => {
    const message = inboundMessage(callback, now());
    for (let attempt = 1; ; attempt++) {
      try {
        // Through the worker when there is one: storing wakes it.
        await (worker ?? storage).store(message, now());
        return;
      } catch (error) {
        if (attempt >= STORE_ATTEMPTS) return onError(error);
        await systemClock.sleep(STORE_RETRY_MS);
      }
    }
  };

  const connection = new BotConnection({
    url: settings.wsUrl,
    botId: settings.botId,
    secret: settings.secret,
    ...options.timings,
    onCallback: (callback) => {
      if (callback.kind === "enter") void welcome(callback.reqId, callback.userId);
      else if (callback.kind !== "replaced") void store(callback);
    },
    onReplaced: () => {
      onError(new Error("WeCom AI bot: a newer connection of this bot replaced ours"));
      pausedUntil = Date.now() + REPLACED_PAUSE_MS;
      heldUntil = 0;
      lease.release().catch(onError);
    },
    onError,
  });

  /** The doc's 回复欢迎语: said at once (5 s), in the person's language, the way to begin. */
  async function welcome(reqId: string, userId: string): Promise<void> {
    try {
      const { locale } = await loadChatUser(db, WECOMBOT_CHANNEL, userId);
      const content = translator(locale ?? options.defaultLocale)("wecombot:welcome");
      await connection.request(CMD.welcome, { msgtype: "text", text: { content } }, reqId);
    } catch (error) {
      onError(error);
    }
  }

  const handler = botInbound({
    db,
    engine: options.engine,
    connection,
    answers: answerBudget(db, systemClock, onError),
    now,
    onError,
  });
  const hold = () => {
    connection.start();
    if (worker) return;
    worker = createInboundQueue({ db, onError });
    worker.handle(WECOMBOT_CHANNEL, handler);
    worker.start(INBOUND_INTERVAL_MS);
  };
  const letGo = async () => {
    connection.stop();
    const stopping = worker;
    worker = null;
    await stopping?.stop();
  };

  async function tick(): Promise<void> {
    try {
      if (Date.now() < pausedUntil) {
        await letGo();
      } else if (await lease.acquire(now())) {
        heldUntil = Date.now() + settings.leaseTtlMs;
        if (!stopped) hold();
      } else {
        heldUntil = 0;
        await letGo();
      }
    } catch (error) {
      onError(error);
      // Not renewed: once it may have expired, another copy may hold it.
      if (Date.now() >= heldUntil) await letGo();
    }
    if (!stopped) {
      timer = setTimeout(() => {
        ticking = tick();
      }, settings.leaseTtlMs / 3);
    }
  }

  return {
    sender: botSender({ connection, defaultLocale: options.defaultLocale, now }),
    connection,
    idle: async () => {
      await worker?.drain();
    },
    start() {
      if (!stopped) return;
      stopped = false;
      ticking = tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await ticking;
      await letGo();
      await lease.release().catch(onError);
    },
  };
}
