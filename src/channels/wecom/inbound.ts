/**
 * Verified WeCom callbacks, handled after the HTTP answer (WeCom gives up on a callback after
 * 5 s and sends it again): text → the dialogs, a number → the button it stands for, a card
 * click → the card's action. Replies go out through `message/send`.
 */
import type { Db } from "../../db/client.ts";
import { parseCommand } from "../../dialogs/commands.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import { loadChatUser } from "../../dialogs/identity.ts";
import type { DialogInput, RenderedReply } from "../../dialogs/types.ts";
import { type Locale, translator } from "../../i18n.ts";
import type { WecomClient } from "./client.ts";
import { numberedText } from "./render.ts";
import {
  choiceToken,
  recordSend,
  rememberResponseCode,
  saveChoices,
  WECOM_CHANNEL,
} from "./store.ts";

/** The string fields of a decrypted callback (`FromUserName`, `MsgType`, `Content`, …). */
export type WecomMessage = Record<string, string>;

export interface WecomInboundOptions {
  db: Db;
  engine: DialogEngine;
  client: WecomClient;
  defaultLocale: Locale;
  now(): Date;
  onError(error: unknown): void;
}

/**
 * A self-built app only has private chats, yet approval cards go to chats bound with `/bind`,
 * which the dialogs accept in groups only. An admin's app chat is where WeCom can deliver
 * their organization's cards, so these two commands are treated as said in a group there.
 */
const isBindingCommand = (text: string) =>
  parseCommand(text, (name) => name === "bind" || name === "unbind") !== null;

export class WecomInbound {
  readonly #options: WecomInboundOptions;
  /** One chain per user: their messages are answered in the order they were sent. */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(options: WecomInboundOptions) {
    this.#options = options;
  }

  /** Queues a verified callback and returns at once. */
  accept(message: WecomMessage): void {
    const user = message.FromUserName;
    if (!user) return;
    const next = (this.#queues.get(user) ?? Promise.resolve())
      .then(() => this.#handle(user, message))
      .catch((error: unknown) => this.#options.onError(error));
    this.#queues.set(user, next);
    void next.then(() => {
      if (this.#queues.get(user) === next) this.#queues.delete(user);
    });
  }

  /** Resolves once every accepted callback is handled (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all(this.#queues.values());
  }

  async #handle(user: string, message: WecomMessage): Promise<void> {
    const input = await this.#input(user, message);
    if (!input) return;
    const out = await this.#options.engine.handle(input);
    if (!out.duplicate) await this.#reply(user, out.replies);
  }

  async #input(user: string, m: WecomMessage): Promise<DialogInput | null> {
    const { db, now } = this.#options;
    const base = { channel: WECOM_CHANNEL, chatId: user, userId: user, now: now() };
    if (m.MsgType === "text") {
      const text = m.Content ?? "";
      const token = await choiceToken(db, user, text);
      return {
        ...base,
        isGroup: token === null && isBindingCommand(text),
        updateKey: m.MsgId ? `msg:${m.MsgId}` : `text:${user}:${m.CreateTime ?? ""}`,
        input: token ? { type: "action", token } : { type: "text", text },
      };
    }
    if (m.MsgType === "event" && m.Event === "template_card_event" && m.EventKey) {
      // Stored before the decision runs, so the card update it causes finds the code.
      if (m.TaskId && m.ResponseCode)
        await rememberResponseCode(db, m.TaskId, m.ResponseCode, now());
      return {
        ...base,
        isGroup: false,
        updateKey: `event:${user}:${m.CreateTime ?? ""}:${m.TaskId ?? ""}`,
        input: { type: "action", token: m.EventKey },
      };
    }
    return null;
  }

  async #reply(user: string, replies: RenderedReply[]): Promise<void> {
    if (replies.length === 0) return;
    const { db, client, now, defaultLocale } = this.#options;
    const { locale } = await loadChatUser(db, WECOM_CHANNEL, user);
    const { messages, tokens } = numberedText(replies, translator(locale ?? defaultLocale));
    // Saved before sending, so a quick answer to the list finds it.
    await saveChoices(db, user, tokens, now());
    for (const text of messages) {
      await client.sendText(user, text);
      await recordSend(db, user, now());
    }
  }
}
