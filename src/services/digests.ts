/**
 * §6 daily digests: one outbox event per bound chat and day. The dedupe key is the chat and the
 * day, so restarts, catch-ups and copies can never post a second digest to a chat that day;
 * the content is read when it is delivered (src/dialogs/digest.ts).
 */
import { sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../db/client.ts";

export async function queueDigests(tx: Tx, day: string): Promise<number> {
  const queued = rowsOf<{ id: number }>(
    await tx.execute(sql`
      insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
      select 'digest', 'chat', b.channel || ':' || b.chat_id,
             jsonb_build_object('orgId', b.org_id, 'day', ${day}::text),
             'digest:' || b.channel || ':' || b.chat_id || ':' || ${day}::text, 'queued'
      from chat_bindings b
      on conflict do nothing
      returning id`),
  );
  return queued.length;
}
