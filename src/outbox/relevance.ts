/**
 * How long each kind of notification is worth sending. A delivery that fails for a passing
 * reason (the platform unreachable, slow, 5xx, 429) is tried again for as long as its message
 * matters, and only then given up (`expired`): a card while its application still waits, a
 * digest until its day ends. One entry per event of the catalog, checked by the compiler.
 */
import { sql } from "drizzle-orm";
import { type Db, query } from "../db/client.ts";
import { dayIn } from "../domain/calendar.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import { dispatch, type EventRow, type EventTable } from "../notices/events.ts";
import type { OutboxEvent } from "./deliver.ts";

type Matters = (
  event: Pick<EventRow, "createdAt">,
  db: Db,
  now: Date,
  timezone: string,
) => Promise<boolean>;

const DAY_MS = 86_400_000;

/** For a number of days after it was queued. */
const forDays =
  (days: number): Matters =>
  async (event, _db, now) =>
    now.getTime() - event.createdAt.getTime() < days * DAY_MS;

const open = sql.join(
  OPEN_STATES.map((s) => sql`${s}`),
  sql`, `,
);

async function applicationOpen(db: Db, applicationId: number): Promise<boolean> {
  if (!Number.isInteger(applicationId)) return false;
  const rows = await query(
    db,
    sql`select 1 from applications where id = ${applicationId} and state in (${open})`,
  );
  return rows.length > 0;
}

const RELEVANCE: EventTable<[db: Db, now: Date, timezone: string], Promise<boolean>> = {
  // A card asks for a decision: once the application is decided, its outcome follows anyway.
  decision_needed: (event, db) => applicationOpen(db, event.payload.applicationId),
  card_outcome: forDays(7),
  outcome: forDays(7),
  progress: forDays(7),
  auto_return_warning: async (event, db, now) => {
    const returnAt = Date.parse(event.payload.returnAt);
    return now.getTime() < returnAt && (await applicationOpen(db, event.payload.applicationId));
  },
  graduation_change_needed: async (event, db) => {
    const rows = await query(
      db,
      sql`select 1 from graduation_change_requests
          where id = ${event.payload.requestId} and state = 'pending'`,
    );
    return rows.length > 0;
  },
  graduation_change_decided: forDays(7),
  retention_reminder: forDays(7),
  batch_summary: forDays(7),
  stage_reminder: forDays(2),
  escalation: forDays(2),
  review_reminder: async (event, _db, now, timezone) => dayIn(now, timezone) <= event.payload.day,
  nudge: (event, db) => applicationOpen(db, event.payload.applicationId),
  // Today's digest, today: tomorrow brings its own.
  digest: async (event, _db, now, timezone) => dayIn(now, timezone) <= event.payload.day,
};

export type Relevance = (db: Db, event: OutboxEvent, now: Date) => Promise<boolean>;

/** The relevance of the catalog's events in `timezone` (an unknown event: one day). */
export function relevance(timezone: string): Relevance {
  return (db, event, now) =>
    dispatch(RELEVANCE, event, () => forDays(1)(event, db, now, timezone), db, now, timezone);
}
