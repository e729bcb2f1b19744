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
import type { Notification } from "../services/notify.ts";
import type { OutboxEvent } from "./deliver.ts";

/** Every event the outbox carries: the typed notifications, and the daily digest. */
export type OutboxEventName = Notification["event"] | "digest";

type Matters = (db: Db, event: OutboxEvent, now: Date, timezone: string) => Promise<boolean>;

const DAY_MS = 86_400_000;

/** For a number of days after it was queued. */
const forDays =
  (days: number): Matters =>
  async (_db, event, now) =>
    now.getTime() - new Date(event.createdAt).getTime() < days * DAY_MS;

const open = sql.join(
  OPEN_STATES.map((s) => sql`${s}`),
  sql`, `,
);

async function applicationOpen(db: Db, event: OutboxEvent): Promise<boolean> {
  const id = Number((event.payload as { applicationId?: unknown }).applicationId);
  if (!Number.isInteger(id)) return false;
  const rows = await query(
    db,
    sql`select 1 from applications where id = ${id} and state in (${open})`,
  );
  return rows.length > 0;
}

const RELEVANCE: { [E in OutboxEventName]: Matters } = {
  // A card asks for a decision: once the application is decided, its outcome follows anyway.
  decision_needed: (db, event) => applicationOpen(db, event),
  card_outcome: forDays(7),
  outcome: forDays(7),
  progress: forDays(7),
  auto_return_warning: async (db, event, now) => {
    const returnAt = Date.parse(String((event.payload as { returnAt?: unknown }).returnAt));
    return now.getTime() < returnAt && (await applicationOpen(db, event));
  },
  graduation_change_needed: async (db, event) => {
    const id = Number((event.payload as { requestId?: unknown }).requestId);
    const rows = await query(
      db,
      sql`select 1 from graduation_change_requests where id = ${id} and state = 'pending'`,
    );
    return rows.length > 0;
  },
  graduation_change_decided: forDays(7),
  retention_reminder: forDays(7),
  batch_summary: forDays(7),
  stage_reminder: forDays(2),
  escalation: forDays(2),
  review_reminder: async (_db, event, now, timezone) =>
    dayIn(now, timezone) <= String((event.payload as { day?: unknown }).day),
  nudge: (db, event) => applicationOpen(db, event),
  // Today's digest, today: tomorrow brings its own.
  digest: async (_db, event, now, timezone) =>
    dayIn(now, timezone) <= String((event.payload as { day?: unknown }).day),
};

const isKnown = (name: string): name is OutboxEventName => Object.hasOwn(RELEVANCE, name);

export type Relevance = (db: Db, event: OutboxEvent, now: Date) => Promise<boolean>;

/** The relevance of the catalog's events in `timezone` (an unknown event: one day). */
export function relevance(timezone: string): Relevance {
  return (db, event, now) =>
    (isKnown(event.event) ? RELEVANCE[event.event] : forDays(1))(db, event, now, timezone);
}
