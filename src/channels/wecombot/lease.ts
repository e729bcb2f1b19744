/**
 * The database lease that lets exactly one copy of the app hold the AI bot's connection (the
 * platform keeps one per bot and a new subscribe pushes the old one out). The holder renews it
 * well before it expires; a copy that died stops renewing, and another takes it over once it
 * expired. One conditional upsert decides, so two copies racing for it never both win.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../../db/client.ts";

export interface Lease {
  /** Takes the lease, or renews it when held: true when this holder has it until `now + ttl`. */
  acquire(now: Date): Promise<boolean>;
  /** Gives it up at once, so another copy need not wait for it to expire. */
  release(): Promise<void>;
}

export function connectionLease(db: Db, name: string, holder: string, ttlMs: number): Lease {
  return {
    async acquire(now) {
      const until = new Date(now.getTime() + ttlMs).toISOString();
      const rows = await query<{ holder: string }>(
        db,
        sql`insert into connection_leases (name, holder, expires_at)
            values (${name}, ${holder}, ${until}::timestamptz)
            on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
            where connection_leases.holder = ${holder}
               or connection_leases.expires_at <= ${now.toISOString()}::timestamptz
            returning holder`,
      );
      return rows.length > 0;
    },
    async release() {
      await query(
        db,
        sql`delete from connection_leases where name = ${name} and holder = ${holder}`,
      );
    },
  };
}
