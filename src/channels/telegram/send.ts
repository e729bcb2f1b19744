/**
 * Puts rendered replies into a Telegram chat: new messages, edits of earlier ones, and a
 * selective force-reply when the dialog waits for one person's text.
 */
import { type Api, GrammyError, InputFile } from "grammy";
import type { ForceReply, InlineKeyboardMarkup, MessageEntity, User } from "grammy/types";
import type { Db } from "../../db/client.ts";
import type { RenderedReply } from "../../dialogs/types.ts";
import { migrateChat } from "../../services/chatBindings.ts";
import { inlineKeyboard, MAX_CAPTION, MAX_TEXT, splitText } from "./format.ts";

export const TELEGRAM_CHANNEL = "telegram";

/**
 * Called before every API call that puts a message into the chat (edits too): the outbox's
 * pacing between the parts of one delivery. Answers pass none.
 */
export type Step = () => Promise<void>;
const unpaced: Step = async () => {};

/** Whom a question is for, in a group: the person pressed a button or wrote a message. */
export interface Asked {
  user: Pick<User, "id" | "first_name" | "username">;
  /** Their message to reply to, when they wrote one. */
  messageId?: number;
}

/**
 * Sends one reply and returns the id of its last message, the one carrying the buttons (that is
 * the message a later edit replaces).
 */
export async function sendReply(
  api: Api,
  chatId: string,
  reply: RenderedReply,
  asked?: Asked,
  step: Step = unpaced,
): Promise<number> {
  if (reply.document) {
    // A file (an export) with the text as its caption when that fits, else before the text.
    const captioned = !reply.expectsReply && reply.text.length <= MAX_CAPTION;
    await step();
    const sent = await api.sendDocument(
      chatId,
      new InputFile(Buffer.from(reply.document.base64, "base64"), reply.document.name),
      captioned
        ? {
            caption: reply.text,
            ...(reply.buttons.length > 0 ? { reply_markup: inlineKeyboard(reply) } : {}),
          }
        : {},
    );
    if (captioned) return sent.message_id;
  }
  if (reply.image && !reply.expectsReply && reply.text.length <= MAX_CAPTION) {
    // One message: the picture with the text as its caption.
    await step();
    const photo = await sendImage(api, chatId, reply.image, {
      caption: reply.text,
      ...(reply.buttons.length > 0 ? { reply_markup: inlineKeyboard(reply) } : {}),
    });
    if (photo !== null) return photo;
  } else if (reply.image) {
    await step();
    await sendImage(api, chatId, reply.image);
  }
  if (reply.expectsReply) return sendQuestion(api, chatId, reply, asked, step);
  const parts = splitText(reply.text);
  let last = 0;
  for (const [i, part] of parts.entries()) {
    const isLast = i === parts.length - 1;
    await step();
    const sent = await api.sendMessage(chatId, part, {
      ...(isLast && reply.buttons.length > 0 ? { reply_markup: inlineKeyboard(reply) } : {}),
    });
    last = sent.message_id;
  }
  return last;
}

/**
 * The reply's picture as a photo: with the text as its caption when that fits, else before the
 * text. The text matters more: a photo that fails (too large, no right to send media) is dropped
 * and the text sent alone. A migrated group is still reported, so the whole reply goes to the
 * new chat; so is a 429, which the caller waits out.
 */
async function sendImage(
  api: Api,
  chatId: string,
  image: NonNullable<RenderedReply["image"]>,
  extra: { caption?: string; reply_markup?: InlineKeyboardMarkup } = {},
): Promise<number | null> {
  try {
    const sent = await api.sendPhoto(
      chatId,
      new InputFile(Buffer.from(image.png, "base64"), "chart.png"),
      extra,
    );
    return sent.message_id;
  } catch (error) {
    if (error instanceof GrammyError && error.parameters.migrate_to_chat_id !== undefined)
      throw error;
    // A rate limit is not the picture's fault: the outbox waits and sends it all again.
    if (error instanceof GrammyError && error.error_code === 429) throw error;
    return null;
  }
}

/**
 * A selective force-reply: only the asked person's client opens a reply to it, and their answer,
 * a reply to the bot, reaches the bot even with privacy mode on. A message carries one markup, so
 * the question's buttons give way to the force-reply (`/cancel` still works as text). Selective
 * targets the sender of the message replied to, or users mentioned in the text: after a button
 * press there is no message of theirs, so they are mentioned.
 */
async function sendQuestion(
  api: Api,
  chatId: string,
  reply: RenderedReply,
  asked: Asked | undefined,
  step: Step,
): Promise<number> {
  const mention = asked && asked.messageId === undefined ? mentionOf(asked.user) : null;
  const parts = splitText(reply.text, MAX_TEXT - (mention?.text.length ?? 0));
  const question = parts.pop() ?? "";
  for (const part of parts) {
    await step();
    await api.sendMessage(chatId, part);
  }
  const markup: ForceReply = { force_reply: true, selective: true };
  await step();
  const sent = await api.sendMessage(chatId, `${mention?.text ?? ""}${question}`, {
    reply_markup: markup,
    ...(mention?.entity ? { entities: [mention.entity] } : {}),
    ...(asked?.messageId !== undefined
      ? { reply_parameters: { message_id: asked.messageId, allow_sending_without_reply: true } }
      : {}),
  });
  return sent.message_id;
}

/** `@name ` (Telegram links it itself), or the first name linked by an explicit entity. */
function mentionOf(user: Asked["user"]): { text: string; entity?: MessageEntity } {
  if (user.username) return { text: `@${user.username} ` };
  return {
    text: `${user.first_name} `,
    entity: { type: "text_mention", offset: 0, length: user.first_name.length, user: user as User },
  };
}

/**
 * Replaces an earlier message's text and buttons, and returns the id that now shows the reply.
 * Identical content is not an error; a message that is gone or too old to edit is sent anew.
 */
export async function editReply(
  api: Api,
  chatId: string,
  messageId: number,
  reply: RenderedReply,
  step: Step = unpaced,
): Promise<number> {
  if (reply.text.length > MAX_TEXT) return sendReply(api, chatId, reply, undefined, step);
  const markup: InlineKeyboardMarkup = inlineKeyboard(reply);
  try {
    await step();
    await api.editMessageText(chatId, messageId, reply.text, { reply_markup: markup });
    return messageId;
  } catch (error) {
    if (isBadRequest(error, "message is not modified")) return messageId;
    if (isBadRequest(error, "message to edit not found") || isBadRequest(error, "can't be edited"))
      return sendReply(api, chatId, reply, undefined, step);
    throw error;
  }
}

function isBadRequest(error: unknown, description: string): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    error.description.includes(description)
  );
}

/**
 * Runs `act` for the chat; when Telegram answers that the group became a supergroup, moves
 * everything bound to the chat to the new id and runs it again there.
 */
export async function inChat<T>(
  db: Db,
  chatId: string,
  act: (chatId: string) => Promise<T>,
): Promise<T> {
  try {
    return await act(chatId);
  } catch (error) {
    const to = error instanceof GrammyError ? error.parameters.migrate_to_chat_id : undefined;
    if (to === undefined) throw error;
    await migrateChat(db, TELEGRAM_CHANNEL, chatId, String(to));
    return act(String(to));
  }
}
