/**
 * Notifications are outbox rows written in the transaction of the change that causes them;
 * delivery happens later. Every row has a dedupe key (src/notices/events.ts) so a change can
 * never notify twice.
 */

import { type SQL, sql } from "drizzle-orm";
import { query, type Tx } from "../db/client.ts";
import { dedupeKey, type Notice, recipientOf } from "../notices/events.ts";

export type { ApprovalStageName, Notice, ProgressStep } from "../notices/events.ts";

/**
 * The statement queuing `items`, only when `condition` (a WHERE clause) holds: a decision
 * queues its notices in the same statement as the state change they announce.
 */
export function insertNotices(items: Notice[], condition?: SQL): SQL {
  const rows = items.map((n) => {
    const { recipientType, recipientId } = recipientOf(n.to);
    return sql`(${n.event}, ${recipientType}, ${recipientId}, ${JSON.stringify(n.payload)}::jsonb,
      ${dedupeKey(n)}, 'queued')`;
  });
  return sql`
    insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
    select * from (values ${sql.join(rows, sql`, `)}) v ${condition ?? sql``}
    on conflict do nothing`;
}

/** Queues notifications; a second notice with the same key is ignored. */
export async function notify(tx: Tx, items: Notice[]): Promise<void> {
  if (items.length === 0) return;
  await query(tx, insertNotices(items));
}
