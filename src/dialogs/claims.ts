/** Update keys: a platform's second delivery of the same update has no effect. */
import { sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";

/** True when this update key was not seen before; it is then taken for good on commit. */
export async function claimUpdate(tx: Db, channel: string, updateKey: string, now: Date) {
  const claimed = await query(
    tx,
    sql`insert into processed_updates (channel, update_key, processed_at)
        values (${channel}, ${updateKey}, ${now.toISOString()}::timestamptz)
        on conflict do nothing returning 1 as claimed`,
  );
  return claimed.length > 0;
}
