/**
 * R29: what waits anywhere below a leading organ, so that no stage goes unseen even where the
 * deciding organization has no chat: counts by stage and by how long they have waited, what
 * R27 returns within the warning window, and the applications themselves, oldest first, a page
 * at a time. Read with two set-based statements, whatever the size of the region.
 */
import { type SQL, sql } from "drizzle-orm";
import { type Queryable, query } from "../db/client.ts";
import { within } from "../db/queries/subtree.ts";
import type { ApplicationState } from "../domain/application.ts";
import { autoReturnAt, autoReturnCutoff, daysWaiting, type Season } from "../domain/calendar.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import { WARNING_AHEAD_MS } from "./warnings.ts";

const DAY_MS = 86_400_000;

/**
 * The upper bounds (whole days waited, inclusive) of the age groups; the last group is
 * everything beyond the R27 limit.
 */
export function ageBounds(season: Season): number[] {
  return [3, 7, season.autoReturnDays];
}

export interface StageCount {
  state: ApplicationState;
  count: number;
  /** Per age group of `ageBounds`, then one more for those beyond the last bound. */
  byAge: number[];
}

export interface RegionSummary {
  total: number;
  stages: StageCount[];
  /** Returned by R27 within the warning window (2 days). */
  returningSoon: number;
}

export interface RegionItem {
  id: number;
  memberName: string;
  state: ApplicationState;
  decidingOrgName: string;
  stageSince: Date;
  daysWaiting: number;
  autoReturnAt: Date;
}

/** Written out, not bound: the partial index `applications_open_age_idx` has this predicate. */
const openList = sql.raw(OPEN_STATES.map((s) => `'${s}'`).join(", "));

/** Open applications decided strictly below the organization with this path. */
const below = (orgId: number, path: string) => sql`
  a.state in (${openList}) and ${within(sql`o.path`, path)} and o.id <> ${orgId}`;

/** Stage starts at or before this are returned by R27 within the warning window. */
function soonCutoff(season: Season, now: Date): Date | null {
  return autoReturnCutoff(season, new Date(now.getTime() + WARNING_AHEAD_MS));
}

export async function regionSummary(
  db: Queryable,
  org: { id: number; path: string },
  now: Date,
  season: Season,
): Promise<RegionSummary> {
  // "Waited at most n whole days" is "entered the stage less than n + 1 days ago".
  const ages = ageBounds(season).map(
    (days, i) =>
      sql`count(*) filter (where a.stage_since > ${new Date(now.getTime() - (days + 1) * DAY_MS).toISOString()}::timestamptz)::int as ${sql.identifier(`a${i}`)}`,
  );
  const cutoff = soonCutoff(season, now);
  const soon = cutoff
    ? sql`count(*) filter (where a.stage_since <= ${cutoff.toISOString()}::timestamptz)::int`
    : sql`0`;
  const rows = await query<Record<string, number> & { state: ApplicationState; n: number }>(
    db,
    sql`select a.state, count(*)::int as n, ${sql.join(ages, sql`, `)}, ${soon} as soon
        from applications a join organizations o on o.id = a.deciding_org_id
        where ${below(org.id, org.path)}
        group by a.state`,
  );
  const bounds = ageBounds(season);
  const stages: StageCount[] = [];
  for (const state of OPEN_STATES) {
    const row = rows.find((r) => r.state === state);
    if (!row) continue;
    // The filters count cumulatively (waited at most n days): differences give each group.
    const cumulative = bounds.map((_, i) => Number(row[`a${i}`]));
    const byAge = [...cumulative, row.n].map(
      (c, i) => c - (i === 0 ? 0 : (cumulative[i - 1] ?? 0)),
    );
    stages.push({ state, count: row.n, byAge });
  }
  return {
    total: rows.reduce((sum, r) => sum + r.n, 0),
    stages,
    returningSoon: rows.reduce((sum, r) => sum + Number(r.soon), 0),
  };
}

/** One page of the region's applications, oldest first; `soonOnly`: R27 returns them soon. */
export async function regionItems(
  db: Queryable,
  org: { id: number; path: string },
  page: { offset: number; limit: number; soonOnly: boolean },
  now: Date,
  season: Season,
): Promise<RegionItem[]> {
  let filter: SQL = sql``;
  if (page.soonOnly) {
    const cutoff = soonCutoff(season, now);
    if (!cutoff) return [];
    filter = sql`and a.stage_since <= ${cutoff.toISOString()}::timestamptz`;
  }
  const rows = await query<{
    id: number;
    name: string;
    state: ApplicationState;
    org: string;
    since: Date;
  }>(
    db,
    sql`select a.id, m.name, a.state, o.name as org, a.stage_since as since
        from applications a
        join organizations o on o.id = a.deciding_org_id
        join members m on m.id = a.member_id
        where ${below(org.id, org.path)} ${filter}
        order by a.stage_since, a.id
        limit ${page.limit} offset ${page.offset}`,
    { since: "date" },
  );
  return rows.map((r) => {
    const stageSince = r.since;
    return {
      id: r.id,
      memberName: r.name,
      state: r.state,
      decidingOrgName: r.org,
      stageSince,
      daysWaiting: daysWaiting(stageSince, now),
      autoReturnAt: autoReturnAt(season, stageSince),
    };
  });
}
