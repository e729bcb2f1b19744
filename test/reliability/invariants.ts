/**
 * Whole-database invariants the reliability suite checks after each stress: whatever was thrown
 * at the app, no table may hold a half-written change.
 */
import type { Database } from "../../src/db/client.ts";
import { DEAD_STATES, OPEN_STATES } from "../../src/domain/lifecycle.ts";

const list = (states: readonly string[]) => states.map((s) => `'${s}'`).join(", ");

/** Each query returns the offending rows; every one must come back empty. */
const CHECKS: Record<string, string> = {
  "application without history": `
    select a.id from applications a
    where not exists (select 1 from application_history h where h.application_id = a.id)`,
  "application whose latest history disagrees with its state": `
    select a.id from applications a
    join lateral (select to_state from application_history h where h.application_id = a.id
                  order by h.id desc limit 1) last on true
    where last.to_state <> a.state`,
  "history not starting with create": `
    select a.id from applications a
    join lateral (select action from application_history h where h.application_id = a.id
                  order by h.id limit 1) first on true
    where first.action <> 'create'`,
  "open application without a deciding organization": `
    select id from applications where state in (${list(OPEN_STATES)}) and deciding_org_id is null`,
  "member with more than one open application": `
    select member_id from applications where state in (${list(OPEN_STATES)})
    group by member_id having count(*) > 1`,
  "duplicate outbox dedupe key": `
    select dedupe_key from outbox where dedupe_key is not null
    group by dedupe_key having count(*) > 1`,
  "outbox row about an application that does not exist": `
    select o.id from outbox o
    where o.payload ? 'applicationId'
      and not exists (select 1 from applications a
                      where a.id = (o.payload->>'applicationId')::int)`,
  "outcome notification without the decision behind it": `
    select o.id from outbox o
    join applications a on a.id = (o.payload->>'applicationId')::int
    where o.event = 'outcome' and a.state <> o.payload->>'state'`,
  "member outcome differs from a recomputation": `
    select m.id from members m
    left join lateral (
      select a.id, a.reason, a.state, a.retain_at_school,
             coalesce(a.assigned_branch_id, a.to_org_id) as destination
      from applications a
      where a.member_id = m.id and a.state not in (${list(DEAD_STATES)})
      -- R28: a completed transfer first (the earliest), then a retention, then the latest.
      order by case when a.state = 'completed' and not a.retain_at_school then 0
                    when a.state = 'completed' then 1 else 2 end,
               case when a.state = 'completed' and not a.retain_at_school then a.id
                    else -a.id end
      limit 1) live on true
    where (m.outcome_application_id, m.outcome_reason, m.outcome_state, m.outcome_retained,
           m.outcome_destination_id)
      is distinct from (live.id, live.reason, live.state, coalesce(live.retain_at_school, false),
                        live.destination)`,
  "dialog state that is not an object": `
    select chat_id from dialog_states where jsonb_typeof(state) <> 'object'`,
};

/** Every invariant that fails, with up to five offending rows; empty when all hold. */
export async function brokenInvariants(database: Database): Promise<Record<string, unknown[]>> {
  const broken: Record<string, unknown[]> = {};
  for (const [name, query] of Object.entries(CHECKS)) {
    const rows = await database.query(`${query} limit 5`);
    if (rows.length > 0) broken[name] = rows;
  }
  return broken;
}

/** Row counts of every public table, to compare before and after a run that must change nothing. */
export async function rowCounts(database: Database): Promise<Record<string, number>> {
  const tables = await database.query<{ tablename: string }>(
    "select tablename from pg_tables where schemaname = 'public' order by tablename",
  );
  const counts: Record<string, number> = {};
  for (const { tablename } of tables) {
    const [row] = await database.query<{ n: string | number }>(
      `select count(*) as n from "${tablename}"`,
    );
    counts[tablename] = Number(row?.n ?? 0);
  }
  return counts;
}
