/**
 * Issue 20.2: reminders and escalation before the R27 auto-return. Run by the hourly sweep:
 * - the deciding chats are reminded `stageHours` (72 h, 168 h) after an application's R27
 *   clock started at its stage, in one message per organization and run;
 * - at `escalationHours` (192 h) the leading organ above the deciding organization is told
 *   what will be returned and at whom it waits;
 * - in the review period's last days, each deciding organization hears daily what waits;
 * - a member's nudge (催办), once a day per application, reminds the deciding chats at once,
 *   or at the end of the quiet hours when made at night.
 * Each is recorded in `stage_reminders` (once per application, kind and stage) and queued with
 * an outbox dedupe key; nothing is queued during the quiet hours.
 */
import { sql } from "drizzle-orm";
import { atomically, type Db, query, type Tx } from "../db/client.ts";
import { dayIn, type Season } from "../domain/calendar.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import {
  clockRunSince,
  dueReminderHours,
  hoursOnClock,
  inReviewLastDays,
  isQuiet,
  nextAwake,
} from "../domain/reminders.ts";
import { alreadyDecided, loadApplication } from "./decisions/index.ts";
import { type Notice, notify } from "./notify.ts";
import { type Refusal, refuse } from "./result.ts";

const open = sql.join(
  OPEN_STATES.map((s) => sql`${s}`),
  sql`, `,
);

interface Waiting {
  id: number;
  stageSince: Date;
  decidingOrgId: number;
}

/** Records `kind` for these applications; returns those recorded now (not before). */
async function record(tx: Tx, items: Waiting[], kind: string, now: Date): Promise<Waiting[]> {
  if (items.length === 0) return [];
  const rows = await query<{ id: number }>(
    tx,
    sql`insert into stage_reminders (application_id, kind, stage_since, requested_at, queued_at)
        select v.id, ${kind}, v.since, ${now.toISOString()}::timestamptz,
               ${now.toISOString()}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(
          items.map((i) => ({ id: i.id, since: i.stageSince.toISOString() })),
        )}::jsonb) as v(id int, since timestamptz)
        on conflict do nothing
        returning application_id as id`,
  );
  const fresh = new Set(rows.map((r) => Number(r.id)));
  return items.filter((i) => fresh.has(i.id));
}

function byOrg(items: Waiting[], orgOf: (i: Waiting) => number | undefined) {
  const groups = new Map<number, number[]>();
  for (const i of items) {
    const org = orgOf(i);
    if (org === undefined) continue;
    groups.set(org, [...(groups.get(org) ?? []), i.id]);
  }
  return groups;
}

/** The nearest leading organ strictly above each organization (county committee and up). */
async function leadersAbove(tx: Tx, orgIds: number[]): Promise<Map<number, number>> {
  if (orgIds.length === 0) return new Map();
  const rows = await query<{ org: number; leader: number | null }>(
    tx,
    sql`select o.id as org, (
          select x.id
          from unnest(string_to_array(trim(both '/' from o.path), '/')::int[])
            with ordinality x(id, depth)
          join organizations l on l.id = x.id
          where x.id <> o.id and l.kind = 'committee'
            and l.level in ('county', 'city', 'provincial', 'central')
          order by x.depth desc limit 1) as leader
        from organizations o where o.id = any(${sql.param(orgIds)}::int[])`,
  );
  return new Map(rows.flatMap((r) => (r.leader === null ? [] : [[r.org, r.leader]])));
}

/** Everything due at `now` (the sweep's hour); returns how many messages were queued. */
export async function queueStageReminders(tx: Tx, season: Season, now: Date): Promise<number> {
  const settings = season.reminders;
  if (isQuiet(now, season.timezone, settings.quietHours)) return 0;
  const notices: Notice[] = [];
  const at = now.toISOString();
  const first = Math.min(...settings.stageHours, settings.escalationHours);
  const since = clockRunSince(season, first, now);
  // Before the wrap-up's clock has run the first reminder's hours, nothing is due; escalated
  // applications have had every reminder of their stage.
  const waiting = since
    ? await query<{ id: number; stageSince: Date; decidingOrgId: number }>(
        tx,
        sql`select a.id, a.stage_since as "stageSince", a.deciding_org_id as "decidingOrgId"
            from applications a
            where a.state in (${open}) and a.deciding_org_id is not null
              and a.stage_since <= ${since.toISOString()}::timestamptz
              and not exists (select 1 from stage_reminders r
                              where r.application_id = a.id and r.kind = 'escalation'
                                and r.stage_since = a.stage_since)`,
        { stageSince: "date" },
      )
    : [];
  const onClock = waiting.map((w) => ({ w, hours: hoursOnClock(season, w.stageSince, now) }));
  for (const hours of settings.stageHours) {
    const due = onClock
      .filter((c) => dueReminderHours(c.hours, settings.stageHours) === hours)
      .map((c) => c.w);
    const fresh = await record(tx, due, `h${hours}`, now);
    for (const [org, applicationIds] of byOrg(fresh, (i) => i.decidingOrgId)) {
      notices.push({
        event: "stage_reminder",
        to: { org },
        payload: { hours, applicationIds },
        key: { hours, run: at },
      });
    }
  }
  const escalating = await record(
    tx,
    onClock.filter((c) => c.hours >= settings.escalationHours).map((c) => c.w),
    "escalation",
    now,
  );
  const leaders = await leadersAbove(tx, [...new Set(escalating.map((e) => e.decidingOrgId))]);
  for (const [org, applicationIds] of byOrg(escalating, (i) => leaders.get(i.decidingOrgId))) {
    notices.push({
      event: "escalation",
      to: { org },
      payload: { hours: settings.escalationHours, applicationIds },
      key: { run: at },
    });
  }
  if (inReviewLastDays(season, now, settings.reviewLastDays)) {
    const day = dayIn(now, season.timezone);
    const orgs = await query<{ org: number }>(
      tx,
      sql`select distinct deciding_org_id as org from applications
          where state in (${open}) and deciding_org_id is not null`,
    );
    for (const { org } of orgs) {
      notices.push({
        event: "review_reminder",
        to: { org },
        payload: { day },
        key: { day },
      });
    }
  }
  notices.push(...(await nudgesWaiting(tx, now)));
  for (let i = 0; i < notices.length; i += 1_000) await notify(tx, notices.slice(i, i + 1_000));
  return notices.length;
}

const nudgeNotice = (id: number, decidingOrgId: number, kind: string, since: Date): Notice => ({
  event: "nudge",
  to: { org: decidingOrgId },
  payload: { applicationId: id },
  key: { applicationId: id, kind, stageSince: since.toISOString() },
});

/** Nudges made in the quiet hours, now sent (those whose application moved on are dropped). */
async function nudgesWaiting(tx: Tx, now: Date): Promise<Notice[]> {
  const rows = await query<{ id: number; kind: string; since: Date; org: number | null }>(
    tx,
    sql`update stage_reminders r set queued_at = ${now.toISOString()}::timestamptz
        from applications a
        where r.queued_at is null and a.id = r.application_id
        returning r.application_id as id, r.kind, r.stage_since as since,
          case when a.state in (${open}) and a.stage_since = r.stage_since
               then a.deciding_org_id end as org`,
    { since: "date" },
  );
  return rows.flatMap((r) =>
    r.org === null ? [] : [nudgeNotice(Number(r.id), r.org, r.kind, r.since)],
  );
}

export type Nudged = { ok: true; applicationId: number; deferredTo: Date | null };

/**
 * R27 催办: the member asks the deciding chats about their open application, once a day per
 * application. In the quiet hours it is kept and sent when they end (`deferredTo`).
 */
export async function nudge(
  db: Db,
  input: { memberId: number; applicationId: number },
  now: Date,
  season: Season,
): Promise<Nudged | Refusal> {
  return atomically(db, async (tx) => {
    const app = await loadApplication(tx, input.applicationId);
    if (!app || app.memberId !== input.memberId) return refuse({ reason: "not_permitted" });
    if (!(OPEN_STATES as readonly string[]).includes(app.state) || !app.decidingOrgId) {
      return alreadyDecided(tx, app);
    }
    const kind = `nudge:${dayIn(now, season.timezone)}`;
    const quiet = isQuiet(now, season.timezone, season.reminders.quietHours);
    const [row] = await query<{ id: number }>(
      tx,
      sql`insert into stage_reminders (application_id, kind, stage_since, requested_at, queued_at)
          values (${app.id}, ${kind}, ${app.stageSince.toISOString()}::timestamptz,
            ${now.toISOString()}::timestamptz,
            ${quiet ? null : now.toISOString()}::timestamptz)
          on conflict do nothing returning application_id as id`,
    );
    if (!row) return refuse({ reason: "nudged_today" });
    if (!quiet) await notify(tx, [nudgeNotice(app.id, app.decidingOrgId, kind, app.stageSince)]);
    return {
      ok: true,
      applicationId: app.id,
      deferredTo: quiet ? nextAwake(now, season.timezone, season.reminders.quietHours) : null,
    };
  });
}
