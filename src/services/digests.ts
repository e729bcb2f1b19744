/**
 * §6 daily digests: one outbox event per bound chat and day, and what each says. The dedupe key
 * is the chat and the day (src/notices/events.ts), so restarts, catch-ups and copies can never
 * post a second digest to a chat that day; the content is read when it is delivered
 * (`digestFor`, rendered by src/dialogs/digest.ts), so a digest queued at 08:30 and delivered
 * after a restart still tells the truth.
 */
import { eq, sql } from "drizzle-orm";
import { type Db, rowsOf, type Tx } from "../db/client.ts";
import { within } from "../db/queries/subtree.ts";
import { organizations } from "../db/schema.ts";
import type { Season } from "../domain/calendar.ts";
import { COUNTED_IDENTITIES } from "../domain/indicators.ts";
import { type NotPlacedCount, notPlacedSignal, type SchoolShare } from "../domain/notPlaced.ts";
import { isLeadingOrgan } from "../domain/organization.ts";
import { dedupeKeySql, type EventName } from "../notices/events.ts";
import { countToEnter } from "./exports/index.ts";
import { type Leftover, leftoversUnder } from "./leftovers.ts";
import { orgQueueSummary, type QueueSummary } from "./queues.ts";
import {
  type OrgRef,
  type Rates,
  type RegionBreakdown,
  rates,
  recordedRates,
  recordedRegionRates,
  shiftDay,
  snapshotFor,
} from "./rates.ts";
import { type RegionItem, type RegionSummary, regionItems, regionSummary } from "./regionQueue.ts";
import { type TargetReport, targetReport } from "./targets.ts";
import { WARNING_AHEAD_MS } from "./warnings.ts";

const digest = "digest" satisfies EventName;
const chat = sql`b.channel || ':' || b.chat_id`;

export async function queueDigests(tx: Tx, day: string): Promise<number> {
  const queued = rowsOf<{ id: number }>(
    await tx.execute(sql`
      insert into outbox (event, recipient_type, recipient_id, payload, dedupe_key, status)
      select ${digest}::text, 'chat', ${chat},
             jsonb_build_object('orgId', b.org_id, 'day', ${day}::text),
             ${dedupeKeySql(digest, { day }, { type: "chat", id: chat })}, 'queued'
      from chat_bindings b
      on conflict do nothing
      returning id`),
  );
  return queued.length;
}

/** Applications the digest lists by name before it only counts them. */
export const LISTED = 5;

export interface Digest {
  org: { id: number; name: string };
  day: string;
  /** The queue; `returningBySoon`: R27 returns them within the warning window. */
  pending: QueueSummary;
  /** Leading organs: what waits anywhere below (R29), and the first of those returned soon. */
  region: (RegionSummary & { soon: RegionItem[] }) | null;
  /** Leading organs only. */
  indicators: {
    current: RegionBreakdown & { childrenNotRecorded?: OrgRef[] };
    /** The rates of the day before, for "since yesterday". */
    previous: Rates | null;
    /**
     * The day of the snapshot the rates come from, for a digest of a past day (the CLI's
     * `--date`); null when they were counted live.
     */
    recordedDay: string | null;
    /** §5: each rate against the target due next, and the children below their targets. */
    targets?: TargetReport;
    /** R18: the region's share of "not placed" and the schools far above it; today's only. */
    notPlaced: { flagged: SchoolShare[]; region: NotPlacedCount } | null;
  } | null;
  /** A digest of a past day asked for rates nobody recorded then. */
  ratesNotRecorded?: boolean;
  /** R14, R15: members retained past their 6-month point under the organization. */
  leftovers?: Leftover[];
  /** Completed transfers still to be entered in 智慧团建 (issue 18), when there are any. */
  toEnter?: number;
}

/**
 * R18: per graduating organization inside the region, the season's graduates with an outcome
 * (§5, kept on `members`) and how many of those outcomes are "not placed"; the domain flags.
 */
async function notPlacedShares(db: Db, path: string, year: number) {
  const counts = rowsOf<{ path: string; notPlaced: number; total: number }>(
    await db.execute(sql`
      select o.path, count(*) filter (where m.outcome_reason = 'not_placed')::int as "notPlaced",
             count(*)::int as total
      from members m join organizations o on o.id = m.graduation_branch_id
      where m.graduation_year = ${year} and m.outcome_reason is not null
        and m.identity = any(${sql.param(COUNTED_IDENTITIES)}::text[])
        and ${within(sql`o.path`, path)}
      group by o.path`),
  );
  const schools = await db
    .select()
    .from(organizations)
    .where(
      sql`${within(organizations.path, path)} and ${organizations.domain} = 'school' and ${organizations.kind} = 'committee'`,
    );
  return notPlacedSignal(counts, new Map(schools.map((s) => [s.id, s])));
}

/** A leading organ's rates for its digest: live, or with `recorded` as recorded by `day`. */
async function indicatorsOf(
  db: Db,
  org: { id: number; path: string },
  day: string,
  now: Date,
  season: Season,
  recorded: boolean,
): Promise<{ indicators: Digest["indicators"]; ratesNotRecorded: boolean }> {
  if (recorded) {
    const found = await recordedRegionRates(db, org.id, season.year, day, now);
    if (!found.ok) return { indicators: null, ratesNotRecorded: true };
    const { previous, day: recordedDay, ...current } = found;
    const targets = await targetReport(db, current, now, season);
    return {
      indicators: { current, previous, recordedDay, targets, notPlaced: null },
      ratesNotRecorded: false,
    };
  }
  const current = await rates(db, org.id, season.year, now);
  if (!current.ok) return { indicators: null, ratesNotRecorded: false };
  const [before, targets, notPlaced] = await Promise.all([
    snapshotFor(db, org.id, season.year, shiftDay(day, -1)),
    targetReport(db, current, now, season),
    notPlacedShares(db, org.path, season.year),
  ]);
  return {
    indicators: {
      current,
      previous: before ? recordedRates(before.counts) : null,
      recordedDay: null,
      targets,
      notPlaced,
    },
    ratesNotRecorded: false,
  };
}

/**
 * What the digest of `orgId` for `day` says at `now`; null when the organization is gone.
 * With `recorded`, `now` is a past moment (the end of a past `day`, for the CLI): queue ages and
 * due dates are counted at `now`, and the rates are read from the snapshots nearest to it.
 */
export async function digestFor(
  db: Db,
  orgId: number,
  day: string,
  now: Date,
  season: Season,
  options: { recorded?: boolean } = {},
): Promise<Digest | null> {
  const [org] = await db
    .select({
      id: organizations.id,
      name: organizations.name,
      path: organizations.path,
      kind: organizations.kind,
      level: organizations.level,
    })
    .from(organizations)
    .where(eq(organizations.id, orgId));
  if (!org) return null;
  // Names and counts only: group chats never see ID numbers (R4).
  const soon = new Date(now.getTime() + WARNING_AHEAD_MS);
  const leading = isLeadingOrgan(org);
  const soonPage = { offset: 0, limit: LISTED, soonOnly: true };
  // Issued together, the reads reach the database in one round trip (the driver pipelines them).
  const [pending, summary, soonItems, rated, leftovers, toEnter] = await Promise.all([
    orgQueueSummary(db, org.id, { now, soon, listed: LISTED }, season),
    leading ? regionSummary(db, org, now, season) : null,
    leading ? regionItems(db, org, soonPage, now, season) : null,
    leading ? indicatorsOf(db, org, day, now, season, options.recorded ?? false) : null,
    leftoversUnder(db, org, now, season),
    countToEnter(db, org.path),
  ]);
  const region: Digest["region"] = summary && soonItems && { ...summary, soon: soonItems };
  const indicators: Digest["indicators"] = rated?.indicators ?? null;
  const ratesNotRecorded = rated?.ratesNotRecorded ?? false;
  return {
    org: { id: org.id, name: org.name },
    day,
    pending,
    region,
    indicators,
    ...(ratesNotRecorded ? { ratesNotRecorded } : {}),
    ...(leftovers.length > 0 ? { leftovers } : {}),
    ...(toEnter > 0 ? { toEnter } : {}),
  };
}
