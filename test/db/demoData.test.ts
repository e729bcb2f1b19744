/**
 * The demo data (issue 14 item 12): the seed's Shanxi committees, a second province, townships
 * (a 团工委 with community branches), employers, schools with graduates, and an admin at every
 * stage a journey reaches (R14, R15, R16, R17, R19, R22); every demo person in the web chat's
 * picker has a binding code, the under-16 graduate and the external provinces are labelled.
 */
import { describe, expect, it } from "vitest";
import { demoBindingCodes, demoUsers } from "../../src/channels/web/demo.ts";
import { loadDemoData } from "../../src/db/demo/loadDemoData.ts";
import { orgColumns } from "../../src/db/queries/organizations.ts";
import { organizations } from "../../src/db/schema.ts";
import { birthDateOf, openIdNumber } from "../../src/db/sealing.ts";
import { ageOn, parseIdNumber } from "../../src/domain/idNumber.ts";
import { canDecideAtStage, leadingOrganAbove } from "../../src/domain/permissions.ts";
import { type OrgNode, pathIds, schoolOf } from "../../src/domain/tree.ts";
import { redeemCode } from "../../src/services/bindings.ts";
import { loadAdmin } from "../../src/services/orgStore.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const YEAR = 2026;

const countOf = async (
  database: { query: <T>(q: string, p?: unknown[]) => Promise<T[]> },
  sql: string,
) => (await database.query<{ n: number }>(`select count(*)::int as n from ${sql}`))[0]?.n;

describe.each(DB_KINDS)("demo data on %s", (kind) => {
  const database = useTestDatabase(kind, { truncate: false });

  it("loads the seed's Shanxi committees with their hotlines", async () => {
    const first = await loadDemoData(database.current.db, YEAR);
    expect(first.loaded).toBe(true);
    const db = database.current;
    expect(await countOf(db, "organizations where level = 'county' and hotline is not null")).toBe(
      117,
    );
    const shanxi = "(select id from organizations where name = '团山西省委')";
    expect(
      await countOf(db, `organizations where level = 'city' and province_id = ${shanxi}`),
    ).toBe(11);
    const [yingze] = await db.query<{ hotline: string; path: string }>(
      "select hotline, path from organizations where name = '团太原市迎泽区委'",
    );
    expect(yingze?.hotline).toBe("0351-4033631");
    const [xiaxian] = await db.query<{ hotline: string }>(
      "select hotline from organizations where name = '团运城市夏县委'",
    );
    expect(xiaxian?.hotline).toBe("17634017430");
    const [province] = await db.query<{ hotline: string; id: number }>(
      "select id, hotline from organizations where name = '团山西省委'",
    );
    expect(province?.hotline).toBe("0351-12355");
    // The whole Shanxi tree hangs under the provincial committee's path.
    expect(yingze?.path.startsWith(`/1/${province?.id}/`)).toBe(true);
  });

  it("has the five system committees and the three external provinces", async () => {
    const db = database.current;
    expect(
      await countOf(db, "organizations where is_system_committee and level = 'provincial'"),
    ).toBe(5);
    const external = await db.query<{ name: string }>(
      "select name from organizations where is_external_province order by name",
    );
    expect(external.map((e) => e.name).sort()).toEqual(
      ["团北京市委", "团广东省委", "团福建省委"].sort(),
    );
  });

  it("has schools with institution codes, flow and overseas branches, townships", async () => {
    const db = database.current;
    expect(
      await countOf(
        db,
        "organizations where domain = 'school' and kind = 'committee' and institution_code is not null and province_id = (select id from organizations where name = '团山西省委')",
      ),
    ).toBeGreaterThanOrEqual(5);
    expect(
      await countOf(db, "organizations where category = 'flow_branch' and name like '%流动团员%'"),
    ).toBeGreaterThanOrEqual(3);
    expect(await countOf(db, "organizations where level = 'township'")).toBeGreaterThanOrEqual(2);
    // One per province (Shanxi and the second province).
    expect(await countOf(db, "organizations where category = 'special_unit_library'")).toBe(2);
  });

  it("has ~300 graduates with valid ID numbers, some under 16, teachers and delayed", async () => {
    const db = database.current;
    const rows = await db.query<{ id_sealed: string; plain: number; identity: string }>(
      "select id_sealed, num_nonnulls(id_number, birth_date) as plain, identity from members",
    );
    expect(rows.length).toBeGreaterThanOrEqual(250);
    // R4: sealed, with no plain copy.
    expect(rows.every((r) => r.plain === 0)).toBe(true);
    const people = rows.map((r) => ({ ...r, birth_date: birthDateOf(r.id_sealed) }));
    for (const p of people) {
      expect(parseIdNumber(openIdNumber(p.id_sealed))).toMatchObject({
        ok: true,
        birthDate: p.birth_date,
      });
    }
    const under16 = people.filter((p) => ageOn(p.birth_date, `${YEAR}-09-01`) < 16);
    expect(under16.length).toBeGreaterThan(0);
    expect(people.some((p) => p.identity === "teacher")).toBe(true);
    expect(people.some((p) => p.identity === "delayed")).toBe(true);
    expect(
      await countOf(db, `organizations where graduation_month = '${YEAR}-06' and kind = 'branch'`),
    ).toBeGreaterThanOrEqual(8);
  });

  it("has a second province with a city, a county, a street 团工委, a university and its graduates", async () => {
    const db = database.current;
    const [hebei] = await db.query<{ id: number; external: boolean; level: string }>(
      "select id, is_external_province as external, level from organizations where name = '团河北省委'",
    );
    expect(hebei).toMatchObject({ external: false, level: "provincial" });
    const under = async (where: string) =>
      countOf(db, `organizations where province_id = ${hebei!.id} and ${where}`);
    expect(await under("level = 'city'")).toBe(1);
    expect(await under("level = 'county'")).toBe(1);
    expect(await under("level = 'township' and kind = 'working_committee'")).toBe(1);
    expect(await under("category = 'special_unit_library'")).toBe(1);
    expect(
      await countOf(
        db,
        `members m join organizations o on o.id = m.branch_id where o.province_id = ${hebei!.id} and m.graduation_year = ${YEAR}`,
      ),
    ).toBeGreaterThanOrEqual(10);
  });

  it("R14 has street 团工委 (working committees at township level) with community branches, and 团委 of towns", async () => {
    const rows = await database.current.query<{ name: string; kind: string; branches: number }>(
      `select o.name, o.kind, (select count(*)::int from organizations b
         where b.parent_id = o.id and b.kind = 'branch' and b.domain = 'community') as branches
       from organizations o where o.level = 'township'`,
    );
    const streets = rows.filter((r) => r.name.endsWith("街道团工委"));
    expect(streets.length).toBeGreaterThanOrEqual(5);
    for (const street of streets) expect(street).toMatchObject({ kind: "working_committee" });
    expect(streets.some((s) => s.branches >= 2)).toBe(true);
    expect(rows.some((r) => r.kind === "committee" && r.name.endsWith("镇团委"))).toBe(true);
  });

  it("has employers that receive employed_with_org: an enterprise committee with branches, and a company branch", async () => {
    const rows = await database.current.query<{ kind: string; branches: number }>(
      `select o.kind, (select count(*)::int from organizations b where b.parent_id = o.id) as branches
       from organizations o where o.domain = 'enterprise' and o.parent_id in
         (select id from organizations where kind = 'committee' and level <> 'none')`,
    );
    expect(rows.some((r) => r.kind === "committee" && r.branches >= 2)).toBe(true);
    expect(rows.some((r) => r.kind === "branch")).toBe(true);
  });

  it("has an admin at every stage a journey reaches (R14–R17, R19, R22)", async () => {
    const db = database.current;
    const orgs: OrgNode[] = await db.db.select(orgColumns).from(organizations);
    const byId = new Map(orgs.map((o) => [o.id, o]));
    const chainOf = (org: OrgNode) => pathIds(org.path).map((id) => byId.get(id)!);
    const adminIds = await db.query<{ id: number }>("select id from admins");
    const actors = await Promise.all(adminIds.map((a) => loadAdmin(db.db, a.id)));
    const missing: string[] = [];
    const need = (stage: Parameters<typeof canDecideAtStage>[1], org: OrgNode, why: string) => {
      if (!actors.some((a) => a && canDecideAtStage(a, stage, org)))
        missing.push(`${why}: ${org.name} (${stage})`);
    };
    const externalIds = new Set(orgs.filter((o) => o.isExternalProvince).map((o) => o.id));
    const inExternal = (o: OrgNode) => o.provinceId !== null && externalIds.has(o.provinceId);

    // Where graduates start from.
    const branches = await db.query<{ id: number }>(
      `select distinct branch_id as id from members where graduation_year = ${YEAR} and identity = 'graduate'`,
    );
    expect(branches.length).toBeGreaterThanOrEqual(10);
    for (const { id } of branches) {
      const branch = byId.get(id)!;
      const chain = chainOf(branch);
      // R22: the out-organization (the branch or its direct superior) approves in-org starts.
      need("pending", branch, "R22 out-organization");
      need("awaiting_leader", leadingOrganAbove(chain)!, "R19 leading organ");
      need("awaiting_province", byId.get(branch.provinceId!)!, "R17 province");
      // R15 retain at school and R16 overseas: the school's system-made branches.
      const school = schoolOf(chain)!;
      need("pending", { ...school, id: -1, kind: "branch", parentId: school.id }, "R15/R16");
    }
    // Where they go: every destination the search can offer for each reason.
    for (const org of orgs) {
      const receiver =
        (org.domain === "school" && org.category === "normal" && !inExternal(org)) ||
        org.domain === "enterprise" ||
        org.level === "township" ||
        (org.parentId !== null && byId.get(org.parentId)?.level === "township") ||
        (org.category === "flow_branch" && byId.get(org.parentId!)?.level === "county") ||
        org.isExternalProvince;
      if (!receiver) continue;
      need("pending", org, "receiver");
      if (org.kind !== "branch") need("awaiting_assignment", org, "R22 assigning");
    }
    expect(missing).toEqual([]);
  });

  it("labels the picker's under-16 graduate and the external provinces, and gives every demo person a code", async () => {
    const db = database.current;
    const users = await demoUsers(db.db, YEAR);
    const young = users.filter((u) => u.org.includes("未满 16 周岁"));
    expect(young).toHaveLength(1);
    const [sealed] = await db.query<{ s: string }>(
      `select id_sealed as s from members where id = ${Number(young[0]!.user.slice(2))}`,
    );
    expect(ageOn(birthDateOf(sealed!.s), `${YEAR}-09-01`)).toBeLessThan(16);
    expect(young[0]!.org).toContain("须说明情况，经上级团的领导机关审批");
    const external = users.filter((u) => u.org.includes("外部转接"));
    expect(external.map((u) => u.org.split("（")[0]).sort()).toEqual(
      ["团北京市委", "团广东省委", "团福建省委"].sort(),
    );
    expect(users.find((u) => u.org.startsWith("团山西省委"))?.org).toBe("团山西省委");
    expect(
      (await demoUsers(db.db, YEAR, "en")).find((u) => u.user === young[0]!.user)?.org,
    ).toContain("under 16");
    // The second province's graduates are in the picker too.
    expect(users.some((u) => u.role === "member" && u.org.startsWith("河北示范大学团委"))).toBe(
      true,
    );

    const codes = await demoBindingCodes(db.db, YEAR, new Date(`${YEAR}-07-01T00:00:00Z`));
    expect(codes.map((c) => c.name)).toEqual(users.map((u) => u.name));
    expect(new Set(codes.map((c) => c.code)).size).toBe(codes.length);
    // The top admins too: a province's admin has nobody above to issue theirs.
    const provinceAdmin = users.findIndex((u) => u.name === "省委管理员·王晓明");
    const redeemed = await redeemCode(db.db, {
      channel: "telegram",
      userId: "42",
      code: codes[provinceAdmin]!.code,
      sources: [{ channel: "telegram", userId: "42" }],
      now: new Date(`${YEAR}-07-01T01:00:00Z`),
    });
    expect(redeemed).toMatchObject({
      ok: true,
      kind: "admin",
      adminId: Number(users[provinceAdmin]!.user.slice(2)),
    });
  });

  it("has demo admins for a school, a county and the province", async () => {
    const rows = await database.current.query<{ level: string; domain: string }>(
      "select o.level, o.domain from admins a join organizations o on o.id = a.org_id",
    );
    expect(rows.some((r) => r.level === "provincial")).toBe(true);
    expect(rows.some((r) => r.level === "county")).toBe(true);
    expect(rows.some((r) => r.domain === "school")).toBe(true);
  });

  it("adds nothing when loaded a second time", async () => {
    const db = database.current;
    const before = await db.query<{ o: number; m: number; a: number }>(
      "select (select count(*)::int from organizations) o, (select count(*)::int from members) m, (select count(*)::int from admins) a",
    );
    const again = await loadDemoData(db.db, YEAR);
    expect(again.loaded).toBe(false);
    const after = await db.query(
      "select (select count(*)::int from organizations) o, (select count(*)::int from members) m, (select count(*)::int from admins) a",
    );
    expect(after).toEqual(before);
  });
});
