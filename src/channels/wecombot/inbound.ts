/**
 * AI bot callbacks in: each text or card click is stored in the inbound queue under its msgid
 * (a resend is not stored again, a stored one is handled once) before anything else happens;
 * the queue's worker then hands it here: it becomes one engine input, and the engine's answers
 * are pushed back to the chat at once (counted against the platform's limits). A click's req_id
 * is kept with its card first, so the decision's card update (the outbox) can use it.
 */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import type { DialogEngine } from "../../dialogs/engine.ts";
import type { DialogInput, RenderedReply } from "../../dialogs/types.ts";
import type { AnswerBudget } from "../../outbox/sendLog.ts";
import type { InboundMessage } from "../inbound.ts";
import { type BotConnection, NotConnectedError } from "./connection.ts";
import type { Callback } from "./frames.ts";
import { planReply, transmitReply } from "./send.ts";
import { groupChatId, rememberClick, WECOMBOT_CHANNEL } from "./store.ts";

/** How long an answer waits for a connection that dropped (it reconnects with backoff). */
const ANSWER_WAIT_MS = 60_000;

const stored = z.object({
  kind: z.enum(["text", "click"]),
  reqId: z.string(),
  msgId: z.string(),
  userId: z.string(),
  groupId: z.string().nullable(),
  text: z.string().optional(),
  key: z.string().optional(),
  taskId: z.string().optional(),
  receivedAt: z.string(),
});

type Incoming = Extract<Callback, { kind: "text" | "click" }>;

/** The chat a callback belongs to, as the dialogs know it. */
const chatOf = (c: { userId: string; groupId: string | null }) =>
  c.groupId ? groupChatId(c.groupId) : c.userId;

/** A callback as a queue row: one chat's messages are handled in order. */
export function inboundMessage(callback: Incoming, receivedAt: Date): InboundMessage {
  return {
    channel: WECOMBOT_CHANNEL,
    updateKey: `msg:${callback.msgId}`,
    chatKey: chatOf(callback),
    payload: { ...callback, receivedAt: receivedAt.toISOString() },
  };
}

/** In a group the bot hears only what @-mentions it; the mention itself is not the text. */
const withoutMentions = (text: string) => text.replace(/^(\s*@\S+)+\s*/u, "").trim();

export interface BotInboundOptions {
  db: Db;
  engine: DialogEngine;
  connection: BotConnection;
  answers: AnswerBudget;
  now(): Date;
  onError(error: unknown): void;
}

export function botInbound(options: BotInboundOptions) {
  const { db, engine, connection } = options;

  /** In a group each answer @-mentions the person it answers (a refusal reaches its presser). */
  async function answer(chatId: string, mention: string | undefined, replies: RenderedReply[]) {
    for (const rendered of replies) {
      // Stored before the push, so a click that comes back at once finds its card.
      const planned = await planReply(db, chatId, rendered, mention);
      // A connection that drops under the answer is waited for, and the answer sent again.
      const deadline = Date.now() + ANSWER_WAIT_MS;
      for (;;) {
        if (!(await connection.whenReady(Math.max(0, deadline - Date.now())))) {
          throw new NotConnectedError();
        }
        try {
          await transmitReply(connection, chatId, planned, async () => {
            await options.answers.sent(WECOMBOT_CHANNEL, chatId);
          });
          break;
        } catch (error) {
          if (!(error instanceof NotConnectedError) || Date.now() >= deadline) throw error;
        }
      }
    }
  }

  return async (payload: Record<string, unknown>): Promise<void> => {
    const m = stored.safeParse(payload);
    if (!m.success) return;
    const c = m.data;
    const chatId = chatOf(c);
    const isGroup = c.groupId !== null;
    let input: DialogInput["input"];
    if (c.kind === "click" && c.key && c.taskId) {
      await rememberClick(db, c.taskId, c.reqId, new Date(c.receivedAt));
      input = { type: "action", token: c.key };
    } else {
      const text = isGroup ? withoutMentions(c.text ?? "") : (c.text ?? "");
      // A bare @-mention asks for the bot: it says what it can do.
      input = { type: "text", text: text === "" ? "/help" : text };
    }
    const out = await engine.handle({
      channel: WECOMBOT_CHANNEL,
      chatId,
      userId: c.userId,
      isGroup,
      now: options.now(),
      updateKey: `msg:${c.msgId}`,
      input,
    });
    if (out.duplicate) return;
    // The input is handled and stored: handling it again would find it done, so a failed
    // answer is reported rather than thrown back to the queue.
    await answer(chatId, isGroup ? c.userId : undefined, out.replies).catch(options.onError);
  };
}
