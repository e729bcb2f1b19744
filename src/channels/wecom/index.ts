/** The WeCom self-built app channel, assembled from the settings (`config.wecom`). */
import type { Config } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import type { Locale } from "../../i18n.ts";
import type { ChannelSender } from "../../outbox/deliver.ts";
import { WecomClient } from "./client.ts";
import { WecomCrypto } from "./crypto.ts";
import { WecomInbound } from "./inbound.ts";
import type { WecomCallback } from "./routes.ts";
import { wecomSender } from "./sender.ts";

export interface WecomChannel {
  /** For the callback routes. */
  callback: WecomCallback;
  /** For the delivery loop. */
  sender: ChannelSender;
  /** Resolves when every accepted callback is handled. */
  idle(): Promise<void>;
}

export function createWecomChannel(options: {
  settings: NonNullable<Config["wecom"]>;
  db: Db;
  engine: DialogEngine;
  defaultLocale: Locale;
  now(): Date;
  onError(error: unknown): void;
}): WecomChannel {
  const { settings, db, engine, defaultLocale, now, onError } = options;
  const client = new WecomClient({
    apiRoot: settings.apiRoot,
    corpId: settings.corpId,
    secret: settings.secret,
    agentId: settings.agentId,
  });
  const crypto = new WecomCrypto(settings);
  const inbound = new WecomInbound({ db, engine, client, defaultLocale, now, onError });
  return {
    callback: { crypto, accept: (message) => inbound.accept(message), now },
    sender: wecomSender({ client, defaultLocale, now }),
    idle: () => inbound.idle(),
  };
}
