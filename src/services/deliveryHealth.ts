/**
 * Deliveries that need a look. Dead letters are refused for good by their platform (chat gone,
 * bot blocked, bad request); admins see those of their organization's bound chats in /pending.
 * Late ones are still being tried (a platform down, a rate limit) but are older than they should.
 */
import { sql } from "drizzle-orm";
import { type Queryable, query, rowsOf } from "../db/client.ts";

/** A delivery not sent this long after it was queued counts as late in /healthz. */
export const LATE_AFTER_MS = 10 * 60_000;

export interface DeliveryCounts {
  dead: number;
  /** Not sent yet, and queued more than 10 minutes ago. */
  late: number;
}

export async function deadDeliveries(db: Queryable, orgId: number): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(sql`
      select count(*)::int as n from deliveries d
      join chat_bindings b on b.channel = d.channel and b.chat_id = d.chat_id
      where d.status = 'dead' and b.org_id = ${orgId}`),
  );
  return row?.n ?? 0;
}

export async function deliveryCounts(db: Queryable, now: Date): Promise<DeliveryCounts> {
  const lateBefore = new Date(now.getTime() - LATE_AFTER_MS).toISOString();
  const [row] = await query<DeliveryCounts>(
    db,
    sql`select (select count(*)::int from deliveries where status = 'dead') as dead,
               (select count(*)::int from deliveries
                where status in ('queued', 'sending')
                  and created_at < ${lateBefore}::timestamptz) as late`,
  );
  return row ?? { dead: 0, late: 0 };
}
