/**
 * Finding an organization by what an operator types: its id, its exact name, or part of it
 * (`npm run digest -- --org …`). An ambiguous or unknown name gives the candidates with their
 * ids and parents, so the next try can be exact.
 */
import { asc, eq, ilike, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.ts";
import { organizations } from "../db/schema.ts";
import naming from "../domain/naming.json" with { type: "json" };

export interface OrgMatch {
  id: number;
  name: string;
  parentName: string | null;
}

export type OrgLookup =
  | { kind: "found"; org: OrgMatch }
  /** Several organizations match; `total` may exceed the candidates listed. */
  | { kind: "ambiguous"; candidates: OrgMatch[]; total: number }
  /** Nothing matches; `candidates` are near matches (the name without 团 / 委), maybe none. */
  | { kind: "none"; candidates: OrgMatch[]; total: number };

/** Candidates listed before only the total is given. */
export const LISTED_MATCHES = 20;
/** Longer than any organization name: a longer query is not a name. */
const MAX_QUERY = 100;

const parent = alias(organizations, "parent");
const columns = { id: organizations.id, name: organizations.name, parentName: parent.name };

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Names containing `part`, shortest (most likely meant) first, with how many there are. */
async function containing(db: Db, part: string) {
  const where = ilike(organizations.name, `%${escapeLike(part)}%`);
  const [count] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(organizations)
    .where(where);
  const candidates = await db
    .select(columns)
    .from(organizations)
    .leftJoin(parent, eq(parent.id, organizations.parentId))
    .where(where)
    .orderBy(sql`length(${organizations.name})`, asc(organizations.id))
    .limit(LISTED_MATCHES);
  return { candidates, total: count?.n ?? 0 };
}

/** The league's words around a place name, dropped for near matches (the longest first). */
const LEAGUE_WORDS = new RegExp(naming.leagueNameWords.join("|"), "g");

export async function lookupOrganization(db: Db, input: string): Promise<OrgLookup> {
  const query = input.trim().slice(0, MAX_QUERY);
  if (query === "") return { kind: "none", candidates: [], total: 0 };
  if (/^\d{1,9}$/.test(query)) {
    const [org] = await db
      .select(columns)
      .from(organizations)
      .leftJoin(parent, eq(parent.id, organizations.parentId))
      .where(eq(organizations.id, Number(query)));
    return org ? { kind: "found", org } : { kind: "none", candidates: [], total: 0 };
  }
  const exact = await db
    .select(columns)
    .from(organizations)
    .leftJoin(parent, eq(parent.id, organizations.parentId))
    .where(eq(organizations.name, query))
    .orderBy(asc(organizations.id))
    .limit(LISTED_MATCHES);
  if (exact.length === 1) return { kind: "found", org: exact[0]! };
  if (exact.length > 1) return { kind: "ambiguous", candidates: exact, total: exact.length };
  const partial = await containing(db, query);
  if (partial.total === 1) return { kind: "found", org: partial.candidates[0]! };
  if (partial.total > 1) return { kind: "ambiguous", ...partial };
  const core = query.replace(LEAGUE_WORDS, "").trim();
  if (core === "" || core === query) return { kind: "none", candidates: [], total: 0 };
  return { kind: "none", ...(await containing(db, core)) };
}
