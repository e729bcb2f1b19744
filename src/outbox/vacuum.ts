/**
 * Delivery churns its own tables: every send rewrites its delivery row, and the send log takes
 * new times and is pruned every minute. Each change leaves a dead row version behind, which
 * every later read of the table steps over until a vacuum clears it. PGlite runs no autovacuum
 * at all, and a server's may be off or lag behind a season's September (seen: 142,537 dead
 * send-log rows beside 496 live, a planned send's look at the log 12× slower). So the delivery
 * loop vacuums what it churns: the send log often, deliveries and events less often. SKIP_LOCKED:
 * a copy that finds another copy's vacuum at work leaves the table to it instead of waiting.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";

/** How often each table is vacuumed, on the loop's clock. */
export const VACUUM_EVERY_MS = { sendLog: 60_000, queues: 10 * 60_000 };

export async function vacuumSendLog(db: Db): Promise<void> {
  await query(db, sql`vacuum (skip_locked) send_log`);
}

export async function vacuumQueues(db: Db): Promise<void> {
  await query(db, sql`vacuum (skip_locked) deliveries, outbox`);
}
