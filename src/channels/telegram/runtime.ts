/**
 * The Telegram channel of one app copy: the bot (pointed at `apiRoot` when set), updates by long
 * polling or by webhook, and the outbox sender. Telegram being unreachable at start does not stop
 * the app: getting ready is retried in the background, and notifications wait in the outbox.
 */
import { autoRetry } from "@grammyjs/auto-retry";
import { Api, Bot, BotError, GrammyError, HttpError, webhookCallback } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Context as HonoContext } from "hono";
import type { Config } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import { type Locale, translator } from "../../i18n.ts";
import type { Logger } from "../../logger.ts";
import { type Clock, systemClock } from "../../outbox/clock.ts";
import type { ChannelSender } from "../../outbox/deliver.ts";
import { answerBudget } from "../../outbox/sendLog.ts";
import { ALLOWED_UPDATES, forGrammy, poll, sleep } from "./polling.ts";
import { TELEGRAM_CHANNEL } from "./send.ts";
import { telegramSender } from "./sender.ts";
import { handleUpdates } from "./updates.ts";

export type TelegramSettings = NonNullable<Config["telegram"]>;
export type WebhookHandler = (c: HonoContext) => Promise<Response>;

export interface TelegramOptions {
  settings: TelegramSettings;
  db: Db;
  engine: DialogEngine;
  defaultLocale: Locale;
  log: Logger;
  now?: () => Date;
  /** Known bot info skips getMe (tests). */
  botInfo?: UserFromGetMe;
  /** Seconds a getUpdates waits for news (30 in production; tests stop faster with less). */
  pollTimeoutSeconds?: number;
  /** First wait before retrying a failed start-up step; it doubles up to a minute. */
  retryMs?: number;
  /** Times the answers counted against Telegram's limits (tests inject their own). */
  clock?: Clock;
}

export interface TelegramRuntime {
  api: Api;
  sender: ChannelSender;
  /** The handler of POST /telegram/webhook: null in polling mode and until the bot is ready. */
  webhook(): WebhookHandler | null;
  /** Resolves once the bot is initialized and receiving updates (tests wait for it). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** An answer's 429 is retried after its retry_after, up to this long. */
const MAX_RETRY_AFTER_SECONDS = 30;
/** A notification's Bot API call gives up after this long (the outbox tries again later). */
const PUSH_TIMEOUT_SECONDS = 15;
/** Bot API methods that put a message into a chat: each counts against the limits. */
const COUNTED = new Set([
  "sendMessage",
  "sendPhoto",
  "sendDocument",
  "editMessageText",
  "editMessageReplyMarkup",
]);

export function startTelegram(options: TelegramOptions): TelegramRuntime {
  const { settings, log } = options;
  const t = translator(options.defaultLocale);
  const pollTimeout = options.pollTimeoutSeconds ?? 30;
  const bot = new Bot(settings.token, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: {
      ...(settings.apiRoot ? { apiRoot: settings.apiRoot } : {}),
      timeoutSeconds: pollTimeout + 15,
      // In webhook mode a button's answer rides back on the webhook's own response: one
      // request to Telegram fewer per press. Nothing else may, as its result is needed.
      canUseWebhookReply: (method) => method === "answerCallbackQuery",
    },
  });
  bot.api.config.use(
    autoRetry({
      maxDelaySeconds: MAX_RETRY_AFTER_SECONDS,
      maxRetryAttempts: 3,
      // A network failure may come after Telegram accepted the message: no blind resend here.
      rethrowHttpErrors: true,
    }),
  );
  // Answers go at once, counted in the shared send log (each try, after autoRetry's waits), so
  // the outbox paces notifications around them.
  const answers = answerBudget(options.db, options.clock ?? systemClock, (err) =>
    log.warn({ err }, t("telegram:log.error")),
  );
  bot.api.config.use(async (prev, method, payload, signal) => {
    const chatId = (payload as { chat_id?: unknown }).chat_id;
    if (!COUNTED.has(method) || chatId === undefined) return prev(method, payload, signal);
    const result = await prev(method, payload, signal);
    if (result.ok) await answers.sent(TELEGRAM_CHANNEL, String(chatId));
    return result;
  });
  // Notifications: their own client, no automatic retry (the outbox waits out a 429 itself).
  const pushApi = new Api(settings.token, {
    ...(settings.apiRoot ? { apiRoot: settings.apiRoot } : {}),
    timeoutSeconds: PUSH_TIMEOUT_SECONDS,
  });
  const onError = (err: unknown) => log.error({ err: loggable(err) }, t("telegram:log.error"));
  handleUpdates(bot, {
    db: options.db,
    engine: options.engine,
    now: options.now ?? (() => new Date()),
    onError,
    download: (fileId) => downloadFile(bot.api, settings, fileId),
  });

  const stopping = new AbortController();
  const { signal } = stopping;
  let webhook: WebhookHandler | null = null;
  let polling: Promise<void> = Promise.resolve();

  const retrying = async (step: () => Promise<unknown>) => {
    let wait = options.retryMs ?? 2_000;
    for (;;) {
      try {
        await step();
        return;
      } catch (err) {
        if (signal.aborted) throw err;
        log.warn(
          { err: loggable(err) },
          t("telegram:log.startRetry", { seconds: Math.round(wait / 1000) }),
        );
        await sleep(wait, signal);
        if (signal.aborted) throw err;
        wait = Math.min(wait * 2, 60_000);
      }
    }
  };

  const ready = (async () => {
    // getMe by hand: grammY's own init retries a network failure silently, for ever.
    if (!bot.isInited())
      await retrying(async () => {
        bot.botInfo = await bot.api.getMe(forGrammy(signal));
      });
    if (settings.webhookUrl) {
      const callback = webhookCallback(bot, honoAdapter, {
        secretToken: settings.webhookSecret,
        // No timeout of grammY's: once it fired, an update that failed afterwards (the
        // database gone) became an unhandled rejection that ended the process. A button's
        // answer has its own deadline (updates.ts); a lost database fails within seconds.
        timeoutMilliseconds: Number.POSITIVE_INFINITY,
      }) as WebhookHandler;
      // The route sees what failed, not grammY's wrapper (a lost database answers 503).
      webhook = async (c) => {
        try {
          return await callback(c);
        } catch (error) {
          throw error instanceof BotError ? error.error : error;
        }
      };
      await retrying(() =>
        bot.api.setWebhook(
          settings.webhookUrl!,
          {
            secret_token: settings.webhookSecret,
            allowed_updates: [...ALLOWED_UPDATES],
          },
          forGrammy(signal),
        ),
      );
      log.info(t("telegram:log.webhook", { bot: bot.botInfo.username }));
    } else {
      await retrying(() => bot.api.deleteWebhook({}, forGrammy(signal)));
      log.info(t("telegram:log.polling", { bot: bot.botInfo.username }));
      polling = poll(bot, {
        timeoutSeconds: pollTimeout,
        retryMs: options.retryMs ?? 2_000,
        signal,
        onError,
      });
    }
  })();
  ready.catch(() => {});

  return {
    api: bot.api,
    sender: telegramSender(pushApi, options.db, options.defaultLocale),
    webhook: () => webhook,
    ready,
    async stop() {
      stopping.abort();
      await ready.catch(() => {});
      await polling;
    },
  };
}

/** A file's download takes at most this long (20 MB, the Bot API's largest). */
const DOWNLOAD_TIMEOUT_MS = 120_000;

/**
 * A file someone sent: getFile names its path, then it is fetched from the file URL. Errors
 * name no URL: it holds the bot token.
 */
async function downloadFile(api: Api, settings: TelegramSettings, fileId: string): Promise<Buffer> {
  const file = await api.getFile(fileId);
  if (!file.file_path) throw new Error("Telegram getFile: no file_path");
  const root = (settings.apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
  const response = await fetch(`${root}/file/bot${settings.token}/${file.file_path}`, {
    signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new Error(`Telegram file download: ${error instanceof Error ? error.name : "failed"}`);
  });
  if (!response.ok) throw new Error(`Telegram file download: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * grammY's own "hono" adapter encodes a webhook reply twice (a JSON string inside JSON, which
 * Telegram cannot run); this one sends the reply as it is.
 */
function honoAdapter(c: HonoContext) {
  let resolve: (response: Response) => void = () => {};
  const handlerReturn = new Promise<Response>((r) => {
    resolve = r;
  });
  return {
    update: c.req.json(),
    header: c.req.header("x-telegram-bot-api-secret-token"),
    end: () => resolve(c.body(null, 200)),
    respond: (json: string) =>
      resolve(c.body(json, 200, { "content-type": "application/json; charset=utf-8" })),
    unauthorized: () => resolve(c.body(null, 401)),
    handlerReturn,
  };
}

/**
 * What may be logged of a Bot API failure: a network error's cause is a fetch error whose text
 * holds the request URL, token included, and a refused call carries the message it tried to send.
 */
function loggable(error: unknown): unknown {
  if (!(error instanceof HttpError || error instanceof GrammyError)) return error;
  const safe = new Error(error.message);
  safe.name = error.name;
  if (error instanceof GrammyError) return Object.assign(safe, { code: error.error_code });
  const cause = error.error as { code?: unknown } | undefined;
  return Object.assign(safe, { code: typeof cause?.code === "string" ? cause.code : undefined });
}
