/**
 * What the AI bot channel keeps: the cards it sent (by task id) with the latest click's req_id.
 * A card can be updated only through the req_id of a click on it, within seconds of the click;
 * each req_id is spent once. Everything takes the caller's handle (the outbox's transaction).
 */
import { and, eq, gt, isNotNull } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { wecombotCards } from "../../db/schema.ts";
import type { TemplateCard } from "./frames.ts";

export const WECOMBOT_CHANNEL = "wecombot";

/** The platform takes a card update within about 5 s of its click; we leave a margin. */
export const CLICK_WINDOW_MS = 4_000;

/** Group chats are kept as `group:<chatid>`, a private chat as the member's userid. */
const GROUP = "group:";
export const groupChatId = (chatid: string) => `${GROUP}${chatid}`;
export const isGroupChat = (chatId: string) => chatId.startsWith(GROUP);
/** The platform's chatid of one of our chat ids (a userid for a private chat). */
export const platformChatId = (chatId: string) =>
  isGroupChat(chatId) ? chatId.slice(GROUP.length) : chatId;

export async function saveCard(db: Db, chatId: string, card: TemplateCard): Promise<void> {
  await db
    .insert(wecombotCards)
    .values({ taskId: card.task_id, chatId, card: card as unknown as Record<string, unknown> })
    .onConflictDoUpdate({
      target: wecombotCards.taskId,
      set: { card: card as unknown as Record<string, unknown> },
    });
}

/** A click arrived: its req_id is the card's update handle for the next few seconds. */
export async function rememberClick(db: Db, taskId: string, reqId: string, at: Date) {
  await db
    .update(wecombotCards)
    .set({ clickReqId: reqId, clickedAt: at })
    .where(eq(wecombotCards.taskId, taskId));
}

/** The req_id of a click on the card recent enough to update it, if any. */
export async function freshClick(db: Db, taskId: string, now: Date): Promise<string | null> {
  const [row] = await db
    .select({ reqId: wecombotCards.clickReqId })
    .from(wecombotCards)
    .where(
      and(
        eq(wecombotCards.taskId, taskId),
        isNotNull(wecombotCards.clickReqId),
        gt(wecombotCards.clickedAt, new Date(now.getTime() - CLICK_WINDOW_MS)),
      ),
    );
  return row?.reqId ?? null;
}

/** The req_id was used (or refused); a newer click's stays. */
export async function spendClick(db: Db, taskId: string, reqId: string): Promise<void> {
  await db
    .update(wecombotCards)
    .set({ clickReqId: null })
    .where(and(eq(wecombotCards.taskId, taskId), eq(wecombotCards.clickReqId, reqId)));
}
