/**
 * R18 (interpretation): the digest flags the schools whose share of "not placed" outcomes is far
 * above their region's, a sign that the reason is used where another applies.
 */
import { type OrgNode, schoolOf } from "./tree.ts";

/**
 * A school is flagged when, among its applications of the season, the share of "not placed" is
 * at least `ratio` times the region's, over at least `minApplications`.
 */
export const NOT_PLACED_SIGNAL = { ratio: 2, minApplications: 5 } as const;

export interface NotPlacedCount {
  notPlaced: number;
  total: number;
}

export function isNotPlacedOutlier(school: NotPlacedCount, region: NotPlacedCount): boolean {
  if (school.total < NOT_PLACED_SIGNAL.minApplications || region.total === 0) return false;
  const regionShare = region.notPlaced / region.total;
  return (
    school.notPlaced > 0 && school.notPlaced / school.total >= NOT_PLACED_SIGNAL.ratio * regionShare
  );
}

export interface SchoolShare extends NotPlacedCount {
  org: { id: number; name: string };
}

/**
 * The region's count and its flagged schools, worst first, from the counts per graduating
 * organization (by its tree path); `orgs` holds the schools of the region by id.
 */
export function notPlacedSignal(
  counts: readonly (NotPlacedCount & { path: string })[],
  orgs: ReadonlyMap<number, OrgNode>,
): { region: NotPlacedCount; flagged: SchoolShare[] } {
  const region = { notPlaced: 0, total: 0 };
  const perSchool = new Map<number, SchoolShare>();
  for (const row of counts) {
    region.notPlaced += row.notPlaced;
    region.total += row.total;
    const chain = row.path
      .split("/")
      .filter(Boolean)
      .map((id) => orgs.get(Number(id)))
      .filter((o) => o !== undefined);
    const school = schoolOf(chain);
    if (!school) continue;
    const share = perSchool.get(school.id) ?? {
      org: { id: school.id, name: school.name },
      notPlaced: 0,
      total: 0,
    };
    share.notPlaced += row.notPlaced;
    share.total += row.total;
    perSchool.set(school.id, share);
  }
  const flagged = [...perSchool.values()]
    .filter((s) => isNotPlacedOutlier(s, region))
    .sort((x, y) => y.notPlaced / y.total - x.notPlaced / x.total || x.org.id - y.org.id);
  return { region, flagged };
}
