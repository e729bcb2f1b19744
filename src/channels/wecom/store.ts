/**
 * What the WeCom channel keeps in the database: each user's last numbered choices, the cards
 * it sent with their update codes, and a log of recent sends for WeCom's per-member limits.
 * Everything takes the caller's handle, so the outbox's writes share its transaction.
 */
import { and, eq, gt, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { wecomCards, wecomChoices, wecomSends } from "../../db/schema.ts";
import { RetryLater } from "../../outbox/deliver.ts";

export const WECOM_CHANNEL = "wecom";

/** WeCom drops (silently) what a member receives beyond these. */
const PER_MINUTE = 30;
const PER_HOUR = 1000;
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

/**
 * Takes a card's update code, if one is still valid. The code is single use: it is cleared
 * conditionally, so of two copies delivering at once only one spends it.
 */
export async function takeResponseCode(
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
  if (!card?.responseCode) return null;
  const taken = await db
    .update(wecomCards)
    .set({ responseCode: null })
    .where(and(eq(wecomCards.taskId, taskId), eq(wecomCards.responseCode, card.responseCode)))
    .returning({ taskId: wecomCards.taskId });
  return taken.length > 0 ? { code: card.responseCode, buttons: card.buttons } : null;
}

/** Thrown instead of sending: the outbox tries again when the window has room. */
export class WecomRateLimited extends RetryLater {
  constructor(afterMs: number) {
    super("WeCom per-member message limit reached; retry later", afterMs);
    this.name = "WecomRateLimited";
  }
}

export async function assertWithinLimits(db: Db, userId: string, now: Date): Promise<void> {
  const minuteAgo = new Date(now.getTime() - 60_000).toISOString();
  const [counts] = await db
    .select({
      minute: sql<number>`(count(*) filter (where ${wecomSends.sentAt} > ${minuteAgo}::timestamptz))::int`,
      hour: sql<number>`count(*)::int`,
    })
    .from(wecomSends)
    .where(
      and(
        eq(wecomSends.userId, userId),
        gt(wecomSends.sentAt, new Date(now.getTime() - 3_600_000)),
      ),
    );
  if ((counts?.minute ?? 0) >= PER_MINUTE) throw new WecomRateLimited(60_000);
  if ((counts?.hour ?? 0) >= PER_HOUR) throw new WecomRateLimited(10 * 60_000);
}

/** Logs one sent message, and forgets this user's sends older than the longest window. */
export async function recordSend(db: Db, userId: string, now: Date): Promise<void> {
  await db
    .delete(wecomSends)
    .where(
      and(
        eq(wecomSends.userId, userId),
        lt(wecomSends.sentAt, new Date(now.getTime() - 3_600_000)),
      ),
    );
  await db.insert(wecomSends).values({ userId, sentAt: now });
}
