/**
 * What the WeCom channel keeps in the database: each user's last numbered choices and the cards
 * it sent with their update codes (WeCom's per-member limits are counted in the outbox's send
 * log). Everything takes the caller's handle, so the outbox's writes share its transaction.
 */
import { and, eq, gt, isNotNull } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { wecomCards, wecomChoices } from "../../db/schema.ts";

export const WECOM_CHANNEL = "wecom";

/** A card's update code is valid this long after WeCom issued it. */
const CODE_LIFETIME_MS = 72 * 3_600_000;

export type CardButton = (typeof wecomCards.$inferSelect)["buttons"][number];

/** Remembers the tokens the numbers of the last message stand for; none forgets them. */
export async function saveChoices(db: Db, userId: string, tokens: string[], now: Date) {
  if (tokens.length === 0) {
    await db.delete(wecomChoices).where(eq(wecomChoices.userId, userId));
    return;
  }
  await db
    .insert(wecomChoices)
    .values({ userId, tokens, updatedAt: now })
    .onConflictDoUpdate({ target: wecomChoices.userId, set: { tokens, updatedAt: now } });
}

/** The token a bare number answers, if the user's last message offered that many choices. */
export async function choiceToken(db: Db, userId: string, text: string): Promise<string | null> {
  const match = /^\s*(\d{1,2})\s*$/.exec(text);
  if (!match) return null;
  const [row] = await db
    .select({ tokens: wecomChoices.tokens })
    .from(wecomChoices)
    .where(eq(wecomChoices.userId, userId));
  return row?.tokens[Number(match[1]) - 1] ?? null;
}

export async function saveCard(
  db: Db,
  card: { taskId: string; buttons: CardButton[]; responseCode: string | null },
  now: Date,
) {
  await db.insert(wecomCards).values({
    taskId: card.taskId,
    buttons: card.buttons,
    responseCode: card.responseCode,
    codeIssuedAt: card.responseCode ? now : null,
  });
}

/** A click hands out a fresh code; only the latest one is worth keeping. */
export async function rememberResponseCode(db: Db, taskId: string, code: string, now: Date) {
  await db
    .update(wecomCards)
    .set({ responseCode: code, codeIssuedAt: now })
    .where(eq(wecomCards.taskId, taskId));
}

/** A card's update code, if one is still valid (it is spent only once the update is made). */
export async function peekResponseCode(
  db: Db,
  taskId: string,
  now: Date,
): Promise<{ code: string; buttons: CardButton[] } | null> {
  const [card] = await db
    .select()
    .from(wecomCards)
    .where(
      and(
        eq(wecomCards.taskId, taskId),
        isNotNull(wecomCards.responseCode),
        gt(wecomCards.codeIssuedAt, new Date(now.getTime() - CODE_LIFETIME_MS)),
      ),
    );
  return card?.responseCode ? { code: card.responseCode, buttons: card.buttons } : null;
}

/**
 * The code was used (or refused): forgotten, unless a click brought a newer one meanwhile. Of
 * two copies that read the same code, only one clears it.
 */
export async function spendResponseCode(db: Db, taskId: string, code: string): Promise<void> {
  await db
    .update(wecomCards)
    .set({ responseCode: null })
    .where(and(eq(wecomCards.taskId, taskId), eq(wecomCards.responseCode, code)));
}
