/**
 * The daily digest of one bound chat (SPEC §6), and the scheduled notices (R27 warning, R14/R15
 * reminders): what they say is read when they are delivered, so a digest queued at 08:30 and
 * delivered after a restart still tells the truth.
 */
import { eq, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/client.ts";
import { members, organizations } from "../db/schema.ts";
import type { Season } from "../domain/calendar.ts";
import { COUNTED_IDENTITIES, type Indicator, type Rate } from "../domain/indicators.ts";
import { isLeadingOrgan } from "../domain/organization.ts";
import { schoolOf } from "../domain/tree.ts";
import type { Locale } from "../i18n.ts";
import type { EventPayloads } from "../notices/events.ts";
import { countToEnter } from "../services/exports/index.ts";
import { type Leftover, leftoversUnder } from "../services/leftovers.ts";
import { type ApplicationView, applicationView, orgPendingQueue } from "../services/queues.ts";
import {
  type OrgRef,
  type Rates,
  type RegionBreakdown,
  rates,
  recordedRates,
  recordedRegionRates,
  shiftDay,
  snapshotFor,
} from "../services/rates.ts";
import {
  type RegionItem,
  type RegionSummary,
  regionItems,
  regionSummary,
} from "../services/regionQueue.ts";
import { type TargetReport, targetReport } from "../services/targets.ts";
import { WARNING_AHEAD_MS } from "../services/warnings.ts";
import { batchButtons } from "./batchButton.ts";
import { ratesChartSvg, renderChartPng } from "./chart.ts";
import { approveAction, detailsAction, openPendingAction, rejectAction } from "./flows/decide.ts";
import { formatTime } from "./format.ts";
import { leftoverLines } from "./leftoverLines.ts";
import { barText, breakdownLines, byXs, indicatorLines } from "./rateLines.ts";
import { regionButtons, regionSummaryLines } from "./region.ts";
import { translate } from "./render.ts";
import { raw, reply, text } from "./replies.ts";
import { targetReportLines } from "./targetLines.ts";
import type { Reply, Text } from "./types.ts";

const D = (key: string, params?: Text["params"]) => text(`digest:${key}`, params);

/** Applications the digest lists by name before it only counts them. */
const LISTED = 5;

/**
 * R18 (interpretation): a school is flagged when, among its applications of the season, the
 * share of "not placed" is at least this many times the region's, over at least this many.
 */
export const NOT_PLACED_SIGNAL = { ratio: 2, minApplications: 5 } as const;

export function isNotPlacedOutlier(
  school: { notPlaced: number; total: number },
  region: { notPlaced: number; total: number },
): boolean {
  if (school.total < NOT_PLACED_SIGNAL.minApplications || region.total === 0) return false;
  const regionShare = region.notPlaced / region.total;
  return (
    school.notPlaced > 0 && school.notPlaced / school.total >= NOT_PLACED_SIGNAL.ratio * regionShare
  );
}

export interface SchoolShare {
  org: { id: number; name: string };
  notPlaced: number;
  total: number;
}

export interface Digest {
  org: { id: number; name: string };
  day: string;
  pending: ApplicationView[];
  /** Open applications R27 returns within the warning window. */
  returningSoon: ApplicationView[];
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
    notPlaced: { flagged: SchoolShare[]; region: { notPlaced: number; total: number } } | null;
  } | null;
  /** A digest of a past day asked for rates nobody recorded then. */
  ratesNotRecorded?: boolean;
  /** R14, R15: members retained past their 6-month point under the organization. */
  leftovers?: Leftover[];
  /** Completed transfers still to be entered in 智慧团建 (issue 18), when there are any. */
  toEnter?: number;
}

/**
 * Per graduating organization inside the region: the season's graduates with an outcome (§5,
 * kept on `members`) and how many of those outcomes are "not placed".
 */
async function notPlacedShares(db: Db, path: string, year: number) {
  const rows = rowsOf<{ path: string; not_placed: number; total: number }>(
    await db.execute(sql`
      select o.path, count(*) filter (where m.outcome_reason = 'not_placed')::int as not_placed,
             count(*)::int as total
      from members m join organizations o on o.id = m.graduation_branch_id
      where m.graduation_year = ${year} and m.outcome_reason is not null
        and m.identity = any(${sql.param(COUNTED_IDENTITIES)}::text[])
        and o.path like ${`${path}%`}
      group by o.path`),
  );
  const schools = await db
    .select()
    .from(organizations)
    .where(
      sql`${organizations.path} like ${`${path}%`} and ${organizations.domain} = 'school' and ${organizations.kind} = 'committee'`,
    );
  const byId = new Map(schools.map((s) => [s.id, s]));
  const region = { notPlaced: 0, total: 0 };
  const perSchool = new Map<number, SchoolShare>();
  for (const row of rows) {
    region.notPlaced += row.not_placed;
    region.total += row.total;
    const chain = row.path
      .split("/")
      .filter(Boolean)
      .map((id) => byId.get(Number(id)))
      .filter((o) => o !== undefined);
    const school = schoolOf(chain);
    if (!school) continue;
    const share = perSchool.get(school.id) ?? {
      org: { id: school.id, name: school.name },
      notPlaced: 0,
      total: 0,
    };
    share.notPlaced += row.not_placed;
    share.total += row.total;
    perSchool.set(school.id, share);
  }
  const flagged = [...perSchool.values()]
    .filter((s) => isNotPlacedOutlier(s, region))
    .sort((x, y) => y.notPlaced / y.total - x.notPlaced / x.total || x.org.id - y.org.id);
  return { region, flagged };
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
  // Group chats never see ID numbers (R4).
  // An application that entered its stage after `now` was not waiting yet (a past `now`).
  const pending = (await orgPendingQueue(db, org.id, false, now, season)).filter(
    (a) => a.stageSince <= now,
  );
  const soon = now.getTime() + WARNING_AHEAD_MS;
  const returningSoon = pending.filter((a) => a.autoReturnAt && a.autoReturnAt.getTime() <= soon);
  let indicators: Digest["indicators"] = null;
  let region: Digest["region"] = null;
  if (isLeadingOrgan(org)) {
    const summary = await regionSummary(db, org, now, season);
    const soonPage = { offset: 0, limit: LISTED, soonOnly: true };
    region = { ...summary, soon: await regionItems(db, org, soonPage, now, season) };
  }
  let ratesNotRecorded = false;
  if (isLeadingOrgan(org) && options.recorded) {
    const recorded = await recordedRegionRates(db, org.id, season.year, day, now);
    if (recorded.ok) {
      const { previous, day: recordedDay, ...current } = recorded;
      const targets = await targetReport(db, current, now, season);
      indicators = { current, previous, recordedDay, targets, notPlaced: null };
    } else ratesNotRecorded = true;
  } else if (isLeadingOrgan(org)) {
    const current = await rates(db, org.id, season.year, now);
    if (current.ok) {
      const before = await snapshotFor(db, org.id, season.year, shiftDay(day, -1));
      indicators = {
        current,
        previous: before ? recordedRates(before.counts) : null,
        recordedDay: null,
        targets: await targetReport(db, current, now, season),
        notPlaced: await notPlacedShares(db, org.path, season.year),
      };
    }
  }
  const leftovers = await leftoversUnder(db, org, now, season);
  const toEnter = await countToEnter(db, org.path);
  return {
    org: { id: org.id, name: org.name },
    day,
    pending,
    returningSoon,
    region,
    indicators,
    ...(ratesNotRecorded ? { ratesNotRecorded } : {}),
    ...(leftovers.length > 0 ? { leftovers } : {}),
    ...(toEnter > 0 ? { toEnter } : {}),
  };
}

/** The change of a rate in percentage points, "—" when either day has no rate. */
function changeText(now: Rate, before: Rate | undefined): Text {
  if (now.value === null || before?.value == null) return D("change.none");
  const points = Math.round((now.value - before.value) * 1000) / 10;
  if (points === 0) return D("change.same");
  return D(points > 0 ? "change.up" : "change.down", { points: Math.abs(points).toFixed(1) });
}

/**
 * The chart of the child regions' SX / XS (worst first, as in the text) with their counts, as
 * SVG, its strings in `locale`; none without rates or child regions with graduates.
 */
export function digestChartSvg(digest: Digest, locale: Locale): string | undefined {
  const current = digest.indicators?.current;
  if (!current || current.children.length === 0) return undefined;
  const tr = translate(locale);
  const params = { org: raw(digest.org.name), year: current.year };
  const bar = (indicator: Indicator, child: (typeof current.children)[number]) => ({
    value: child[indicator].value,
    text: tr(barText(indicator, child)),
  });
  const rows = [...current.children].sort(byXs).map((child) => ({
    label: child.org.name,
    sx: bar("sx", child),
    xs: bar("xs", child),
  }));
  return ratesChartSvg(rows, {
    title: tr(D("chart.title", params)),
    sx: tr(D("chart.sx")),
    xs: tr(D("chart.xs")),
  });
}

/** The chart as the digest carries it: a PNG and its description. */
export function digestChart(digest: Digest, locale: Locale): Reply["image"] {
  const svg = digestChartSvg(digest, locale);
  if (!svg) return undefined;
  const params = { org: raw(digest.org.name), year: digest.indicators!.current.year };
  return { png: Buffer.from(renderChartPng(svg)).toString("base64"), alt: D("chart.alt", params) };
}

/** The digest; with `chartLocale`, a leading organ's digest also carries the chart. */
export function digestReply(digest: Digest, season: Season, chartLocale?: Locale): Reply {
  const tz = season.timezone;
  const lines: Text[] = [D("title", { org: raw(digest.org.name), day: digest.day })];
  const [oldest] = digest.pending;
  if (!oldest) lines.push(D("pending.none"));
  else {
    lines.push(
      D("pending.count", { count: digest.pending.length }),
      D("pending.oldest", {
        id: oldest.id,
        name: raw(oldest.memberName),
        days: oldest.daysWaiting,
        since: formatTime(oldest.stageSince, tz),
      }),
    );
  }
  if (digest.returningSoon.length > 0) {
    lines.push(D("pending.returningSoon", { count: digest.returningSoon.length }));
    for (const a of digest.returningSoon.slice(0, LISTED)) {
      lines.push(
        D("pending.returning", {
          id: a.id,
          name: raw(a.memberName),
          at: formatTime(a.autoReturnAt!, tz),
        }),
      );
    }
    if (digest.returningSoon.length > LISTED) {
      lines.push(D("pending.more", { count: digest.returningSoon.length - LISTED }));
    }
  }
  if (digest.region) {
    lines.push(...regionSummaryLines(digest.region, season));
    for (const a of digest.region.soon) {
      lines.push(
        text("workflow:region.returning", {
          id: a.id,
          name: raw(a.memberName),
          org: raw(a.decidingOrgName),
          at: formatTime(a.autoReturnAt, tz),
        }),
      );
    }
    if (digest.region.returningSoon > digest.region.soon.length) {
      lines.push(
        D("pending.more", { count: digest.region.returningSoon - digest.region.soon.length }),
      );
    }
  }
  const ind = digest.indicators;
  if (ind) {
    const { current, previous } = ind;
    lines.push(
      ind.recordedDay
        ? D("rates.recordedTitle", {
            year: current.year,
            at: formatTime(current.asOf, tz),
          })
        : D("rates.title", { year: current.year }),
      ...indicatorLines(current, (indicator: Indicator) =>
        changeText(current[indicator], previous?.[indicator]),
      ),
      ...(ind.targets ? targetReportLines(ind.targets) : []),
      ...breakdownLines(current, (line) => D("rates.indented", { line })),
    );
    const signal = ind.notPlaced;
    if (signal && signal.flagged.length > 0) {
      lines.push(
        D("signal.title", {
          share: percent(signal.region.notPlaced, signal.region.total),
          ratio: NOT_PLACED_SIGNAL.ratio,
        }),
      );
      for (const s of signal.flagged) {
        lines.push(
          D("signal.school", {
            org: raw(s.org.name),
            share: percent(s.notPlaced, s.total),
            notPlaced: s.notPlaced,
            total: s.total,
          }),
        );
      }
    }
  }
  if (digest.ratesNotRecorded) lines.push(D("rates.notRecorded"));
  if (digest.leftovers) lines.push(...leftoverLines(digest.leftovers, tz));
  if (digest.toEnter) lines.push(text("export:chat.digestLine", { count: digest.toEnter }));
  const answer = reply(lines, [
    [
      openPendingAction.button(D("openPending")),
      ...batchButtons(digest.pending),
      ...(digest.region ? regionButtons(digest.region) : []),
    ],
  ]);
  const image = chartLocale ? digestChart(digest, chartLocale) : undefined;
  return image ? { ...answer, image } : answer;
}

const percent = (n: number, of: number) => (of === 0 ? "—" : `${((n / of) * 100).toFixed(1)}%`);

/** R27: two days ahead, unless the application has moved on since the warning was queued. */
export async function warningReply(
  db: Db,
  payload: EventPayloads["auto_return_warning"],
  orgId: number,
  now: Date,
  season: Season,
): Promise<Reply | null> {
  const view = await applicationView(
    db,
    { applicationId: payload.applicationId, viewer: null },
    now,
    season,
  );
  if (
    !view?.autoReturnAt ||
    view.decidingOrgId !== orgId ||
    view.autoReturnAt.toISOString() !== payload.returnAt
  )
    return null;
  const args = { id: view.id };
  return reply(
    D("warning", {
      id: view.id,
      name: raw(view.memberName),
      at: formatTime(view.autoReturnAt, season.timezone),
      days: view.daysWaiting,
    }),
    [
      [
        approveAction.button(text("card:approve"), args),
        rejectAction.button(text("card:reject"), args),
        detailsAction.button(text("card:details"), args),
      ],
    ],
  );
}

/** R14, R15: who has stayed how long, and where. */
export async function reminderReply(
  db: Db,
  payload: EventPayloads["retention_reminder"],
): Promise<Reply | null> {
  const [row] = await db
    .select({ name: members.name, branch: organizations.name })
    .from(members)
    .innerJoin(organizations, eq(organizations.id, members.branchId))
    .where(eq(members.id, payload.memberId));
  if (!row) return null;
  return reply(
    D("reminder", { name: raw(row.name), branch: raw(row.branch), months: payload.months }),
  );
}
