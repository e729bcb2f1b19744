/**
 * R27: from the wrap-up day on, applications that waited more than the allowed days at their
 * current approval stage are returned automatically, initiator and member told. Set-based, in
 * one transaction, so a sweep over a province's backlog stays fast and all-or-nothing.
 */
import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";
import type { ApplicationState } from "../domain/application.ts";
import { autoReturnCutoff, type Season } from "../domain/calendar.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import { dedupeKeySql, type EventName } from "../notices/events.ts";
import { refreshOutcomes } from "./outcomes.ts";

export interface Returned {
  applicationId: number;
  memberId: number;
  fromState: string;
  decidingOrgId: number | null;
  initiatorAdminId: number | null;
}

const openList = sql.join(
  OPEN_STATES.map((s) => sql`${s}`),
  sql`, `,
);

const outcome = "outcome" satisfies EventName;
const card = "card_outcome" satisfies EventName;
const autoReturned = "auto_returned" satisfies ApplicationState;

export async function autoReturnOverdue(db: Db, now: Date, season: Season): Promise<Returned[]> {
  const cutoff = autoReturnCutoff(season, now);
  if (!cutoff) return [];
  const at = now.toISOString();
  const returned = await db.transaction(async (tx) => {
    // One statement: the update, its history and its notifications go together.
    const rows = rowsOf<{
      id: number;
      member_id: number;
      from_state: string;
      deciding_org_id: number | null;
      initiator_admin_id: number | null;
    }>(
      await tx.execute(sql`
      with due as (
        select id, state from applications
        where state in (${openList}) and stage_since <= ${cutoff.toISOString()}::timestamptz
        for update skip locked
      ),
      upd as (
        update applications a
        set state = ${autoReturned}::text, updated_at = ${at}::timestamptz
        from due
        where a.id = due.id and a.state = due.state
        returning a.id, a.member_id, due.state as from_state, a.deciding_org_id,
                  a.initiator_admin_id
      ),
      history as (
        insert into application_history (application_id, action, actor_kind, from_state, to_state, at)
        select id, 'auto_return', 'system', from_state, ${autoReturned}::text, ${at}::timestamptz from upd
      ),
      notices as (
        insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
        select ${outcome}::text, 'member', member_id::text,
               jsonb_build_object('applicationId', id, 'state', ${autoReturned}::text),
               ${dedupeKeySql(outcome, { applicationId: sql`id`, state: autoReturned }, { type: "member", id: sql`member_id` })}, 'queued'
        from upd
        union all
        select ${outcome}::text, 'admin', initiator_admin_id::text,
               jsonb_build_object('applicationId', id, 'state', ${autoReturned}::text),
               ${dedupeKeySql(outcome, { applicationId: sql`id`, state: autoReturned }, { type: "admin", id: sql`initiator_admin_id` })}, 'queued'
        from upd where initiator_admin_id is not null
        union all
        select ${card}::text, 'org', deciding_org_id::text,
               jsonb_build_object('applicationId', id, 'state', ${autoReturned}::text),
               ${dedupeKeySql(card, { applicationId: sql`id`, fromState: sql`from_state` }, { type: "org", id: sql`deciding_org_id` })}, 'queued'
        from upd where deciding_org_id is not null
        on conflict do nothing
      )
      select * from upd
    `),
    );
    // A second statement: every part of the one above sees applications as they were before it.
    await refreshOutcomes(
      tx,
      rows.map((r) => r.member_id),
    );
    return rows;
  });
  return returned.map((r) => ({
    applicationId: r.id,
    memberId: r.member_id,
    fromState: r.from_state,
    decidingOrgId: r.deciding_org_id,
    initiatorAdminId: r.initiator_admin_id,
  }));
}
