/**
 * The 学社衔接 hotlines of the seed's table: the county of a member (the county committee above
 * the member's current branch) and a lookup of any province, city or county committee by name.
 * A level without a number falls back to the city's, then the province's (运城 city has none in
 * the seed).
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { members, organizations } from "../db/schema.ts";
import type { OrgLevel } from "../domain/organization.ts";

export interface Hotline {
  /** The organization asked about (a county committee, or the nearest level above). */
  orgName: string;
  /** The number to call, and whose number it is when the organization has none. */
  hotline: string | null;
  hotlineOf: string | null;
}

interface OrgRow {
  id: number;
  parentId: number | null;
  name: string;
  level: OrgLevel;
  hotline: string | null;
}

const orgColumns = {
  id: organizations.id,
  parentId: organizations.parentId,
  name: organizations.name,
  level: organizations.level,
  hotline: organizations.hotline,
};

const idsOfPath = (path: string) => path.split("/").filter(Boolean).map(Number);

/** The first number found walking up from the organization (itself included). */
function numberAbove(chain: OrgRow[]): Pick<Hotline, "hotline" | "hotlineOf"> {
  const found = chain.find((o) => o.hotline);
  return { hotline: found?.hotline ?? null, hotlineOf: found?.name ?? null };
}

async function ancestorsDeepestFirst(db: Db, path: string): Promise<OrgRow[]> {
  const ids = idsOfPath(path);
  if (ids.length === 0) return [];
  const rows = await db
    .select(orgColumns)
    .from(organizations)
    .where(inArray(organizations.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids
    .reverse()
    .map((id) => byId.get(id))
    .filter((r): r is OrgRow => r !== undefined);
}

/**
 * The member's county and its hotline. Without a county above the branch (a university directly
 * under the province), the nearest city or provincial committee answers.
 */
export async function memberHotline(db: Db, memberId: number): Promise<Hotline | null> {
  const [member] = await db
    .select({ path: organizations.path })
    .from(members)
    .innerJoin(organizations, eq(organizations.id, members.branchId))
    .where(eq(members.id, memberId));
  if (!member) return null;
  const chain = await ancestorsDeepestFirst(db, member.path);
  const leading = chain.filter((o) => ["county", "city", "provincial"].includes(o.level));
  const asked = leading[0];
  if (!asked) return null;
  return { orgName: asked.name, ...numberAbove(leading) };
}

/**
 * An organization's own short name: its name minus what it shares with its parent's
 * ("团阳泉市城区委" under "团阳泉市委" → "城区"; "团忻州市委" under "团山西省委" → "忻州市"), so an
 * exact name beats a mere substring.
 */
function shortName(name: string, parent: string | undefined): string {
  if (!parent) return name;
  let prefix = 0;
  while (prefix < parent.length && name[prefix] === parent[prefix]) prefix++;
  let suffix = 0;
  const maxSuffix = Math.min(parent.length - prefix, name.length - prefix);
  while (suffix < maxSuffix && name.at(-1 - suffix) === parent.at(-1 - suffix)) suffix++;
  return name.slice(prefix, name.length - suffix);
}

export interface HotlineLookup {
  matches: Hotline[];
  /** The provincial hotline, the last resort when nothing matches. */
  province: Hotline | null;
}

/** The committees a hotline can belong to (the seed's table: province, cities, counties). */
const HOTLINE_LEVELS: OrgLevel[] = ["provincial", "city", "county"];

/**
 * Committees with a hotline level whose name matches the query, best matches only: the name
 * or short name exactly ("城区" is the name of two counties, and part of three more), else short
 * names starting with it ("忻州" → 团忻州市委, not the counties whose full names contain it), else
 * short names containing it, else full names. A city found is followed by its counties, so
 * every number of the table is reachable from its city's name.
 */
export async function findHotlines(db: Db, query: string): Promise<HotlineLookup> {
  const q = query.trim();
  const committees = await db
    .select({ ...orgColumns, path: organizations.path })
    .from(organizations)
    .where(
      and(
        inArray(organizations.level, HOTLINE_LEVELS),
        eq(organizations.kind, "committee"),
        eq(organizations.isSystemCommittee, false),
        eq(organizations.isExternalProvince, false),
      ),
    )
    .orderBy(organizations.id);
  const byId = new Map(committees.map((c) => [c.id, c]));
  const parentIds = committees
    .map((c) => c.parentId)
    .filter((id): id is number => id !== null && !byId.has(id));
  const outsideParents =
    parentIds.length > 0
      ? await db.select(orgColumns).from(organizations).where(inArray(organizations.id, parentIds))
      : [];
  const parentName = new Map<number, string>(
    [...committees, ...outsideParents].map((o) => [o.id, o.name]),
  );
  const named = committees.map((c) => ({
    org: c,
    short: shortName(c.name, c.parentId === null ? undefined : parentName.get(c.parentId)),
  }));
  const tiers = [
    (n: (typeof named)[number]) => n.org.name === q || n.short === q,
    (n: (typeof named)[number]) => n.short.startsWith(q),
    (n: (typeof named)[number]) => n.short.includes(q),
    (n: (typeof named)[number]) => n.org.name.includes(q),
  ];
  const levelRank = (o: OrgRow) => HOTLINE_LEVELS.indexOf(o.level);
  const best =
    q === ""
      ? []
      : (tiers.map((t) => named.filter(t)).find((found) => found.length > 0) ?? [])
          .map((n) => n.org)
          .sort((x, y) => levelRank(x) - levelRank(y) || x.id - y.id);
  const chosen: OrgRow[] = [];
  for (const org of best) {
    if (!chosen.includes(org)) chosen.push(org);
    if (org.level !== "city") continue;
    for (const county of committees) {
      if (county.parentId === org.id && !chosen.includes(county)) chosen.push(county);
    }
  }
  const chainOf = (org: OrgRow): OrgRow[] => {
    const chain: OrgRow[] = [];
    for (let o: OrgRow | undefined = org; o; o = o.parentId ? byId.get(o.parentId) : undefined) {
      chain.push(o);
    }
    return chain;
  };
  const province = committees.find((c) => c.level === "provincial" && c.hotline);
  return {
    matches: chosen.map((org) => ({ orgName: org.name, ...numberAbove(chainOf(org)) })),
    province: province
      ? { orgName: province.name, hotline: province.hotline, hotlineOf: province.name }
      : null,
  };
}
