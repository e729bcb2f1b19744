/**
 * FQ, SX, XS and DW of a region (an organization's subtree) for one graduation year, with the
 * same for each direct child organization that is a region, and their daily snapshots (SPEC §5,
 * §6 digests).
 *
 * The database does the counting in one set-based statement: it groups the region's people by
 * where they graduated (which child subtree, if any), where their outcome goes (likewise), and
 * the outcome's reason, state and retained flag. The domain module turns those few hundred
 * groups into A…F, so the population rules live only there.
 */
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";
import { within } from "../db/queries/subtree.ts";
import { indicatorSnapshots, organizations } from "../db/schema.ts";
import type { ApplicationState, TransferReason } from "../domain/application.ts";
import {
  COUNTED_IDENTITIES,
  countIndicators,
  dwRate,
  fqRate,
  hasGraduates,
  type Indicator,
  type IndicatorCounts,
  type IndicatorValue,
  indicatorValue,
  isBreakdownRegion,
  type OutcomeGroup,
  type Rate,
  sxRate,
  xsRate,
} from "../domain/indicators.ts";
import { isLeadingOrgan } from "../domain/organization.ts";
import { isWithin } from "../domain/tree.ts";

export interface OrgRef {
  id: number;
  name: string;
}

/** The rates of some counts; a rate is `{ value: null }` when not applicable. */
export interface Rates {
  fq: Rate;
  sx: Rate;
  xs: Rate;
  dw: Rate;
}

/** The counts of one region with its rates. */
export interface RegionRates extends Rates {
  org: OrgRef;
  counts: IndicatorCounts;
}

export type RatesResult =
  | (RegionRates & {
      ok: true;
      year: number;
      /** When the counts were read (the caller's clock). */
      asOf: Date;
      /**
       * Each direct child organization with graduates, its own subtree being its region (§5:
       * special-unit libraries and overseas branches are not regions); ordered by id.
       */
      children: RegionRates[];
      /** The child regions nobody graduates from or transfers into: summarised, not listed. */
      childrenWithoutGraduates: OrgRef[];
    })
  | { ok: false; reason: "unknown_org" };

/** The members the indicators count: graduates of `year`, under 28 in their graduation month. */
const countedGraduates = (year: number) => sql`m.graduation_year = ${year}
  and m.identity = any(${sql.param(COUNTED_IDENTITIES)}::text[]) and not m.ages_out`;

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
where ${countedGraduates(year)}
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
  where ${within(sql`o.path`, path)} and (k.id = ${orgId} or k.parent_id = ${orgId})`;

/**
 * As `groupsSql` for a region that holds a small part of the tree (a county of a city): its
 * organizations and their keys come as a list, and only the people who graduated from or go to
 * one of them are read, through the indexes on either column, not every graduate of the year.
 */
const listedGroupsSql = (scope: { id: number; key: number }[], year: number) => {
  const ids = sql.param(scope.map((s) => s.id));
  const keys = sql.param(scope.map((s) => s.key));
  return sql`
select so.key as origin, sd.key as destination, m.outcome_reason as reason,
  m.outcome_state as state, m.outcome_retained as retained, count(*)::int as n
from members m
left join unnest(${ids}::int[], ${keys}::int[]) so(id, key) on so.id = m.graduation_branch_id
left join unnest(${ids}::int[], ${keys}::int[]) sd(id, key) on sd.id = m.outcome_destination_id
where ${countedGraduates(year)}
  and (m.graduation_branch_id = any(${ids}::int[]) or m.outcome_destination_id = any(${ids}::int[]))
group by 1, 2, 3, 4, 5`;
};

/**
 * A region with at most this share of all organizations reads its people by index
 * (`listedGroupsSql`); a larger one reads the year's graduates once, which is then cheaper
 * (measured at 100,000 graduates: a county of a city 150 ms → a few ms by index).
 */
const LISTED_REGION_SHARE = 0.1;

/**
 * The organizations of a region with their keys (`regionScope`) when it is small enough to be
 * listed (`LISTED_REGION_SHARE`); null for a larger one, whose rows are not fetched.
 */
async function listedScope(
  db: Db,
  orgId: number,
  path: string,
): Promise<{ id: number; key: number }[] | null> {
  const rows = rowsOf<{ id: number | null; key: number | null; listed: boolean }>(
    await db.execute(
      sql`with s as (${regionScope(orgId, path)}),
          size as (select (select count(*) from s) <=
                          (select count(*) from organizations) * ${LISTED_REGION_SHARE}::float8 as listed)
          select s.id, s.key, size.listed from size left join s on size.listed`,
    ),
  );
  if (!rows[0]?.listed) return null;
  return rows.filter((r) => r.id !== null).map((r) => ({ id: r.id!, key: r.key! }));
}

/**
 * The deepest of `ids` at or above each organization, as an array indexed by organization id
 * (0: none). Handed to the counting as one array parameter and read by subscript: joined as a
 * list instead, the planner, which knows nothing of a list's distinct values, expected millions
 * of rows from the join and hashed the members side to disk (8 s for 1M graduates, 0.5 s so).
 */
async function deepestOf(db: Db, ids: number[]): Promise<number[]> {
  const rows = rowsOf<{ id: number; key: number }>(
    await db.execute(sql`
      select distinct on (o.id) o.id, x.id as key
      from organizations o,
        unnest(string_to_array(trim(both '/' from o.path), '/')::int[]) with ordinality x(id, depth)
      where x.id = any(${sql.param(ids)}::int[])
      order by o.id, x.depth desc`),
  );
  const keyOf = new Array<number>(rows.reduce((max, r) => Math.max(max, r.id), 0)).fill(0);
  for (const { id, key } of rows) keyOf[id - 1] = key;
  return keyOf;
}

/** As `groupsSql`, the keys read from `deepestOf`'s array (people outside it: both null). */
const keyedGroupsSql = (keyOf: number[], year: number) => sql`
select nullif((${sql.param(keyOf)}::int[])[m.graduation_branch_id], 0) as origin,
  nullif((${sql.param(keyOf)}::int[])[m.outcome_destination_id], 0) as destination,
  m.outcome_reason as reason, m.outcome_state as state, m.outcome_retained as retained,
  count(*)::int as n
from members m
where ${countedGraduates(year)}
group by 1, 2, 3, 4, 5`;

interface GroupRow {
  origin: number | null;
  destination: number | null;
  reason: TransferReason | null;
  state: ApplicationState | null;
  retained: boolean;
  n: number;
}

async function outcomeGroups(db: Db, statement: SQL): Promise<OutcomeGroup<number>[]> {
  const rows = rowsOf<GroupRow>(await db.execute(statement));
  return rows
    .filter((r) => r.origin !== null || r.destination !== null)
    .map((r) => ({
      origin: r.origin,
      destination: r.destination,
      reason: r.reason,
      state: r.state,
      retainAtSchool: r.retained,
      count: r.n,
    }));
}

/** The rates of complete counts. */
export function ratesOf(counts: IndicatorCounts): Rates {
  return { fq: fqRate(counts), sx: sxRate(counts), xs: xsRate(counts), dw: dwRate(counts) };
}

function regionRates(org: OrgRef, counts: IndicatorCounts): RegionRates {
  return { org, counts, ...ratesOf(counts) };
}

/** The direct children of `orgId` that are regions of a breakdown (§5), by id. */
async function childRegions(db: Db, orgId: number): Promise<OrgRef[]> {
  const rows = await db
    .select({ id: organizations.id, name: organizations.name, category: organizations.category })
    .from(organizations)
    .where(eq(organizations.parentId, orgId))
    .orderBy(organizations.id);
  return rows.filter(isBreakdownRegion).map(({ id, name }) => ({ id, name }));
}

/** Child regions with graduates are listed; the others are only summarised (§5). */
function byGraduates<T extends { org: OrgRef; counts: Parameters<typeof hasGraduates>[0] }>(
  regions: T[],
): { children: T[]; childrenWithoutGraduates: OrgRef[] } {
  return {
    children: regions.filter((r) => hasGraduates(r.counts)),
    childrenWithoutGraduates: regions.filter((r) => !hasGraduates(r.counts)).map((r) => r.org),
  };
}

/** The rates of `orgId`'s subtree for graduation year `year`, and of each direct child. */
export async function rates(db: Db, orgId: number, year: number, now: Date): Promise<RatesResult> {
  const [org] = await db
    .select({ id: organizations.id, name: organizations.name, path: organizations.path })
    .from(organizations)
    .where(eq(organizations.id, orgId));
  if (!org) return { ok: false, reason: "unknown_org" };
  const [children, scope] = await Promise.all([
    childRegions(db, orgId),
    listedScope(db, org.id, org.path),
  ]);
  const groups = await outcomeGroups(
    db,
    scope ? listedGroupsSql(scope, year) : groupsSql(regionScope(org.id, org.path), year),
  );
  const region = regionRates(
    { id: org.id, name: org.name },
    countIndicators(groups, () => true),
  );
  const breakdown = children.map((child) =>
    regionRates(
      child,
      countIndicators(groups, (key) => key === child.id),
    ),
  );
  return { ok: true, ...region, year, asOf: now, ...byGraduates(breakdown) };
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
  const groups = await outcomeGroups(
    db,
    keyedGroupsSql(
      await deepestOf(
        db,
        organs.map((o) => o.id),
      ),
      year,
    ),
  );
  const { containing, groupsOf } = byOrgan(organs, groups);
  const rows = organs.map((organ) => ({
    orgId: organ.id,
    graduationYear: year,
    day,
    takenAt: now,
    ...countIndicators(
      groupsOf.get(organ.id) ?? [],
      (key) => containing.get(key)?.has(organ.id) ?? false,
    ),
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
        g: sql`excluded.g`,
        initiated: sql`excluded.initiated`,
        takenAt: sql`excluded.taken_at`,
      },
    });
  return rows.length;
}

/**
 * Which organs contain each key (the organ itself and those above it), and the groups that
 * concern each organ: a group comes from or goes into the few organs above its two keys, so
 * each organ counts its own groups instead of every organ reading all of them.
 */
function byOrgan<T extends { origin: number | null; destination: number | null }>(
  organs: { id: number; path: string }[],
  groups: T[],
): { containing: Map<number, Set<number>>; groupsOf: Map<number, T[]> } {
  const containing = new Map(
    organs.map((key) => [
      key.id,
      new Set(organs.filter((organ) => isWithin(key, organ)).map((organ) => organ.id)),
    ]),
  );
  const groupsOf = new Map<number, T[]>();
  for (const group of groups) {
    const concerned = new Set([
      ...(containing.get(group.origin ?? 0) ?? []),
      ...(containing.get(group.destination ?? 0) ?? []),
    ]);
    for (const organ of concerned) {
      const list = groupsOf.get(organ);
      if (list) list.push(group);
      else groupsOf.set(organ, [group]);
    }
  }
  return { containing, groupsOf };
}

/**
 * Counts as a snapshot keeps them. Snapshots taken before DW and FQ were recorded have no G and
 * no initiated count (null): those two rates are then unknown, never 0%.
 */
export type RecordedCounts = Omit<IndicatorCounts, "g" | "initiated"> & {
  g: number | null;
  initiated: number | null;
};

export interface Snapshot {
  day: string;
  takenAt: Date;
  counts: RecordedCounts;
}

/** One indicator of recorded counts; null when the snapshot did not record it. */
export function recordedValue(indicator: Indicator, counts: RecordedCounts): IndicatorValue | null {
  if (indicator === "dw" && counts.g === null) return null;
  if (indicator === "fq" && counts.initiated === null) return null;
  return indicatorValue(indicator, {
    ...counts,
    g: counts.g ?? 0,
    initiated: counts.initiated ?? 0,
  });
}

/** The rates of recorded counts; one that was not recorded is not applicable. */
export function recordedRates(counts: RecordedCounts): Rates {
  const rate = (indicator: Indicator) => recordedValue(indicator, counts)?.rate ?? { value: null };
  return { fq: rate("fq"), sx: rate("sx"), xs: rate("xs"), dw: rate("dw") };
}

const snapshotColumns = {
  orgId: indicatorSnapshots.orgId,
  day: indicatorSnapshots.day,
  takenAt: indicatorSnapshots.takenAt,
  a: indicatorSnapshots.a,
  b: indicatorSnapshots.b,
  c: indicatorSnapshots.c,
  d: indicatorSnapshots.d,
  e: indicatorSnapshots.e,
  f: indicatorSnapshots.f,
  g: indicatorSnapshots.g,
  initiated: indicatorSnapshots.initiated,
};

function toSnapshot(row: { day: string; takenAt: Date } & RecordedCounts): Snapshot {
  const { day, takenAt, ...counts } = row;
  return { day, takenAt, counts };
}

/** The snapshot of `orgId` on `day`, or null when none was taken then. */
export async function snapshotFor(
  db: Db,
  orgId: number,
  year: number,
  day: string,
): Promise<Snapshot | null> {
  const [row] = await db
    .select(snapshotColumns)
    .from(indicatorSnapshots)
    .where(
      and(
        eq(indicatorSnapshots.orgId, orgId),
        eq(indicatorSnapshots.graduationYear, year),
        eq(indicatorSnapshots.day, day),
      ),
    );
  if (!row) return null;
  const { orgId: _, ...rest } = row;
  return toSnapshot(rest);
}

/** The snapshots of several organizations on one day, by organization id. */
export async function snapshotsOn(
  db: Db,
  orgIds: number[],
  year: number,
  day: string,
): Promise<Map<number, Snapshot>> {
  if (orgIds.length === 0) return new Map();
  const rows = await db
    .select(snapshotColumns)
    .from(indicatorSnapshots)
    .where(
      and(
        inArray(indicatorSnapshots.orgId, orgIds),
        eq(indicatorSnapshots.graduationYear, year),
        eq(indicatorSnapshots.day, day),
      ),
    );
  return new Map(rows.map(({ orgId, ...rest }) => [orgId, toSnapshot(rest)]));
}

/** "YYYY-MM-DD" moved by whole calendar days. */
export function shiftDay(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A region's counts as recorded, with their rates. */
export interface RecordedRegion extends Rates {
  org: OrgRef;
  counts: RecordedCounts;
}

/** A region's rates with its breakdown, read live (`rates`) or from snapshots. */
export interface RegionBreakdown extends RecordedRegion {
  year: number;
  /** When the counts were read or taken. */
  asOf: Date;
  children: RecordedRegion[];
  childrenWithoutGraduates: OrgRef[];
}

export type RecordedRatesResult =
  | (RegionBreakdown & {
      ok: true;
      /** The day of the snapshot the counts come from. */
      day: string;
      /** Child regions without a snapshot that day: only leading organs are recorded. */
      childrenNotRecorded: OrgRef[];
      /** The rates of the snapshot a day earlier, for the change. */
      previous: Rates | null;
    })
  | { ok: false; reason: "unknown_org" | "not_recorded" };

/**
 * The rates of `orgId` as the daily snapshots recorded them nearest to `asOf` (the end of
 * `day`): the snapshot of `day` or of the day after, whichever was taken closer to it, each
 * child region from its own snapshot of that day, and the change from the snapshot a day
 * earlier. What was never recorded (a child that is not a leading organ, DW and FQ before they
 * were recorded) is said to be so, never guessed.
 */
export async function recordedRegionRates(
  db: Db,
  orgId: number,
  year: number,
  day: string,
  asOf: Date,
): Promise<RecordedRatesResult> {
  const [org] = await db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(eq(organizations.id, orgId));
  if (!org) return { ok: false, reason: "unknown_org" };
  const candidates = [
    await snapshotFor(db, orgId, year, day),
    await snapshotFor(db, orgId, year, shiftDay(day, 1)),
  ].filter((s) => s !== null);
  const distance = (s: Snapshot) => Math.abs(s.takenAt.getTime() - asOf.getTime());
  const [chosen] = candidates.sort((x, y) => distance(x) - distance(y));
  if (!chosen) return { ok: false, reason: "not_recorded" };
  const before = await snapshotFor(db, orgId, year, shiftDay(chosen.day, -1));
  const children = await childRegions(db, orgId);
  const recorded = await snapshotsOn(
    db,
    children.map((c) => c.id),
    year,
    chosen.day,
  );
  const breakdown: RecordedRegion[] = [];
  const notRecorded: OrgRef[] = [];
  for (const child of children) {
    const snapshot = recorded.get(child.id);
    if (snapshot)
      breakdown.push({ org: child, counts: snapshot.counts, ...recordedRates(snapshot.counts) });
    else notRecorded.push(child);
  }
  return {
    ok: true,
    org,
    counts: chosen.counts,
    ...recordedRates(chosen.counts),
    year,
    asOf: chosen.takenAt,
    day: chosen.day,
    ...byGraduates(breakdown),
    childrenNotRecorded: notRecorded,
    previous: before ? recordedRates(before.counts) : null,
  };
}
