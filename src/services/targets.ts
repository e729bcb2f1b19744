/**
 * §5 targets: a leading organ sets its region's (one per indicator and due day), and every
 * region reads the targets in force for it (the season's defaults and its chain's, by the
 * inheritance rule of src/domain/targets.ts) and how its rates and its child regions stand.
 * `targetReport` is what the digest, `/rates` and the 通报 export show.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Db, Queryable } from "../db/client.ts";
import { targets } from "../db/schema.ts";
import { dayIn, type Season } from "../domain/calendar.ts";
import { INDICATORS, type Indicator, type Rate } from "../domain/indicators.ts";
import { isLeadingOrgan } from "../domain/organization.ts";
import {
  effectiveTargets,
  shortfall,
  standing,
  type Target,
  type TargetStanding,
  weakerThanInherited,
} from "../domain/targets.ts";
import { pathIds } from "../domain/tree.ts";
import { loadAdmin, loadChain, loadOrg } from "./orgStore.ts";
import type { OrgRef } from "./rates.ts";
import { type Refusal, refuse } from "./result.ts";

/** The targets organizations set themselves for the season, by organization id. */
async function ownTargets(
  db: Queryable,
  orgIds: number[],
  year: number,
): Promise<Map<number, Target[]>> {
  const byOrg = new Map<number, Target[]>();
  if (orgIds.length === 0) return byOrg;
  const rows = await db
    .select({
      orgId: targets.orgId,
      indicator: targets.indicator,
      percent: targets.percent,
      due: targets.due,
    })
    .from(targets)
    .where(and(inArray(targets.orgId, orgIds), eq(targets.graduationYear, year)));
  for (const { orgId, ...target } of rows) {
    byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), target]);
  }
  return byOrg;
}

/** The layers above and at an organization: defaults, then its path's own targets, root first. */
function layersOf(path: string, own: Map<number, Target[]>, season: Season): Target[][] {
  return [season.targets, ...pathIds(path).map((id) => own.get(id) ?? [])];
}

export interface TargetsView {
  org: OrgRef;
  /** In force for the region, with who set each (null: the season's default). */
  effective: (Target & { setBy: OrgRef | null })[];
  /** Whether this admin's organization may set targets (a leading organ). */
  maySet: boolean;
}

/** The targets in force for the admin's organization, and where each comes from. */
export async function targetsOf(
  db: Queryable,
  adminId: number,
  season: Season,
): Promise<{ ok: true; view: TargetsView } | Refusal> {
  const admin = await loadAdmin(db, adminId);
  if (!admin) return refuse({ reason: "unknown_admin" });
  const ids = pathIds(admin.org.path);
  const own = await ownTargets(db, ids, season.year);
  const effective = effectiveTargets(layersOf(admin.org.path, own, season));
  const names = new Map(
    (await loadChain(db, admin.org)).map((o) => [o.id, { id: o.id, name: o.name }]),
  );
  const setterOf = (t: Target): OrgRef | null => {
    const id = [...ids]
      .reverse()
      .find((i) =>
        own
          .get(i)
          ?.some((o) => o.indicator === t.indicator && o.due === t.due && o.percent === t.percent),
      );
    return id === undefined ? null : (names.get(id) ?? null);
  };
  return {
    ok: true,
    view: {
      org: { id: admin.org.id, name: admin.org.name },
      effective: effective.map((t) => ({ ...t, setBy: setterOf(t) })),
      maySet: isLeadingOrgan(admin.org),
    },
  };
}

/** The bounds of a target's day: within the season's year (targets are the season's). */
function dueProblem(due: string, season: Season): Refusal | null {
  // "2026-13-45" parses to no date at all; "2026-02-30" to another day.
  const at = Date.parse(`${due}T12:00:00Z`);
  const valid =
    /^\d{4}-\d{2}-\d{2}$/.test(due) && !Number.isNaN(at) && dayIn(new Date(at), "UTC") === due;
  if (!valid || !due.startsWith(`${season.year}-`)) {
    return refuse({ reason: "target_bad_date", year: season.year });
  }
  return null;
}

/**
 * Sets a target of the admin's organization (a leading organ) for the season; the same
 * indicator and day again replaces its value. A target no stricter than one inherited from
 * above (or the defaults) is refused, naming that one: it could never lower it.
 */
export async function setTarget(
  db: Db,
  input: { adminId: number; target: Target },
  now: Date,
  season: Season,
): Promise<{ ok: true } | Refusal> {
  const { target } = input;
  if (!INDICATORS.includes(target.indicator)) return refuse({ reason: "target_bad_indicator" });
  if (!Number.isInteger(target.percent) || target.percent < 1 || target.percent > 100) {
    return refuse({ reason: "target_bad_percent" });
  }
  const badDue = dueProblem(target.due, season);
  if (badDue) return badDue;
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    if (!isLeadingOrgan(admin.org)) return refuse({ reason: "target_not_leading_organ" });
    const ids = pathIds(admin.org.path);
    const own = await ownTargets(tx, ids, season.year);
    const above = layersOf(admin.org.path, own, season).slice(0, -1);
    const weaker = weakerThanInherited(target, effectiveTargets(above));
    if (weaker) {
      return refuse({ reason: "target_not_stricter", percent: weaker.percent, due: weaker.due });
    }
    await tx
      .insert(targets)
      .values({
        orgId: admin.org.id,
        graduationYear: season.year,
        indicator: target.indicator,
        due: target.due,
        percent: target.percent,
        setByAdminId: admin.adminId,
        setAt: now,
      })
      .onConflictDoUpdate({
        target: [targets.orgId, targets.graduationYear, targets.indicator, targets.due],
        set: { percent: target.percent, setByAdminId: admin.adminId, setAt: now },
      });
    return { ok: true };
  });
}

/** Removes one of the admin's organization's own targets; what is inherited stays. */
export async function removeTarget(
  db: Db,
  input: { adminId: number; indicator: Indicator; due: string },
  season: Season,
): Promise<{ ok: true } | Refusal> {
  return db.transaction(async (tx) => {
    const admin = await loadAdmin(tx, input.adminId);
    if (!admin) return refuse({ reason: "unknown_admin" });
    if (!isLeadingOrgan(admin.org)) return refuse({ reason: "target_not_leading_organ" });
    const removed = await tx
      .delete(targets)
      .where(
        and(
          eq(targets.orgId, admin.org.id),
          eq(targets.graduationYear, season.year),
          eq(targets.indicator, input.indicator),
          eq(targets.due, input.due),
        ),
      )
      .returning({ orgId: targets.orgId });
    return removed.length > 0 ? { ok: true } : refuse({ reason: "target_unknown" });
  });
}

/** A region's rates as the target report reads them. */
export interface RatedRegion {
  org: OrgRef;
  fq: Rate;
  sx: Rate;
  xs: Rate;
  dw: Rate;
}

/** One indicator of the report: the region's standing and its child regions'. */
export interface IndicatorTargetReport extends TargetStanding {
  /** Every child region with a target for it, in the order given, against its own targets. */
  children: { org: OrgRef; standing: TargetStanding }[];
  /** Child regions whose rate is below their own target (due next, or passed), worst first. */
  childrenBelow: { org: OrgRef; standing: TargetStanding }[];
}

export interface TargetReport {
  /** The day the standing is counted on (the zone's). */
  today: string;
  /** Indicators with a target for the region, FQ, SX, XS, DW. */
  indicators: IndicatorTargetReport[];
}

/**
 * How a region and its child regions stand against their targets on the day of `now`: each
 * rate against the target due next, with the days left and the dates passed unmet, and the
 * children below their own targets, worst (furthest below) first. For every channel's
 * digest and `/rates`, and the 通报 export.
 */
export async function targetReport(
  db: Queryable,
  region: RatedRegion & { children: RatedRegion[] },
  now: Date,
  season: Season,
): Promise<TargetReport> {
  const today = dayIn(now, season.timezone);
  const org = await loadOrg(db, region.org.id);
  if (!org) return { today, indicators: [] };
  const ids = [...pathIds(org.path), ...region.children.map((c) => c.org.id)];
  const own = await ownTargets(db, ids, season.year);
  const regionLayers = layersOf(org.path, own, season);
  const regionTargets = effectiveTargets(regionLayers);
  const indicators: IndicatorTargetReport[] = [];
  for (const indicator of INDICATORS) {
    const mine = standing(indicator, region[indicator], regionTargets, today);
    if (!mine) continue;
    const children = region.children.flatMap((child) => {
      const childTargets = effectiveTargets([...regionLayers, own.get(child.org.id) ?? []]);
      const s = standing(indicator, child[indicator], childTargets, today);
      return s ? [{ org: child.org, standing: s }] : [];
    });
    const childrenBelow = children
      .map((c) => ({ ...c, gap: shortfall(c.standing) }))
      .filter((c) => c.gap !== null)
      .sort((x, y) => y.gap! - x.gap! || x.org.id - y.org.id)
      .map((c) => ({ org: c.org, standing: c.standing }));
    indicators.push({ ...mine, children, childrenBelow });
  }
  return { today, indicators };
}
