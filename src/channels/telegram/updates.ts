/**
 * Telegram updates in, dialog replies out. No conversation logic: a text message or a button
 * press becomes one engine input keyed by the update id (a second delivery does nothing), and
 * the engine's replies become messages.
 */
import { and, eq } from "drizzle-orm";
import type { Api, Bot, Context } from "grammy";
import type { Message, UserFromGetMe } from "grammy/types";
import { type Db, databaseUnavailable } from "../../db/client.ts";
import { sentMessages } from "../../db/schema.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import type { DialogInput, RenderedReply } from "../../dialogs/types.ts";
import { migrateChat } from "../../services/chatBindings.ts";
import { clip, MAX_POPUP } from "./format.ts";
import { type Asked, editReply, inChat, sendReply, TELEGRAM_CHANNEL } from "./send.ts";

export interface UpdateDeps {
  db: Db;
  engine: DialogEngine;
  now(): Date;
  onError(error: unknown): void;
  /**
   * A button press still being handled after this long gets an empty answer, so the client's
   * spinner stops inside Telegram's window (about 15 s); the replies follow as messages.
   */
  answerWithinMs?: number;
  /** The bytes of a file someone sent (getFile, then its download URL). */
  download?(fileId: string): Promise<Buffer>;
}

/**
 * Installs the handlers. Errors are reported, never rethrown (a rethrown update is resent),
 * except a database that cannot be reached: nothing of the update was stored, so it must be
 * resent (the webhook answers 503, polling asks for it again).
 */
export function handleUpdates(bot: Bot, deps: UpdateDeps): void {
  bot.use(async (_ctx, next) => {
    try {
      await next();
    } catch (error) {
      const down = databaseUnavailable(error);
      if (down) throw down;
      deps.onError(error);
    }
  });
  bot.on("message", (ctx) => onMessage(ctx, ctx.message, deps));
  bot.on("callback_query", (ctx) => onButton(ctx, deps));
}

function dialogInput(
  ctx: Context,
  chat: { id: number; type: string },
  userId: number,
  input: DialogInput["input"],
  deps: UpdateDeps,
): DialogInput {
  return { ...whereFrom(ctx, chat, userId, deps), input };
}

function whereFrom(
  ctx: Context,
  chat: { id: number; type: string },
  userId: number,
  deps: UpdateDeps,
): Omit<DialogInput, "input"> {
  return {
    channel: TELEGRAM_CHANNEL,
    chatId: String(chat.id),
    userId: String(userId),
    isGroup: chat.type !== "private",
    now: deps.now(),
    // Update ids count per bot: a new token must not find the old bot's ids taken.
    updateKey: `${ctx.me.id}:${ctx.update.update_id}`,
  };
}

async function onMessage(ctx: Context, message: Message, deps: UpdateDeps): Promise<void> {
  if (message.migrate_to_chat_id !== undefined) {
    await migrateChat(
      deps.db,
      TELEGRAM_CHANNEL,
      String(message.chat.id),
      String(message.migrate_to_chat_id),
    );
    return;
  }
  if (message.document && message.from && message.chat.type === "private")
    return onDocument(ctx, message, deps);
  // An update is JSON from outside: a text that is not a string is not ours to read.
  const text: unknown = message.text;
  if (typeof text !== "string" || !message.from) return;
  if (message.chat.type !== "private" && !addressedTo(ctx.me, message, text)) return;
  const out = await deps.engine.handle(
    dialogInput(ctx, message.chat, message.from.id, { type: "text", text }, deps),
  );
  await show(ctx.api, deps.db, String(message.chat.id), out.replies, {
    user: message.from,
    messageId: message.message_id,
  });
}

/**
 * A file sent in a private chat: an import (issue 18). Its progress message is edited in
 * place; the preview's buttons are answered by the engine like any other.
 */
async function onDocument(ctx: Context, message: Message, deps: UpdateDeps): Promise<void> {
  const document = message.document!;
  const chatId = String(message.chat.id);
  const asked = { user: message.from!, messageId: message.message_id };
  const sent = new Map<string, number>();
  const download = deps.download;
  await deps.engine.receiveFile(
    {
      ...whereFrom(ctx, message.chat, message.from!.id, deps),
      file: {
        name: typeof document.file_name === "string" ? document.file_name : "",
        size: typeof document.file_size === "number" ? document.file_size : null,
        download: async () => {
          if (!download) throw new Error("Telegram: no download");
          return { data: await download(document.file_id) };
        },
      },
    },
    {
      async send(replies) {
        for (const reply of replies) {
          const id = await sendReply(ctx.api, chatId, reply, asked);
          if (reply.ref) sent.set(reply.ref, id);
        }
      },
      async edit(reply) {
        const id = reply.ref ? sent.get(reply.ref) : undefined;
        if (id === undefined) await sendReply(ctx.api, chatId, reply, asked);
        else await editReply(ctx.api, chatId, id, reply);
      },
    },
  );
}

/**
 * In a group the bot answers only what is meant for it, as privacy mode would let through:
 * commands (not another bot's `/cmd@other`) and replies to its own messages.
 */
function addressedTo(me: UserFromGetMe, message: Message, text: string): boolean {
  if (message.reply_to_message?.from?.id === me.id) return true;
  const command = /^\/\w+(?:@(\w+))?/.exec(text);
  if (!command) return false;
  return command[1] === undefined || command[1].toLowerCase() === me.username.toLowerCase();
}

async function onButton(ctx: Context, deps: UpdateDeps): Promise<void> {
  const query = ctx.callbackQuery!;
  let answered: Promise<unknown> | undefined;
  const answer = (popup?: string) => {
    answered ??= ctx
      .answerCallbackQuery(popup ? { text: clip(popup, MAX_POPUP) } : {})
      .catch(deps.onError);
    return answered;
  };
  const timer = setTimeout(() => void answer(), deps.answerWithinMs ?? 10_000);
  try {
    const chat = query.message?.chat;
    const data: unknown = query.data;
    if (!chat || typeof data !== "string") return;
    const out = await deps.engine.handle(
      dialogInput(ctx, chat, query.from.id, { type: "action", token: data }, deps),
    );
    const withPopup = out.replies.find((r) => r.popup);
    await answer(withPopup?.popup);
    // In a group the popup is the answer, seen by the presser only; the chat is not told
    // about every press of someone not permitted or too late.
    const replies =
      chat.type !== "private" && withPopup
        ? out.replies.filter((r) => r !== withPopup)
        : out.replies;
    await show(ctx.api, deps.db, String(chat.id), replies, { user: query.from });
  } finally {
    clearTimeout(timer);
    await answer();
  }
}

async function show(
  api: Api,
  db: Db,
  chatId: string,
  replies: RenderedReply[],
  asked: Asked,
): Promise<void> {
  if (replies.length === 0) return;
  await inChat(db, chatId, async (id) => {
    for (const reply of replies) {
      const previous = reply.edit && reply.ref ? await sentMessageId(db, id, reply.ref) : null;
      if (previous !== null) await editReply(api, id, previous, reply);
      else await sendReply(api, id, reply, asked);
    }
  });
}

async function sentMessageId(db: Db, chatId: string, ref: string): Promise<number | null> {
  const [row] = await db
    .select({ id: sentMessages.platformMessageId })
    .from(sentMessages)
    .where(
      and(
        eq(sentMessages.channel, TELEGRAM_CHANNEL),
        eq(sentMessages.chatId, chatId),
        eq(sentMessages.ref, ref),
      ),
    );
  return row ? Number(row.id) : null;
}
