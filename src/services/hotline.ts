/**
 * The 学社衔接 hotlines of the seed's table: the county of a member (the county committee above
 * the member's current branch) and a lookup of any county by name. A level without a number falls
 * back to the city's, then the province's (运城 city has none in the seed).
 */
import { and, eq, inArray, isNotNull } from "drizzle-orm";
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
 * The county's own short name, its committee's name minus what it shares with the city's
 * ("团阳泉市城区委" under "团阳泉市委" → "城区"), so an exact name beats a mere substring.
 */
function shortName(county: string, city: string | undefined): string {
  if (!city) return county;
  let prefix = 0;
  while (prefix < city.length && county[prefix] === city[prefix]) prefix++;
  let suffix = 0;
  const maxSuffix = Math.min(city.length - prefix, county.length - prefix);
  while (suffix < maxSuffix && county.at(-1 - suffix) === city.at(-1 - suffix)) suffix++;
  return county.slice(prefix, county.length - suffix);
}

export interface CountyLookup {
  matches: Hotline[];
  /** The provincial hotline, the last resort when nothing matches. */
  province: Hotline | null;
}

/**
 * Counties whose name contains the query. A county whose own name equals the query wins over
 * substrings ("城区" is the name of two counties, and part of three more).
 */
export async function findCountyHotlines(db: Db, query: string): Promise<CountyLookup> {
  const q = query.trim();
  const counties = await db
    .select({ ...orgColumns, path: organizations.path })
    .from(organizations)
    .where(eq(organizations.level, "county"))
    .orderBy(organizations.id);
  const parentIds = [...new Set(counties.map((c) => c.parentId).filter((id) => id !== null))];
  const parents =
    parentIds.length > 0
      ? await db.select(orgColumns).from(organizations).where(inArray(organizations.id, parentIds))
      : [];
  const parentById = new Map(parents.map((p) => [p.id, p]));
  const named = counties.map((c) => {
    const parent = c.parentId === null ? undefined : parentById.get(c.parentId);
    return { county: c, parent, short: shortName(c.name, parent?.name) };
  });
  const exact = named.filter((n) => n.short === q);
  const partial =
    q === "" ? [] : named.filter((n) => n.county.name.includes(q) || n.short.includes(q));
  const chosen = exact.length > 0 ? exact : partial;
  const [province] = await db
    .select(orgColumns)
    .from(organizations)
    .where(
      and(
        eq(organizations.level, "provincial"),
        eq(organizations.isSystemCommittee, false),
        isNotNull(organizations.hotline),
      ),
    )
    .orderBy(organizations.id)
    .limit(1);
  // One at a time: `db` may be a transaction, which runs one query at a time anyway.
  const matches: Hotline[] = [];
  for (const { county, parent } of chosen) {
    const chain =
      county.hotline || !parent ? [county] : await ancestorsDeepestFirst(db, county.path);
    matches.push({ orgName: county.name, ...numberAbove(chain) });
  }
  return {
    matches,
    province: province
      ? { orgName: province.name, hotline: province.hotline, hotlineOf: province.name }
      : null,
  };
}
