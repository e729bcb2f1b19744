/**
 * Demo people for the web chat: a handful of graduates (one per school, plus one under 16) and
 * every admin. With demo data on, picking one on the page opens a session as that person
 * (their web user id `m-<member>` / `a-<admin>`).
 */
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { Db, Queryable } from "../../db/client.ts";
import { admins, members, organizations } from "../../db/schema.ts";
import { birthDateOf } from "../../db/sealing.ts";
import { ageOn } from "../../domain/idNumber.ts";
import { issueAdminCode, issueMemberCode } from "../../services/bindings.ts";
import { webUserOf } from "./sessions.ts";

export interface DemoUser {
  user: string;
  name: string;
  role: "member" | "admin";
  org: string;
}

export async function demoUsers(db: Queryable, graduationYear: number): Promise<DemoUser[]> {
  const graduates = await db
    .select({
      id: members.id,
      name: members.name,
      idSealed: members.idSealed,
      branch: organizations.name,
      path: organizations.path,
    })
    .from(members)
    .innerJoin(organizations, eq(organizations.id, members.branchId))
    .where(and(eq(members.identity, "graduate"), eq(members.graduationYear, graduationYear)))
    .orderBy(members.id);
  const schools = await db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(and(eq(organizations.domain, "school"), isNotNull(organizations.institutionCode)));
  const schoolName = new Map(schools.map((s) => [s.id, s.name]));
  const schoolOf = (path: string) =>
    path
      .split("/")
      .filter(Boolean)
      .map(Number)
      .reverse()
      .find((id) => schoolName.has(id));

  const picked = new Map<number, { id: number; name: string; org: string }>();
  const seenSchools = new Set<number>();
  const pick = (g: (typeof graduates)[number], school: number | undefined) => {
    const org = school === undefined ? g.branch : `${schoolName.get(school)} · ${g.branch}`;
    picked.set(g.id, { id: g.id, name: g.name, org });
  };
  for (const g of graduates) {
    const school = schoolOf(g.path);
    if (school !== undefined && !seenSchools.has(school)) {
      seenSchools.add(school);
      pick(g, school);
    }
  }
  // R19: somebody under 16 at the start of the new school year.
  const young = graduates.find(
    (g) => ageOn(birthDateOf(g.idSealed), `${graduationYear}-09-01`) < 16,
  );
  if (young) pick(young, schoolOf(young.path));

  const adminRows = await db
    .select({ id: admins.id, name: admins.name, org: organizations.name })
    .from(admins)
    .innerJoin(organizations, eq(organizations.id, admins.orgId))
    .orderBy(admins.id);
  return [
    ...[...picked.values()]
      .sort((a, b) => a.id - b.id)
      .map((m) => ({
        user: webUserOf("member", m.id),
        name: m.name,
        role: "member" as const,
        org: m.org,
      })),
    ...adminRows.map((a) => ({
      user: webUserOf("admin", a.id),
      name: a.name,
      role: "admin" as const,
      org: a.org,
    })),
  ];
}

/**
 * Fresh binding codes for the demo people, so they can bind on Telegram or WeCom too. Issued by
 * the admin highest in the tree, who may issue for everyone below.
 */
export async function demoBindingCodes(
  db: Db,
  graduationYear: number,
  now: Date,
): Promise<{ name: string; code: string }[]> {
  const people = await demoUsers(db, graduationYear);
  const idOf = (p: DemoUser) => Number(p.user.slice(2));
  const adminIds = people.filter((p) => p.role === "admin").map(idOf);
  if (adminIds.length === 0) return [];
  const ranked = await db
    .select({ id: admins.id, path: organizations.path })
    .from(admins)
    .innerJoin(organizations, eq(organizations.id, admins.orgId))
    .where(inArray(admins.id, adminIds));
  ranked.sort((a, b) => a.path.length - b.path.length || a.id - b.id);
  const top = ranked[0]!;
  const codes: { name: string; code: string }[] = [];
  for (const p of people) {
    const id = idOf(p);
    const issued =
      p.role === "member"
        ? await issueMemberCode(db, { adminId: top.id, memberId: id, now })
        : await issueAdminCode(db, { adminId: top.id, targetAdminId: id, now });
    if (issued.ok) codes.push({ name: p.name, code: issued.code });
  }
  return codes;
}
