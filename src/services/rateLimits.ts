/**
 * Request budgets shared by every copy of the app, in one small table (`rate_limits`), so a
 * limit holds however many copies serve and however often they restart.
 *
 * Each key runs the generic cell rate algorithm (GCRA): a budget of `events` per `windowMs`
 * allows a burst of `events` and then one event every `windowMs / events`. The row holds the
 * key's "theoretical arrival time" (tat); an event is allowed when, after adding its share, the
 * tat is at most one window ahead of now. One statement decides and records it, so two copies
 * taking the last unit at once cannot both get it.
 */
import { sql } from "drizzle-orm";
import { type Queryable, query } from "../db/client.ts";

export interface Budget {
  events: number;
  windowMs: number;
}

export type Spent = { ok: true } | { ok: false; retryAfterMs: number };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every limit of the bot with its number (README, Security, lists them). */
export const LIMITS = {
  /** Wrong binding codes from one client address or one platform user, across chats. */
  bindPerSource: { events: 10, windowMs: HOUR },
  /** Wrong binding codes in the whole installation (see bindings.ts for why this number). */
  bindGlobal: { events: 1000, windowMs: HOUR },
  /** Files one person sends for import: each is read whole (up to 20 MB) and checked row by row. */
  importFiles: { events: 20, windowMs: HOUR },
} as const satisfies Record<string, Budget>;

/** One person's chat inputs or web chat requests, per minute (RATE_LIMIT_PER_MINUTE). */
export const perMinute = (events: number): Budget => ({ events, windowMs: MINUTE });

/**
 * Spends one unit of `key`'s budget, or says how long until one is free. Inside a transaction
 * the key's row stays locked until it ends: a caller that refunds (`refund`) on success keeps
 * concurrent tries of the same key waiting for its outcome.
 */
export async function spend(db: Queryable, key: string, budget: Budget, now: Date): Promise<Spent> {
  const step = budget.windowMs / budget.events;
  const at = now.getTime();
  const [row] = await query<{ granted: boolean; tat: number | null }>(
    db,
    sql`with before as (select tat from rate_limits where key = ${key}),
        spent as (
          insert into rate_limits (key, tat)
          values (${key}, to_timestamp(${(at + step) / 1000}::float8))
          on conflict (key) do update
            set tat = greatest(rate_limits.tat, to_timestamp(${at / 1000}::float8)) + ${step}::float8 * interval '1 millisecond'
            where greatest(rate_limits.tat, to_timestamp(${at / 1000}::float8)) + ${step}::float8 * interval '1 millisecond'
                  <= to_timestamp(${(at + budget.windowMs) / 1000}::float8)
          returning tat)
        select exists (select 1 from spent) as granted,
               (extract(epoch from (select tat from before)) * 1000)::float8 as tat`,
  );
  if (row?.granted) return { ok: true };
  // Allowed again once the tat has moved back to one window ahead, minus one step.
  const tat = row?.tat ?? at;
  return { ok: false, retryAfterMs: Math.max(1000, Math.ceil(tat + step - budget.windowMs - at)) };
}

/** Spends from every key; stops at the first that is exhausted (earlier ones stay spent). */
export async function spendAll(
  db: Queryable,
  keys: readonly { key: string; budget: Budget }[],
  now: Date,
): Promise<Spent> {
  for (const { key, budget } of keys) {
    const spent = await spend(db, key, budget, now);
    if (!spent.ok) return spent;
  }
  return { ok: true };
}

/** Gives one unit back (a try that turned out right). */
export async function refund(db: Queryable, key: string, budget: Budget): Promise<void> {
  const step = budget.windowMs / budget.events;
  await query(
    db,
    sql`update rate_limits set tat = tat - ${step}::float8 * interval '1 millisecond' where key = ${key}`,
  );
}

/** Rows whose budget is whole again carry nothing: housekeeping drops them. */
export async function dropIdleBudgets(db: Queryable, now: Date): Promise<number> {
  const rows = await query<{ key: string }>(
    db,
    sql`delete from rate_limits where tat < ${now.toISOString()}::timestamptz returning key`,
  );
  return rows.length;
}
