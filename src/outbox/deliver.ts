/**
 * Stage two of delivery: each delivery row is claimed (SKIP LOCKED, so copies never share a
 * row), rendered and sent through its channel's sender, then marked sent. A failure retries
 * with exponential backoff and ends as `dead` after `maxAttempts`; a claim left by a crashed
 * copy expires after `leaseMs` and is delivered again.
 */
import { eq, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";
import { deliveries, outbox, sentMessages } from "../db/schema.ts";
import type { Reply } from "../dialogs/types.ts";
import { isLocale, type Locale } from "../i18n.ts";

export type OutboxEvent = typeof outbox.$inferSelect;

/**
 * Thrown by a sender when the platform's rate limit leaves no room now: the delivery waits
 * `afterMs` and does not count the try towards the dead-letter limit.
 */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly afterMs: number,
  ) {
    super(message);
    this.name = "RetryLater";
  }
}

export interface ChannelTarget {
  chatId: string;
  locale: Locale | null;
}

/** One platform. `send` runs inside the delivery's transaction (the web chat writes rows). */
export interface ChannelSender {
  channel: string;
  send(
    tx: Db,
    target: ChannelTarget,
    message: Reply,
    /** Set when `message.edit` refers to a message sent earlier to this chat. */
    previousMessageId: string | null,
  ): Promise<{ messageId: string | null }>;
}

/** What an event says to one chat; null when there is nothing left to say. */
export type Renderer = (
  db: Db,
  event: OutboxEvent,
  target: ChannelTarget,
  now: Date,
) => Promise<Reply | null>;

export interface DeliveryOptions {
  senders: ChannelSender[];
  render: Renderer;
  now: Date;
  limit?: number;
  maxAttempts?: number;
  leaseMs?: number;
  /** Backoff base: the n-th retry waits base × 2^(n-1). */
  backoffMs?: number;
}

export interface DeliveryReport {
  sent: number;
  retried: number;
  dead: number;
}

interface Claimed {
  id: number;
  outbox_id: number;
  channel: string;
  chat_id: string;
  locale: string | null;
  attempts: number;
}

export async function deliverDue(db: Db, options: DeliveryOptions): Promise<DeliveryReport> {
  const { senders, render, now } = options;
  const limit = options.limit ?? 100;
  const maxAttempts = options.maxAttempts ?? 8;
  const leaseMs = options.leaseMs ?? 60_000;
  const backoffMs = options.backoffMs ?? 5_000;
  const report: DeliveryReport = { sent: 0, retried: 0, dead: 0 };
  if (senders.length === 0) return report;
  const channels = sql.join(
    senders.map((s) => sql`${s.channel}`),
    sql`, `,
  );
  const at = now.toISOString();
  const staleBefore = new Date(now.getTime() - leaseMs).toISOString();
  const claimed = rowsOf<Claimed>(
    await db.execute(sql`
      update deliveries d set status = 'sending', claimed_at = ${at}::timestamptz,
        attempts = d.attempts + 1
      where d.id in (
        select id from deliveries
        where channel in (${channels})
          and ((status = 'queued' and available_at <= ${at}::timestamptz)
            or (status = 'sending' and claimed_at < ${staleBefore}::timestamptz))
        order by id
        limit ${limit}
        for update skip locked
      )
      returning d.id, d.outbox_id, d.channel, d.chat_id, d.locale, d.attempts
    `),
  );
  for (const row of claimed) {
    const sender = senders.find((s) => s.channel === row.channel)!;
    const target: ChannelTarget = {
      chatId: row.chat_id,
      locale: isLocale(row.locale) ? row.locale : null,
    };
    // The claim's attempt number fences the row: once this copy's lease has expired and another
    // copy reclaimed it, neither the send nor the outcome of this copy may land.
    const stillOurs = sql`${deliveries.id} = ${row.id} and ${deliveries.status} = 'sending' and ${deliveries.attempts} = ${row.attempts}`;
    try {
      const delivered = await db.transaction(async (tx) => {
        // The row lock keeps reclaimers away for as long as this send is in flight.
        const [mine] = await tx
          .select({ id: deliveries.id })
          .from(deliveries)
          .where(stillOurs)
          .for("update", { skipLocked: true });
        if (!mine) return false;
        const [event] = await tx.select().from(outbox).where(eq(outbox.id, row.outbox_id));
        const message = event ? await render(tx, event, target, now) : null;
        let messageId: string | null = null;
        if (message) {
          const previous = message.ref
            ? await tx
                .select({ id: sentMessages.platformMessageId })
                .from(sentMessages)
                .where(
                  sql`${sentMessages.channel} = ${row.channel} and ${sentMessages.chatId} = ${row.chat_id} and ${sentMessages.ref} = ${message.ref}`,
                )
            : [];
          ({ messageId } = await sender.send(tx, target, message, previous[0]?.id ?? null));
          if (message.ref && messageId && !message.edit) {
            await tx
              .insert(sentMessages)
              .values({
                channel: row.channel,
                chatId: row.chat_id,
                ref: message.ref,
                platformMessageId: messageId,
                updatedAt: now,
              })
              .onConflictDoUpdate({
                target: [sentMessages.channel, sentMessages.chatId, sentMessages.ref],
                set: { platformMessageId: messageId, updatedAt: now },
              });
          }
        }
        await tx
          .update(deliveries)
          .set({ status: "sent", deliveredAt: now, platformMessageId: messageId, lastError: null })
          .where(eq(deliveries.id, row.id));
        return true;
      });
      if (delivered) report.sent++;
    } catch (error) {
      // A platform's own limit is not a failure: wait as long as it says, and keep the attempt.
      const later = error instanceof RetryLater;
      const dead = !later && row.attempts >= maxAttempts;
      const wait = later ? error.afterMs : backoffMs * 2 ** Math.max(0, row.attempts - 1);
      await db
        .update(deliveries)
        .set({
          status: dead ? "dead" : "queued",
          ...(later ? { attempts: row.attempts - 1 } : {}),
          availableAt: new Date(now.getTime() + wait),
          lastError:
            error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500),
        })
        .where(stillOurs);
      if (dead) report.dead++;
      else report.retried++;
    }
  }
  return report;
}
