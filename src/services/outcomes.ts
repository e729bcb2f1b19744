/**
 * Each member's outcome (SPEC §5, R28), kept on their `members` row so the indicators scan one row per
 * person. Every change to applications calls `refreshOutcomes` for the members it touched, in
 * its own transaction, so the copy never disagrees with applications as seen by any reader.
 */
import { type SQL, sql } from "drizzle-orm";
import { type Queryable, query } from "../db/client.ts";
import { DEAD_STATES } from "../domain/indicators.ts";

/** The dead states as SQL literals, so the planner matches the partial outcome index. */
const DEAD_STATES_SQL = sql.raw(DEAD_STATES.map((state) => `'${state}'`).join(", "));

/**
 * §5, R28 as ranks, the same as `outcomeOf` (src/domain/indicators.ts): a completed transfer
 * first (the earliest), then a completed retention at school (the latest), then the latest
 * live application.
 */
const TRANSFERRED = sql`a.state = 'completed' and not a.retain_at_school`;
const OUTCOME_ORDER = sql`case when ${TRANSFERRED} then 0 when a.state = 'completed' then 1 else 2 end,
  case when ${TRANSFERRED} then a.id else -a.id end`;

/**
 * Recomputes the outcome columns of `memberIds` (ids, or a query yielding one column of member
 * ids) from their applications, set-based. Rows already right are left untouched.
 */
export async function refreshOutcomes(db: Queryable, memberIds: number[] | SQL): Promise<void> {
  // One member (every decision and filing) as a plain parameter: PostgreSQL then keeps one plan
  // for the statement instead of planning it on every call (about 0.3 ms of its CPU each).
  const ids = !Array.isArray(memberIds)
    ? memberIds
    : memberIds.length === 1
      ? sql`select ${memberIds[0]}::int`
      : sql`select unnest(${sql.param(memberIds)}::int[])`;
  await query(
    db,
    sql`
    update members m
    set outcome_application_id = o.id, outcome_reason = o.reason, outcome_state = o.state,
      outcome_retained = coalesce(o.retain_at_school, false), outcome_destination_id = o.destination
    from (
      select t.member_id, a.id, a.reason, a.state, a.retain_at_school,
        coalesce(a.assigned_branch_id, a.to_org_id) as destination
      from (select distinct member_id from (${ids}) ids(member_id)) t
      left join (
        select distinct on (a.member_id) a.member_id, a.id, a.reason, a.state,
          a.retain_at_school, a.assigned_branch_id, a.to_org_id
        from applications a
        where a.member_id in (${ids}) and a.state not in (${DEAD_STATES_SQL})
        order by a.member_id, ${OUTCOME_ORDER}
      ) a on a.member_id = t.member_id
    ) o
    where m.id = o.member_id
      and (m.outcome_application_id, m.outcome_reason, m.outcome_state, m.outcome_retained,
           m.outcome_destination_id)
        is distinct from
          (o.id, o.reason, o.state, coalesce(o.retain_at_school, false), o.destination)`,
  );
}
