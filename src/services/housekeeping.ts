/**
 * Records that only serve a while: update keys (a platform resends an update for a day at
 * most: Telegram while unanswered, WeCom within seconds), button tokens (no application waits
 * at its stages anywhere near as long, R27), ended web chat sessions (and the export files
 * made for them) and rate budgets that are whole again. Without pruning they grow with every message.
 */
import { sql } from "drizzle-orm";
import { query, type Tx } from "../db/client.ts";
import { dropIdleBudgets } from "./rateLimits.ts";

const DAY_MS = 86_400_000;
export const UPDATE_KEYS_KEPT_DAYS = 7;
/** A button older than this answers "out of date", like any other stale one. */
export const BUTTONS_KEPT_DAYS = 90;
/** The longest idle time WEBCHAT_SESSION_IDLE_HOURS allows: a session idle longer is over. */
const SESSION_IDLE_MAX_DAYS = 30;

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
