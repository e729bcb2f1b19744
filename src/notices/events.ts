/**
 * The catalog of notifications: every event the outbox carries, who receives it, its payload,
 * and its dedupe key. The key is built here once, both as text (services queuing a notice) and
 * as SQL (set-based writers such as the auto-return sweep and the digests), so the two can
 * never drift apart. Renderers and relevance rules are tables keyed by `EventName`: adding an
 * event without its renderer does not compile.
 *
 * This module sits below services, outbox and dialogs; it imports none of them.
 */
import { SQL, sql } from "drizzle-orm";
import type { ApplicationState } from "../domain/application.ts";

export type ApprovalStageName = "leader" | "province" | "out" | "receiver" | "assignment";

/** A stage the member hears of while their application moves on (before its outcome). */
export type ProgressStep =
  | "filed_for_you"
  | "leader_approved"
  | "out_approved"
  | "receiver_approved";

/** Each event's payload, as stored in `outbox.payload`. */
export interface EventPayloads {
  decision_needed: { applicationId: number; stage: ApprovalStageName };
  /**
   * The card in the deciding organization's chats must now show its outcome, or its next step
   * where that organization `stillDeciding` (a committee that approved now assigns).
   */
  card_outcome: { applicationId: number; state: ApplicationState; stillDeciding?: boolean };
  outcome: { applicationId: number; state: ApplicationState };
  /** The member is told of every stage passed: who approved, and who decides next. */
  progress: { applicationId: number; step: ProgressStep };
  /** R27 warning: the deciding chats are told two days before an automatic return. */
  auto_return_warning: { applicationId: number; returnAt: string };
  graduation_change_needed: { requestId: number };
  graduation_change_decided: { requestId: number; approved: boolean };
  /** R14, R15: a retained or flow-branch member has been there 5 or 11 months. */
  retention_reminder: { memberId: number; months: number };
  /** §6: one bound chat's daily digest. */
  digest: { orgId: number; day: string };
  /** Issue 20.2: applications waited `hours` on the R27 clock at the recipient's stage. */
  stage_reminder: { hours: number; applicationIds: number[] };
  /** Issue 20.2: the leading organ above hears what will be returned, and at whom it waits. */
  escalation: { hours: number; applicationIds: number[] };
  /** Issue 20.2: the review period's last days: what still waits, daily. */
  review_reminder: { day: string };
  /** Issue 20.2: the member asks about their application (催办). */
  nudge: { applicationId: number };
  /** Issue 20.1: one summary of a batch approval, in the chat it was confirmed in. */
  batch_summary: { batchId: number };
}

export type EventName = keyof EventPayloads;

/** Who receives each event. A chat is `channel:chatId`. */
export interface EventRecipients {
  decision_needed: { org: number };
  card_outcome: { org: number };
  outcome: { member: number } | { admin: number };
  progress: { member: number };
  auto_return_warning: { org: number };
  graduation_change_needed: { org: number };
  graduation_change_decided: { admin: number };
  retention_reminder: { org: number };
  digest: { chat: string };
  stage_reminder: { org: number };
  escalation: { org: number };
  review_reminder: { org: number };
  nudge: { org: number };
  batch_summary: { chat: string };
}

/** What makes each event unique, besides its recipient. */
export interface EventKeys {
  decision_needed: { applicationId: number; stage: ApprovalStageName };
  /** One card edit per stage left: the state the application had before the change. */
  card_outcome: { applicationId: number; fromState: ApplicationState };
  outcome: { applicationId: number; state: ApplicationState };
  progress: { applicationId: number; step: ProgressStep };
  /** A warning per stage: the time the application entered it (ISO). */
  auto_return_warning: { applicationId: number; stageSince: string };
  graduation_change_needed: { requestId: number };
  graduation_change_decided: { requestId: number };
  /** A reminder per stay: the time it began (ISO). */
  retention_reminder: { memberId: number; months: number; since: string };
  /** A digest per chat and day. */
  digest: { day: string };
  /** One reminder message per organization, threshold and sweep run (ISO time of the run). */
  stage_reminder: { hours: number; run: string };
  escalation: { run: string };
  /** One a day. */
  review_reminder: { day: string };
  /** One a day per application and stage: `kind` is "nudge:YYYY-MM-DD". */
  nudge: { applicationId: number; kind: string; stageSince: string };
  batch_summary: { batchId: number };
}

/** A queued notification of one event, typed by the catalog. */
export type Notice<E extends EventName = EventName> = {
  [K in E]: { event: K; to: EventRecipients[K]; payload: EventPayloads[K]; key: EventKeys[K] };
}[E];

export type RecipientType = "org" | "member" | "admin" | "chat";

/** Any value of a key, or the SQL expression computing it in a set-based statement. */
type Part = string | number | SQL;
type Parts<T> = { [K in keyof T]: T[K] | SQL };
type Recipient = { type: RecipientType; id: Part };

const withRecipient = (parts: Part[], to: Recipient): Part[] => [...parts, to.type, to.id];

const KEYS: { [E in EventName]: (k: Parts<EventKeys[E]>, to: Recipient) => Part[] } = {
  decision_needed: (k, to) => withRecipient(["app", k.applicationId, "needed", k.stage], to),
  card_outcome: (k, to) => withRecipient(["app", k.applicationId, "card", k.fromState], to),
  outcome: (k, to) => withRecipient(["app", k.applicationId, "outcome", k.state], to),
  progress: (k, to) => withRecipient(["app", k.applicationId, "progress", k.step], to),
  auto_return_warning: (k, to) => withRecipient(["app", k.applicationId, "warn", k.stageSince], to),
  graduation_change_needed: (k, to) => withRecipient(["gcr", k.requestId, "needed"], to),
  graduation_change_decided: (k, to) => withRecipient(["gcr", k.requestId, "decided"], to),
  retention_reminder: (k, to) => withRecipient(["retain", k.memberId, k.months, k.since], to),
  // Keys queued before the catalog had this form; kept so no chat gets a second digest.
  digest: (k, to) => ["digest", to.id, k.day],
  stage_reminder: (k, to) => withRecipient(["remind", k.hours, k.run], to),
  escalation: (k, to) => withRecipient(["escalate", k.run], to),
  review_reminder: (k, to) => withRecipient(["review", k.day], to),
  nudge: (k, to) => withRecipient(["app", k.applicationId, k.kind, k.stageSince], to),
  batch_summary: (k, to) => withRecipient(["batch", k.batchId, "summary"], to),
};

/** The recipient columns of a notice. */
export function recipientOf(to: EventRecipients[EventName]): {
  recipientType: RecipientType;
  recipientId: string;
} {
  if ("org" in to) return { recipientType: "org", recipientId: String(to.org) };
  if ("member" in to) return { recipientType: "member", recipientId: String(to.member) };
  if ("admin" in to) return { recipientType: "admin", recipientId: String(to.admin) };
  return { recipientType: "chat", recipientId: to.chat };
}

/** The dedupe key of one notice. */
export function dedupeKey(notice: Notice): string {
  const { recipientType, recipientId } = recipientOf(notice.to);
  const build = KEYS[notice.event] as (k: Notice["key"], to: Recipient) => Part[];
  return build(notice.key, { type: recipientType, id: recipientId }).join(":");
}

/**
 * The same key as an SQL expression, for a statement writing many notices at once: any part
 * (and the recipient id) may be a column expression.
 */
export function dedupeKeySql<E extends EventName>(
  event: E,
  key: Parts<EventKeys[E]>,
  recipient: { type: RecipientType; id: Part },
): SQL {
  const parts = KEYS[event](key, recipient);
  return sql`(${sql.join(
    parts.map((p) => (p instanceof SQL ? sql`(${p})::text` : sql`${String(p)}::text`)),
    sql` || ':' || `,
  )})`;
}

/** An outbox row of one event, its payload typed by the catalog. */
export interface EventRow<E extends EventName = EventName> {
  event: E;
  recipientType: RecipientType;
  recipientId: string;
  payload: EventPayloads[E];
  createdAt: Date;
}

const EVENTS: { [E in EventName]: true } = {
  decision_needed: true,
  card_outcome: true,
  outcome: true,
  progress: true,
  auto_return_warning: true,
  graduation_change_needed: true,
  graduation_change_decided: true,
  retention_reminder: true,
  digest: true,
  stage_reminder: true,
  escalation: true,
  review_reminder: true,
  nudge: true,
  batch_summary: true,
};

export const isEventName = (name: string): name is EventName => Object.hasOwn(EVENTS, name);

/** An outbox row as read back, before its event is known to the catalog. */
export interface StoredEvent {
  event: string;
  recipientType: string;
  recipientId: string;
  payload: unknown;
  createdAt: Date;
}

/** One handler per event, each seeing its own payload type. */
export type EventTable<Args extends unknown[], R> = {
  [E in EventName]: (row: EventRow<E>, ...args: Args) => R;
};

/**
 * Runs the handler of the row's event; `fallback` for an event not in the catalog (a row left
 * by an older or newer version). The one place a stored payload meets its type: rows are only
 * written through this catalog.
 */
export function dispatch<Args extends unknown[], R>(
  table: EventTable<Args, R>,
  row: {
    event: string;
    recipientType: string;
    recipientId: string;
    payload: unknown;
    createdAt: Date;
  },
  fallback: () => R,
  ...args: Args
): R {
  if (!isEventName(row.event)) return fallback();
  const handler = table[row.event] as (row: EventRow, ...args: Args) => R;
  return handler(row as EventRow, ...args);
}
