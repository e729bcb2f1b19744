/**
 * Plans one round of deliveries for one channel: which chats get their next message, and when,
 * so that no platform limit is crossed however many copies run. Planners of one channel take
 * turns (a transaction-scoped advisory lock), read the send log, and take the slots they plan
 * in it, in the same transaction as the claims.
 *
 * A chat gets one delivery at a time, its oldest: its messages arrive in order, and the next
 * one is planned from the times its last one really went out (all of its parts).
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import { channelKey, chatKey } from "./budgets.ts";
import type { Clock } from "./clock.ts";
import type { OutboxEvent } from "./deliver.ts";
import { loadLog } from "./sendLog.ts";
import { type Constraint, earliestSlot, insertTime } from "./slots.ts";

export interface Planned {
  id: number;
  outboxId: number;
  channel: string;
  chatId: string;
  locale: string | null;
  /** The claim's attempt number; it fences the row against a copy that reclaimed it. */
  attempts: number;
  /** When to send, on the clock. */
  slot: number;
  /** What the delivery says, read with the claim; null when the event is gone. */
  event: OutboxEvent | null;
}

export interface PlanOptions {
  /** Deliveries due by this time are considered (their `available_at`). */
  now: Date;
  clock: Clock;
  /** Only what can go within this time is claimed; the rest waits for a later round. */
  horizonMs: number;
  /** A claim older than this belongs to a copy that died: it is planned again. */
  leaseMs: number;
  /** At most this many chats per round. */
  limit: number;
}

interface Head {
  id: number;
  outbox_id: number;
  chat_id: string;
  locale: string | null;
  attempts: number;
}

export async function planRound(
  db: Db,
  channel: string,
  options: PlanOptions & {
    /** Told the earliest time a chat held back by its own limits may go (clock time). */
    onDeferred?: (at: number) => void;
  },
): Promise<Planned[]> {
  const { now, clock, horizonMs } = options;
  const at = now.toISOString();
  const staleBefore = new Date(now.getTime() - options.leaseMs).toISOString();
  return db.transaction(async (tx) => {
    await query(tx, sql`select pg_advisory_xact_lock(hashtext(${`zhtj:deliveries:${channel}`}))`);
    // Chats with more waiting come first: their own limits make them the longest to serve, so
    // the channel's shared capacity goes to them whenever their chat allows, and to the rest
    // (a morning's single digests) in between.
    const heads = await query<Head>(
      tx,
      sql`select id, outbox_id, chat_id, locale, attempts from (
            select distinct on (chat_id) id, outbox_id, chat_id, locale, attempts, status,
                   available_at, claimed_at, count(*) over (partition by chat_id) as waiting
            from deliveries
            where channel = ${channel} and status in ('queued', 'sending')
            order by chat_id, id
          ) h
          where (status = 'queued' and available_at <= ${at}::timestamptz)
             or (status = 'sending' and claimed_at < ${staleBefore}::timestamptz)
          order by waiting desc, available_at, id
          limit ${options.limit}`,
    );
    if (heads.length === 0) return [];
    const start = clock.now();
    const shared = channelKey(channel);
    const chats = new Map(heads.map((h) => [h.chat_id, chatKey(channel, h.chat_id)]));
    const keys = [shared, ...chats.values()].filter((k) => k !== null);
    const log = await loadLog(tx, keys, start);
    const sharedTimes = shared ? log.get(shared.key)! : [];
    const claims: { head: Head; slot: number }[] = [];
    const deferred: { id: number; waitMs: number }[] = [];
    for (const head of heads) {
      const chat = chats.get(head.chat_id) ?? null;
      const own: Constraint[] = chat ? [{ times: log.get(chat.key)!, windows: chat.windows }] : [];
      const constraints = shared ? [{ times: sharedTimes, windows: shared.windows }, ...own] : own;
      const slot = earliestSlot(constraints, start);
      if (slot <= start + horizonMs) {
        claims.push({ head, slot });
        insertTime(sharedTimes, slot);
        continue;
      }
      // Held back by its own chat's limits: not worth looking at again before then. Held back
      // only by the channel's: it will be soon, and is left as it is.
      const ownSlot = earliestSlot(own, start);
      if (ownSlot > start + horizonMs) {
        deferred.push({ id: head.id, waitMs: ownSlot - start });
        options.onDeferred?.(ownSlot);
      }
    }
    if (deferred.length > 0) {
      await query(
        tx,
        sql`update deliveries d
            set available_at = ${at}::timestamptz + v.wait * interval '1 millisecond'
            from unnest(${sql.param(deferred.map((d) => d.id))}::bigint[],
                        ${sql.param(deferred.map((d) => d.waitMs))}::bigint[]) as v(id, wait)
            where d.id = v.id`,
      );
    }
    if (claims.length === 0) return [];
    // The claims, the channel's slots they take and the events they deliver, in one statement.
    const claimed = await query<
      { id: number; attempts: number; eventId: number | null } & Omit<OutboxEvent, "id">
    >(
      tx,
      sql`with taken as (
            insert into send_log (key, at)
            select ${shared?.key ?? ""}::text, ms
            from unnest(${sql.param(shared ? claims.map((c) => c.slot) : [])}::bigint[]) as v(ms)),
          mine as (
            update deliveries d
            set status = 'sending', claimed_at = ${at}::timestamptz, attempts = d.attempts + 1
            where d.id = any(${sql.param(claims.map((c) => c.head.id))}::bigint[])
            returning d.id, d.attempts, d.outbox_id)
          select m.id, m.attempts, o.id as "eventId", o.event, o.recipient_type as "recipientType",
                 o.recipient_id as "recipientId", o.payload, o.dedupe_key as "dedupeKey",
                 o.status, o.created_at as "createdAt"
          from mine m left join outbox o on o.id = m.outbox_id`,
      { createdAt: "date" },
    );
    const byId = new Map(claimed.map((c) => [Number(c.id), c]));
    return claims.map(({ head, slot }) => {
      const mine = byId.get(Number(head.id));
      return {
        id: Number(head.id),
        outboxId: Number(head.outbox_id),
        channel,
        chatId: head.chat_id,
        locale: head.locale,
        attempts: mine?.attempts ?? head.attempts + 1,
        slot,
        event:
          mine && mine.eventId !== null
            ? {
                id: Number(mine.eventId),
                event: mine.event,
                recipientType: mine.recipientType,
                recipientId: mine.recipientId,
                payload: mine.payload,
                dedupeKey: mine.dedupeKey,
                status: mine.status,
                createdAt: mine.createdAt,
              }
            : null,
      };
    });
  });
}
