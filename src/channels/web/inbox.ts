/**
 * Messages the bot sends to a web chat on its own (notifications, digests). Later outbox code
 * calls `deliverToWebChat` in the transaction of its change; the page takes each message once.
 */
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { webchatInbox } from "../../db/schema.ts";
import { renderWithTokens } from "../../dialogs/actions.ts";
import { loadChatUser } from "../../dialogs/identity.ts";
import { translate } from "../../dialogs/render.ts";
import type { RenderedReply, Reply } from "../../dialogs/types.ts";
import type { Locale } from "../../i18n.ts";

export const WEB_CHANNEL = "web";

/**
 * Queues a reply for a web chat. Its buttons must be `global` actions (nobody's dialog step is
 * waiting for them); anyone in that chat may press them, and the handler re-checks everything.
 */
export async function deliverToWebChat(tx: Db, chatId: string, message: Reply): Promise<void> {
  const buttons = (message.buttons ?? []).flat();
  if (buttons.some((b) => b.action.type !== "global"))
    throw new Error("deliverToWebChat: pushed messages may carry global actions only");
  await tx
    .insert(webchatInbox)
    .values({ chatId, reply: message as unknown as Record<string, unknown> });
}

/** Takes the chat's undelivered messages, rendered in the chat's language, each only once. */
export async function takeInbox(
  db: Db,
  chatId: string,
  defaultLocale: Locale,
  now: Date,
): Promise<RenderedReply[]> {
  return db.transaction(async (tx) => {
    const pending = await tx
      .select({ id: webchatInbox.id, reply: webchatInbox.reply })
      .from(webchatInbox)
      .where(and(eq(webchatInbox.chatId, chatId), isNull(webchatInbox.takenAt)))
      .orderBy(webchatInbox.id)
      .limit(50);
    if (pending.length === 0) return [];
    // Conditional on still untaken: of two pollers (or app copies), each row goes to one.
    const taken = await tx
      .update(webchatInbox)
      .set({ takenAt: now })
      .where(
        and(
          inArray(
            webchatInbox.id,
            pending.map((p) => p.id),
          ),
          isNull(webchatInbox.takenAt),
        ),
      )
      .returning({ id: webchatInbox.id });
    const takenIds = new Set(taken.map((t) => t.id));
    const replies = pending
      .filter((p) => takenIds.has(p.id))
      .map((p) => p.reply as unknown as Reply);
    const { locale } = await loadChatUser(tx, WEB_CHANNEL, chatId);
    return renderWithTokens(
      tx,
      { channel: WEB_CHANNEL, chatId, userId: null, stateVersion: null },
      translate(locale ?? defaultLocale),
      replies,
    );
  });
}
