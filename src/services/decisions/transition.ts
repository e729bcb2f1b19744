/**
 * The one writer of decisions: a conditional update on the state the decision was taken
 * against, so exactly one of racing decisions wins (R26), with everything that goes with it in
 * the same statement of the same transaction.
 */
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import { query, type Tx } from "../../db/client.ts";
import { applications } from "../../db/schema.ts";
import type { ApplicationState } from "../../domain/application.ts";
import type { LifecycleAction } from "../../domain/lifecycle.ts";
import type { OrgNode } from "../../domain/tree.ts";
import { insertNotices, type Notice } from "../notify.ts";
import { refreshOutcomes } from "../outcomes.ts";
import type { Actor } from "../result.ts";
import type { DecisionApp } from "./load.ts";

/**
 * How a decision is taken beyond who and what: `deferCards` collects the card edits instead of
 * queuing them (a batch queues them after its summary, issue 20); `note` is the approver's
 * short comment, kept in the history and shown to the member (issue 20).
 */
export interface DecisionOptions {
  deferCards?: Notice[];
  note?: string;
}

export type Decided = {
  ok: true;
  applicationId: number;
  state: ApplicationState;
};

export interface Transition {
  action: LifecycleAction;
  to: ApplicationState;
  actor: Actor;
  note?: string | null;
  set?: Partial<typeof applications.$inferInsert>;
  /** R24: the member moves only on completion, into this organization. */
  moveTo?: OrgNode;
  notices?: Notice[];
}

const APPLICATION_COLUMNS = getTableColumns(applications);

/**
 * `column = value, ...` of an update written by hand (the query builder's own took a tenth of
 * a millisecond to compose); PostgreSQL types each value by its column, dates go as text.
 */
function assignments(values: Partial<typeof applications.$inferInsert>): SQL {
  return sql.join(
    Object.entries(values).map(([key, value]) => {
      const column = APPLICATION_COLUMNS[key as keyof typeof APPLICATION_COLUMNS];
      const param = value instanceof Date ? value.toISOString() : (value ?? null);
      return sql`${sql.identifier(column.name)} = ${param}`;
    }),
    sql`, `,
  );
}

/**
 * Moves `app` from the state it was read in to `t.to`, only if nobody changed it meanwhile, with
 * everything that goes with it: the history row, the member's move, the notifications (one
 * statement, each part conditional on the move having happened) and the member's outcome.
 * Returns false when another decision got there first (nothing is written).
 */
export async function transition(
  tx: Tx,
  app: DecisionApp,
  t: Transition,
  now: Date,
  options: DecisionOptions = {},
): Promise<boolean> {
  const at = now.toISOString();
  const sink = options.deferCards;
  const notices = sink ? t.notices?.filter((n) => n.event !== "card_outcome") : t.notices;
  const deferred = sink ? (t.notices ?? []).filter((n) => n.event === "card_outcome") : [];
  const actorMemberId = t.actor.kind === "member" ? t.actor.memberId : null;
  const actorAdminId = t.actor.kind === "admin" ? t.actor.adminId : null;
  const parts = [
    sql`moved as (
      update applications set ${assignments({ ...t.set, state: t.to, updatedAt: now })}
      where id = ${app.id} and state = ${app.state} returning id)`,
    sql`recorded as (
      insert into application_history (application_id, action, actor_kind, actor_member_id,
        actor_admin_id, from_state, to_state, note, at)
      select id, ${t.action}, ${t.actor.kind}, ${actorMemberId}::int, ${actorAdminId}::int,
        ${app.state}, ${t.to}, ${t.note ?? options.note ?? null}::text, ${at}::timestamptz
      from moved)`,
  ];
  if (t.moveTo) {
    // R14, R15: flow branches start the retention clock for the 5 and 11 month reminders.
    const retainedSince = t.moveTo.category === "flow_branch" ? at : null;
    parts.push(sql`relocated as (
      update members set branch_id = ${t.moveTo.id}, retained_since = ${retainedSince}::timestamptz
      where id = ${app.memberId} and exists (select 1 from moved))`);
  }
  if (notices?.length) {
    parts.push(
      sql`noticed as (${insertNotices(notices, sql`where exists (select 1 from moved)`)})`,
    );
  }
  const [done] = await Promise.all([
    query(tx, sql`with ${sql.join(parts, sql`, `)} select id from moved`),
    // In the same round trip: it recomputes the outcome from whatever the statement above
    // left, so after a lost race it finds nothing to change.
    refreshOutcomes(tx, [app.memberId]),
  ]);
  if (done.length > 0) sink?.push(...deferred);
  return done.length > 0;
}
