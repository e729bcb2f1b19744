/**
 * R27: from the wrap-up day on, applications that waited more than the allowed days at their
 * current approval stage are returned automatically, initiator and member told. Set-based, in
 * one transaction, so a sweep over a province's backlog stays fast and all-or-nothing.
 */
import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";
import { autoReturnCutoff, type Season } from "../domain/calendar.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
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
        set state = 'auto_returned', updated_at = ${at}::timestamptz
        from due
        where a.id = due.id and a.state = due.state
        returning a.id, a.member_id, due.state as from_state, a.deciding_org_id,
                  a.initiator_admin_id
      ),
      history as (
        insert into application_history (application_id, action, actor_kind, from_state, to_state, at)
        select id, 'auto_return', 'system', from_state, 'auto_returned', ${at}::timestamptz from upd
      ),
      notices as (
        insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
        select 'outcome', 'member', member_id::text,
               jsonb_build_object('applicationId', id, 'state', 'auto_returned'),
               'app:' || id || ':outcome:auto_returned:member:' || member_id, 'queued'
        from upd
        union all
        select 'outcome', 'admin', initiator_admin_id::text,
               jsonb_build_object('applicationId', id, 'state', 'auto_returned'),
               'app:' || id || ':outcome:auto_returned:admin:' || initiator_admin_id, 'queued'
        from upd where initiator_admin_id is not null
        union all
        select 'card_outcome', 'org', deciding_org_id::text,
               jsonb_build_object('applicationId', id, 'state', 'auto_returned'),
               'app:' || id || ':card:' || from_state || ':org:' || deciding_org_id, 'queued'
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
