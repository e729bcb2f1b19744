/**
 * §6 daily digests: one outbox event per bound chat and day. The dedupe key is the chat and the
 * day (src/notices/events.ts), so restarts, catch-ups and copies can never post a second digest to a chat that day;
 * the content is read when it is delivered (src/dialogs/digest.ts).
 */
import { sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../db/client.ts";
import { dedupeKeySql, type EventName } from "../notices/events.ts";

const digest = "digest" satisfies EventName;
const chat = sql`b.channel || ':' || b.chat_id`;

export async function queueDigests(tx: Tx, day: string): Promise<number> {
  const queued = rowsOf<{ id: number }>(
    await tx.execute(sql`
      insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
      select ${digest}::text, 'chat', ${chat},
             jsonb_build_object('orgId', b.org_id, 'day', ${day}::text),
             ${dedupeKeySql(digest, { day }, { type: "chat", id: chat })}, 'queued'
      from chat_bindings b
      on conflict do nothing
      returning id`),
  );
  return queued.length;
}
