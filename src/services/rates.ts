/**
 * SX / XS of a region (an organization's subtree) for one graduation year, with the same for each
 * direct child organization, and their daily snapshots (SPEC §5, §6 digests).
 *
 * The database does the counting in one set-based statement: it groups the region's people by
 * where they graduated (which child subtree, if any), where their outcome goes (likewise), and
 * the outcome's reason, state and retained flag. The domain module turns those few hundred
 * groups into A…F, so the population rules live only there.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";
import { indicatorSnapshots, organizations } from "../db/schema.ts";
import type { ApplicationState, TransferReason } from "../domain/application.ts";
import {
  COUNTED_IDENTITIES,
  countIndicators,
  type IndicatorCounts,
  type OutcomeGroup,
  type Rate,
  sxRate,
  xsRate,
} from "../domain/indicators.ts";
import { isLeadingOrgan } from "../domain/organization.ts";

export interface OrgRef {
  id: number;
  name: string;
}

/** The counts of one region with both rates; a rate is `{ value: null }` when not applicable. */
export interface RegionRates {
  org: OrgRef;
  counts: IndicatorCounts;
  sx: Rate;
  xs: Rate;
}

export type RatesResult =
  | (RegionRates & {
      ok: true;
      year: number;
      /** When the counts were read (the caller's clock). */
      asOf: Date;
      /** Each direct child organization, its own subtree being its region; ordered by id. */
      children: RegionRates[];
    })
  | { ok: false; reason: "unknown_org" };

/**
 * People of graduation year `year` with a counted identity (and under 28 in their graduation
 * month, R31), grouped by the scope keys of where
 * they graduated and where their outcome goes, and by the outcome's reason, state and retained
 * flag, all read from the outcome kept on `members` (src/services/outcomes.ts). `scope` maps
 * organization ids to keys; people with neither key are outside every region asked about and
 * are dropped. The scope is written out twice rather than as a CTE: a CTE read twice is
 * materialized, and a CTE scan keeps the plan from running in parallel workers.
 */
const groupsSql = (scope: SQL, year: number) => sql`
select so.key as origin, sd.key as destination, m.outcome_reason as reason,
  m.outcome_state as state, m.outcome_retained as retained, count(*)::int as n
from members m
left join (${scope}) so on so.id = m.graduation_branch_id
left join (${scope}) sd on sd.id = m.outcome_destination_id
where m.graduation_year = ${year} and m.identity = any(${sql.param(COUNTED_IDENTITIES)}::text[])
  and not m.ages_out
  and (so.key is not null or sd.key is not null)
group by 1, 2, 3, 4, 5`;

/**
 * Keys for one region: the id of the region's own organization or of the direct child whose
 * subtree holds the organization. The key is read from a join with the few key organizations
 * (not computed from the path) so the planner expects few groups and aggregates in parallel.
 */
const regionScope = (orgId: number, path: string) => sql`
  select o.id, k.id as key
  from organizations o
  join organizations k on k.id = case when o.path = ${path} then ${orgId}
    else split_part(substr(o.path, length(${path}) + 1), '/', 1)::int end
  where o.path like ${`${path}%`} and (k.id = ${orgId} or k.parent_id = ${orgId})`;

/** Keys for many regions: the deepest of `ids` at or above each organization. */
const deepestOfScope = (ids: number[]) => sql`
  select o.id, (
    select x.id
    from unnest(string_to_array(trim(both '/' from o.path), '/')::int[]) with ordinality x(id, depth)
    where x.id = any(${sql.param(ids)}::int[])
    order by x.depth desc
    limit 1) as key
  from organizations o`;

interface GroupRow {
  origin: number | null;
  destination: number | null;
  reason: TransferReason | null;
  state: ApplicationState | null;
  retained: boolean;
  n: number;
}

async function outcomeGroups(db: Db, scope: SQL, year: number): Promise<OutcomeGroup<number>[]> {
  const rows = rowsOf<GroupRow>(await db.execute(groupsSql(scope, year)));
  return rows.map((r) => ({
    origin: r.origin,
    destination: r.destination,
    reason: r.reason,
    state: r.state,
    retainAtSchool: r.retained,
    count: r.n,
  }));
}

function regionRates(org: OrgRef, counts: IndicatorCounts): RegionRates {
  return { org, counts, sx: sxRate(counts), xs: xsRate(counts) };
}

/** SX and XS of `orgId`'s subtree for graduation year `year`, and of each direct child. */
export async function rates(db: Db, orgId: number, year: number, now: Date): Promise<RatesResult> {
  const [org] = await db
    .select({ id: organizations.id, name: organizations.name, path: organizations.path })
    .from(organizations)
    .where(eq(organizations.id, orgId));
  if (!org) return { ok: false, reason: "unknown_org" };
  const children = await db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(eq(organizations.parentId, orgId))
    .orderBy(organizations.id);
  const groups = await outcomeGroups(db, regionScope(org.id, org.path), year);
  const region = regionRates(
    { id: org.id, name: org.name },
    countIndicators(groups, () => true),
  );
  return {
    ok: true,
    ...region,
    year,
    asOf: now,
    children: children.map((child) =>
      regionRates(
        child,
        countIndicators(groups, (key) => key === child.id),
      ),
    ),
  };
}

/**
 * Stores today's counts of every leading organ (committees at county level and above) for
 * `year`; taking them again on the same day replaces that day's row. Returns how many organs.
 */
export async function takeSnapshots(db: Db, year: number, day: string, now: Date): Promise<number> {
  const committees = await db
    .select({
      id: organizations.id,
      path: organizations.path,
      kind: organizations.kind,
      level: organizations.level,
    })
    .from(organizations)
    .where(eq(organizations.kind, "committee"));
  const organs = committees.filter(isLeadingOrgan);
  if (organs.length === 0) return 0;
  const groups = await outcomeGroups(db, deepestOfScope(organs.map((o) => o.id)), year);
  const pathOf = new Map(organs.map((o) => [o.id, o.path]));
  const rows = organs.map((organ) => ({
    orgId: organ.id,
    graduationYear: year,
    day,
    takenAt: now,
    ...countIndicators(groups, (key) => pathOf.get(key)?.startsWith(organ.path) === true),
  }));
  await db
    .insert(indicatorSnapshots)
    .values(rows)
    .onConflictDoUpdate({
      target: [indicatorSnapshots.orgId, indicatorSnapshots.graduationYear, indicatorSnapshots.day],
      set: {
        a: sql`excluded.a`,
        b: sql`excluded.b`,
        c: sql`excluded.c`,
        d: sql`excluded.d`,
        e: sql`excluded.e`,
        f: sql`excluded.f`,
        takenAt: sql`excluded.taken_at`,
      },
    });
  return rows.length;
}

/** The counts stored for `orgId` on `day`, or null when no snapshot was taken then. */
export async function snapshotFor(
  db: Db,
  orgId: number,
  year: number,
  day: string,
): Promise<IndicatorCounts | null> {
  const [row] = await db
    .select({
      a: indicatorSnapshots.a,
      b: indicatorSnapshots.b,
      c: indicatorSnapshots.c,
      d: indicatorSnapshots.d,
      e: indicatorSnapshots.e,
      f: indicatorSnapshots.f,
    })
    .from(indicatorSnapshots)
    .where(
      and(
        eq(indicatorSnapshots.orgId, orgId),
        eq(indicatorSnapshots.graduationYear, year),
        eq(indicatorSnapshots.day, day),
      ),
    );
  return row ?? null;
}
