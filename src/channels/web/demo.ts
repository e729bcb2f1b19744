/**
 * Demo people for the web chat: a handful of graduates (one per school, plus one under 16) and
/**
 * Demo people for the web chat: a handful of graduates (one per school, plus one under 16) and
 * every admin. With demo data on, picking one on the page opens a session as that person
 * (their web user id `m-<member>` / `a-<admin>`). Their labels say what makes a journey
 * special: the graduate under 16 (R19), an organization in Beijing / Guangdong / Fujian
 * (external transfers, R20).
 */
import { and, eq, isNotNull } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db, Queryable } from "../../db/client.ts";
import { admins, members, organizations } from "../../db/schema.ts";
import { birthDateOf } from "../../db/sealing.ts";
import { ageOn } from "../../domain/idNumber.ts";
import { UNDER16_AGE } from "../../domain/transferRules.ts";
import { LOCALES, type Locale, translator } from "../../i18n.ts";
import { issueOperatorCode } from "../../services/bindings.ts";
import { webUserOf } from "./sessions.ts";

export interface DemoUser {
  user: string;
  name: string;
  role: "member" | "admin";
  org: string;
}

export async function demoUsers(
  db: Queryable,
  graduationYear: number,
  locale: Locale = LOCALES[0],
): Promise<DemoUser[]> {
  const t = translator(locale);
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
  // R19: somebody under 16 at the start of the new school year, labelled as such.
  const young = graduates.find(
    (g) => ageOn(birthDateOf(g.idSealed), `${graduationYear}-09-01`) < UNDER16_AGE,
  );
  if (young) {
    pick(young, schoolOf(young.path));
    const entry = picked.get(young.id)!;
    entry.org = t("demo:under16", { org: entry.org, age: UNDER16_AGE });
  }

  const province = alias(organizations, "province");
  const adminRows = await db
    .select({
      id: admins.id,
      name: admins.name,
      org: organizations.name,
      external: province.isExternalProvince,
    })
    .from(admins)
    .innerJoin(organizations, eq(organizations.id, admins.orgId))
    .leftJoin(province, eq(province.id, organizations.provinceId))
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
      // Beijing, Guangdong and Fujian run their own systems: a transfer there is external.
      org: a.external ? t("demo:external", { org: a.org }) : a.org,
    })),
  ];
}

/**
 * A fresh binding code for every demo person, so each can bind on Telegram or WeCom too. The
 * operator issues them: a province's own admin has nobody above to issue theirs.
 */
export async function demoBindingCodes(
  db: Db,
  graduationYear: number,
  now: Date,
): Promise<{ name: string; code: string }[]> {
  const codes: { name: string; code: string }[] = [];
  for (const p of await demoUsers(db, graduationYear)) {
    const id = Number(p.user.slice(2));
    const target = p.role === "member" ? { memberId: id } : { adminId: id };
    const issued = await issueOperatorCode(db, target, now);
    if (issued.ok) codes.push({ name: p.name, code: issued.code });
  }
  return codes;
}
