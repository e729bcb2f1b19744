/**
 * Verified WeCom callbacks. The route stores each in the inbound queue before answering 200
 * (WeCom never resends one it got a 200 for); the queue's worker then hands it here: text → the
 * dialogs, a number → the button it stands for, a card click → the card's action. Replies go
 * out through `message/send` at once, counted against WeCom's per-member limits.
 */
import { type Db, databaseUnavailable } from "../../db/client.ts";
import { parseCommand } from "../../dialogs/commands.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import { loadChatUser } from "../../dialogs/identity.ts";
import type { DialogInput, RenderedReply } from "../../dialogs/types.ts";
import { type Locale, translator } from "../../i18n.ts";
import type { AnswerBudget } from "../../outbox/sendLog.ts";
import type { InboundMessage } from "../inbound.ts";
import type { WecomClient } from "./client.ts";
import { numberedText } from "./render.ts";
import { choiceToken, rememberResponseCode, saveChoices, WECOM_CHANNEL } from "./store.ts";

/** The string fields of a decrypted callback (`FromUserName`, `MsgType`, `Content`, …). */
export type WecomMessage = Record<string, string>;

export interface WecomInboundOptions {
  db: Db;
  engine: DialogEngine;
  client: WecomClient;
  answers: AnswerBudget;
  defaultLocale: Locale;
  now(): Date;
  sleep(ms: number): Promise<void>;
  onError(error: unknown): void;
}

/** An answer waits this long in all for a database that went away after its input was stored. */
const REPLY_ATTEMPTS = 30;
const REPLY_RETRY_MS = 1_000;

/**
 * A self-built app only has private chats, yet approval cards go to chats bound with `/bind`,
 * which the dialogs accept in groups only. An admin's app chat is where WeCom can deliver
 * their organization's cards, so these two commands are treated as said in a group there.
 */
const isBindingCommand = (text: string) =>
  parseCommand(text, (name) => name === "bind" || name === "unbind") !== null;

/** The key of a callback: its MsgId, or sender + time (+ task) of an event, which have none. */
function updateKeyOf(m: WecomMessage): string {
  if (m.MsgType === "text" || m.MsgId) {
    return m.MsgId ? `msg:${m.MsgId}` : `text:${m.FromUserName}:${m.CreateTime ?? ""}`;
  }
  return `event:${m.FromUserName}:${m.CreateTime ?? ""}:${m.TaskId ?? ""}`;
}

/** A verified callback as a queue row: one chat per user, so their messages keep their order. */
export function inboundMessage(m: WecomMessage): InboundMessage {
  return {
    channel: WECOM_CHANNEL,
    updateKey: updateKeyOf(m),
    chatKey: m.FromUserName ?? "",
    payload: m,
  };
}

/** What the queue's worker does with one stored WeCom callback. */
export function wecomInbound(options: WecomInboundOptions) {
  const { db, now } = options;

  async function input(user: string, m: WecomMessage): Promise<DialogInput | null> {
    const base = { channel: WECOM_CHANNEL, chatId: user, userId: user, now: now() };
    if (m.MsgType === "text") {
      const text = m.Content ?? "";
      const token = await choiceToken(db, user, text);
      return {
        ...base,
        isGroup: token === null && isBindingCommand(text),
        updateKey: updateKeyOf(m),
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
        updateKey: updateKeyOf(m),
        input: { type: "action", token: m.EventKey },
      };
    }
    return null;
  }

  async function reply(user: string, replies: RenderedReply[]): Promise<void> {
    if (replies.length === 0) return;
    const { locale } = await loadChatUser(db, WECOM_CHANNEL, user);
    const { messages, tokens } = numberedText(replies, translator(locale ?? options.defaultLocale));
    // Saved before sending, so a quick answer to the list finds it.
    await saveChoices(db, user, tokens, now());
    // A file (an export) comes before its text: uploaded as media, then sent as a file message.
    for (const { document } of replies) {
      if (!document) continue;
      const mediaId = await options.client.uploadFile({
        name: document.name,
        mime: document.mime,
        data: Buffer.from(document.base64, "base64"),
      });
      await options.client.sendFile(user, mediaId);
      await options.answers.sent(WECOM_CHANNEL, user);
    }
    for (const text of messages) {
      await options.client.sendText(user, text);
      await options.answers.sent(WECOM_CHANNEL, user);
    }
  }

  return async (payload: Record<string, unknown>): Promise<void> => {
    const m = payload as WecomMessage;
    const user = m.FromUserName;
    if (!user) return;
    const mediaId = m.MediaId;
    if (m.MsgType === "file" && mediaId) {
      // A file is a sheet to import (issue 18); the app chat is private, and cannot edit.
      const size = Number(m.FileSize);
      await options.engine.receiveFile(
        {
          channel: WECOM_CHANNEL,
          chatId: user,
          userId: user,
          isGroup: false,
          now: now(),
          updateKey: updateKeyOf(m),
          file: {
            name: m.FileName ?? m.Title ?? "",
            size: Number.isFinite(size) && size > 0 ? size : null,
            download: () => options.client.downloadMedia(mediaId),
          },
        },
        { send: (replies) => reply(user, replies) },
      );
      return;
    }
    const handled = await input(user, m);
    if (!handled) return;
    const out = await options.engine.handle(handled);
    if (out.duplicate) return;
    // The input is stored now, and handling it again would only find it done: the answer is
    // retried here while the database is away for a moment (its numbered choices are saved
    // before it is sent), and given up on only for any other failure.
    for (let attempt = 1; ; attempt++) {
      try {
        await reply(user, out.replies);
        return;
      } catch (error) {
        if (!databaseUnavailable(error) || attempt >= REPLY_ATTEMPTS) {
          options.onError(error);
          return;
        }
        await options.sleep(REPLY_RETRY_MS);
      }
    }
  };
}
