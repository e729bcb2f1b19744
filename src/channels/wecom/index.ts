/** The WeCom self-built app channel, assembled from the settings (`config.wecom`). */
import type { Config } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import type { Locale } from "../../i18n.ts";
import { type Clock, systemClock } from "../../outbox/clock.ts";
import type { ChannelSender } from "../../outbox/deliver.ts";
import { answerBudget } from "../../outbox/sendLog.ts";
import { createInboundQueue, type InboundQueue } from "../inbound.ts";
import { WecomClient } from "./client.ts";
import { WecomCrypto } from "./crypto.ts";
import { inboundMessage, wecomInbound } from "./inbound.ts";
import type { WecomCallback } from "./routes.ts";
import { wecomSender } from "./sender.ts";
import { WECOM_CHANNEL } from "./store.ts";

export interface WecomChannel {
  /** For the callback routes. */
  callback: WecomCallback;
  /** For the delivery loop. */
  sender: ChannelSender;
  /** Resolves when every stored callback due now is handled (tests, shutdown). */
  idle(): Promise<void>;
}

export function createWecomChannel(options: {
  settings: NonNullable<Config["wecom"]>;
  db: Db;
  engine: DialogEngine;
  defaultLocale: Locale;
  now(): Date;
  onError(error: unknown): void;
  /** The app's inbound queue (its worker running); without one the channel keeps its own. */
  inbound?: InboundQueue;
  clock?: Clock;
}): WecomChannel {
  const { settings, db, engine, defaultLocale, now, onError } = options;
  const client = new WecomClient({
    apiRoot: settings.apiRoot,
    corpId: settings.corpId,
    secret: settings.secret,
    agentId: settings.agentId,
  });
  const crypto = new WecomCrypto(settings);
  const clock = options.clock ?? systemClock;
  const queue = options.inbound ?? createInboundQueue({ db, clock, onError });
  const answers = answerBudget(db, clock, onError);
  queue.handle(
    WECOM_CHANNEL,
    wecomInbound({
      db,
      engine,
      client,
      answers,
      defaultLocale,
      now,
      onError,
      sleep: (ms) => clock.sleep(ms),
    }),
  );
  return {
    callback: {
      crypto,
      accept: async (message) => {
        await queue.store(inboundMessage(message), now());
      },
      now,
    },
    sender: wecomSender({ client, defaultLocale, now }),
    idle: () => queue.drain(),
  };
}
