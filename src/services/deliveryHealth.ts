/**
 * Dead letters: deliveries that failed `maxAttempts` times and are no longer retried. Admins see
 * those of their organization's bound chats in /pending.
 */
import { sql } from "drizzle-orm";
import { type Queryable, rowsOf } from "../db/client.ts";

export async function deadDeliveries(db: Queryable, orgId: number): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(sql`
      select count(*)::int as n from deliveries d
      join chat_bindings b on b.channel = d.channel and b.chat_id = d.chat_id
      where d.status = 'dead' and b.org_id = ${orgId}`),
  );
  return row?.n ?? 0;
}
