/**
 * The send log in the database: what each rate-limit key sent and which slots are taken, read
 * by every copy's scheduler. Times are milliseconds since the epoch.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import { type BudgetKey, channelKey, chatKey, LONGEST_WINDOW_MS } from "./budgets.ts";
import type { Clock } from "./clock.ts";

export interface LogEntry {
  key: string;
  at: number;
}

/** Where a key's log starts to matter at `now`: its longest window back. */
export const logStart = (key: BudgetKey, now: number): number =>
  now - Math.max(...key.windows.map((w) => w.windowMs));

/**
 * Send times of each key within its longest window before `now` (and the slots planned after
 * it), ascending.
 */
export async function loadLog(
  db: Db,
  keys: BudgetKey[],
  now: number,
): Promise<Map<string, number[]>> {
  const log = new Map<string, number[]>(keys.map((k) => [k.key, []]));
  if (keys.length === 0) return log;
  const since = keys.map((k) => logStart(k, now));
  const rows = await query<{ key: string; ms: string | number }>(
    db,
    sql`select l.key, l.at as ms
        from unnest(${sql.param(keys.map((k) => k.key))}::text[],
                    ${sql.param(since)}::bigint[]) as v(k, since)
        join send_log l on l.key = v.k and l.at > v.since
        order by l.key, l.at`,
  );
  for (const row of rows) log.get(row.key)?.push(Number(row.ms));
  return log;
}

export async function appendLog(db: Db, entries: LogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await query(
    db,
    sql`insert into send_log (key, at)
        select k, ms
        from unnest(${sql.param(entries.map((e) => e.key))}::text[],
                    ${sql.param(entries.map((e) => e.at))}::bigint[]) as v(k, ms)`,
  );
}

/** Forgets sends no window looks at any more. */
export async function pruneLog(db: Db, now: number): Promise<void> {
  await query(db, sql`delete from send_log where at < ${now - LONGEST_WINDOW_MS}::bigint`);
}

/** The keys a message to this chat counts against. */
export function keysOf(channel: string, chatId: string): BudgetKey[] {
  return [channelKey(channel), chatKey(channel, chatId)].filter((k): k is BudgetKey => !!k);
}

/**
 * Answers to a person's own message or button: sent at once, never planned or held back, yet
 * counted in the send log, so the scheduler paces notifications around them (and leaves them
 * the reserves of budgets.ts).
 */
export function answerBudget(db: Db, clock: Clock, onError: (error: unknown) => void) {
  return {
    /** Counts one message just sent to the chat. */
    async sent(channel: string, chatId: string): Promise<void> {
      const at = clock.now();
      await appendLog(
        db,
        keysOf(channel, chatId).map((k) => ({ key: k.key, at })),
      ).catch(onError);
    },
  };
}

export type AnswerBudget = ReturnType<typeof answerBudget>;
