/**
 * Records that only serve a while: update keys (a platform resends an update for a day at
 * most: Telegram while unanswered, WeCom within seconds), button tokens (no application waits
 * at its stages anywhere near as long, R27), ended web chat sessions (and the export files
 * made for them) and rate budgets that are whole again. Without pruning they grow with every message.
 * Likewise an import's staged rows (a file of a million members stages a million) once they
 * serve nothing: previews never applied, and the refused rows a preview listed.
 */
import { sql } from "drizzle-orm";
import { type Db, query, type Tx } from "../db/client.ts";
import { dropIdleBudgets } from "./rateLimits.ts";

const DAY_MS = 86_400_000;
export const UPDATE_KEYS_KEPT_DAYS = 7;
/** A button older than this answers "out of date", like any other stale one. */
export const BUTTONS_KEPT_DAYS = 90;
/** The longest idle time WEBCHAT_SESSION_IDLE_HOURS allows: a session idle longer is over. */
const SESSION_IDLE_MAX_DAYS = 30;
/** A preview not applied within this many days is cancelled; its rows and refusals go. */
export const IMPORT_ROWS_KEPT_DAYS = 7;

export async function pruneChatRecords(
  tx: Tx,
  now: Date,
): Promise<{ updateKeys: number; buttons: number; sessions: number; budgets: number }> {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
  const [updateKeys, buttons, sessions, budgets] = await Promise.all([
    query(
      tx,
      sql`delete from processed_updates
          where processed_at < ${before(UPDATE_KEYS_KEPT_DAYS)}::timestamptz returning 1`,
    ),
    query(
      tx,
      sql`delete from dialog_actions
          where created_at < ${before(BUTTONS_KEPT_DAYS)}::timestamptz returning 1`,
    ),
    query(
      tx,
      sql`delete from webchat_sessions
          where expires_at <= ${now.toISOString()}::timestamptz
             or last_seen_at < ${before(SESSION_IDLE_MAX_DAYS)}::timestamptz returning 1`,
    ),
    dropIdleBudgets(tx, now),
  ]);
  // After the sessions: a file is downloadable by its own live session only.
  await query(
    tx,
    sql`delete from webchat_files f
        where f.expires_at <= ${now.toISOString()}::timestamptz
           or not exists (select 1 from webchat_sessions s where s.token_hash = f.session_hash)`,
  );
  return {
    updateKeys: updateKeys.length,
    buttons: buttons.length,
    sessions: sessions.length,
    budgets,
  };
}

/**
 * Staged rows of imports older than IMPORT_ROWS_KEPT_DAYS: every row of one never applied (a
 * preview still waiting is cancelled: applying it would meet a changed tree anyway), and of an
 * applied one all but its changes and moves, which undo needs (its refused rows, for one).
 */
export async function pruneImportRows(tx: Tx, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - IMPORT_ROWS_KEPT_DAYS * DAY_MS).toISOString();
  await query(
    tx,
    sql`update imports set state = 'cancelled'
        where state in ('reading', 'previewed') and created_at < ${cutoff}::timestamptz`,
  );
  const [deleted] = await query<{ n: number }>(
    tx,
    sql`with gone as (
          delete from import_rows r using imports i
          where i.id = r.import_id and i.created_at < ${cutoff}::timestamptz
            and (i.state <> 'applied' or r.action not in ('change', 'move'))
          returning 1)
        select count(*)::int as n from gone`,
  );
  return deleted?.n ?? 0;
}

/**
 * Clears what the day's changes left behind and refreshes the planner's statistics, once a day
 * after the pruning. PGlite runs no autovacuum, and a server's may be off (this machine's CI
 * server): without it every decision's rewritten member and application rows stay as dead
 * versions each later count steps over, and the planner keeps the row counts of an empty
 * database. SKIP_LOCKED: a table another session is vacuuming is left to it.
 */
export async function vacuumDatabase(db: Db): Promise<void> {
  await query(db, sql`vacuum (analyze, skip_locked)`);
}
