import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { admins, chatBindings, markHistory, members, organizations } from "../../src/db/schema.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { convertGraduateOrganizations } from "../../src/services/marks.ts";
import {
  createFlowBranch,
  deleteGraduateOrg,
  graduateOrgsToDelete,
  locateMember,
  provinceRoots,
  searchDestinations,
} from "../../src/services/organizations.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { buildWorld, furtherStudy, shanghai, type World, YEAR } from "../helpers/world.ts";

const season = seasonFor(YEAR, "Asia/Shanghai");
const NOW = shanghai(`${YEAR}-08-10T10:00:00`);

describe.each(DB_KINDS)("organizations on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("R1 flow branches: school committees with a code and county committees; the name says 流动团员", async () => {
    expect(
      await createFlowBranch(db(), { adminId: w.admin.V, name: "太原工学院流动团员团支部" }),
    ).toMatchObject({ ok: true });
    expect(
      await createFlowBranch(db(), { adminId: w.admin.V, name: "太原工学院临时团支部" }),
    ).toEqual({
      ok: false,
      reason: "flow_branch_name",
    });
    expect(
      await createFlowBranch(db(), { adminId: w.admin.E, name: "集团流动团员团支部" }),
    ).toEqual({
      ok: false,
      reason: "flow_branch_creator",
    });
    expect(
      await createFlowBranch(db(), { adminId: w.admin.UC, name: "学院流动团员团支部" }),
    ).toEqual({
      ok: false,
      reason: "flow_branch_creator",
    });
    const county = await createFlowBranch(db(), {
      adminId: w.admin.X,
      name: "团小店区委流动团员团支部",
    });
    if (!county.ok) throw new Error(county.reason);
    const [created] = await db()
      .select()
      .from(organizations)
      .where(eq(organizations.id, county.orgId));
    expect(created).toMatchObject({ category: "flow_branch", kind: "branch", parentId: w.org.X });
  });

  it("R3 a graduate organization whose members all transferred is offered for deletion", async () => {
    await convertGraduateOrganizations(db(), season, shanghai(`${YEAR}-06-01T00:00:00`));
    expect(await graduateOrgsToDelete(db(), { adminId: w.admin.U })).toEqual({
      ok: true,
      orgs: [],
    });
    for (const m of ["m4", "m5"] as const) {
      const filed = await fileApplication(db(), furtherStudy(w.member[m], w.org.VB), NOW, season);
      if (!filed.ok) throw new Error(filed.reason);
      await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, NOW);
    }
    expect(await graduateOrgsToDelete(db(), { adminId: w.admin.U })).toEqual({
      ok: true,
      orgs: [{ id: w.org.UB2, name: "计算机2022级2班团支部" }],
    });
    // Outside the admin's subtree nothing is offered.
    expect(await graduateOrgsToDelete(db(), { adminId: w.admin.V })).toEqual({
      ok: true,
      orgs: [],
    });
  });

  it("R3 deleting an offered graduate organization: kept for history, gone from every list, its chats unbound and its own admins removed", async () => {
    await convertGraduateOrganizations(db(), season, shanghai(`${YEAR}-06-01T00:00:00`));
    for (const m of ["m4", "m5"] as const) {
      const filed = await fileApplication(db(), furtherStudy(w.member[m], w.org.VB), NOW, season);
      if (!filed.ok) throw new Error(filed.reason);
      await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, NOW);
    }
    const [own] = await db()
      .insert(admins)
      .values({ orgId: w.org.UB2, name: "管理员UB2" })
      .returning({ id: admins.id });
    await db().insert(chatBindings).values({
      channel: "telegram",
      chatId: "-100222",
      orgId: w.org.UB2,
      boundByAdminId: w.admin.U,
    });
    const input = { orgId: w.org.UB2, now: NOW };
    // Its own admin, and an admin of another school, may not delete it.
    for (const adminId of [own!.id, w.admin.V]) {
      expect(await deleteGraduateOrg(db(), { ...input, adminId })).toEqual({
        ok: false,
        reason: "not_permitted",
      });
    }
    // A branch that is not a graduate organization is never deleted.
    expect(
      await deleteGraduateOrg(db(), { ...input, adminId: w.admin.U, orgId: w.org.UF }),
    ).toEqual({ ok: false, reason: "not_permitted" });
    expect(await deleteGraduateOrg(db(), { ...input, adminId: w.admin.U })).toEqual({
      ok: true,
      name: "计算机2022级2班团支部",
    });
    expect(await graduateOrgsToDelete(db(), { adminId: w.admin.U })).toEqual({
      ok: true,
      orgs: [],
    });
    const [org] = await db().select().from(organizations).where(eq(organizations.id, w.org.UB2));
    expect(org).toMatchObject({ name: "计算机2022级2班团支部", deletedAt: NOW });
    const [m4] = await db().select().from(members).where(eq(members.id, w.member.m4));
    expect(m4?.graduationBranchId).toBe(w.org.UB2);
    expect(await db().select().from(chatBindings).where(eq(chatBindings.orgId, w.org.UB2))).toEqual(
      [],
    );
    const [removed] = await db().select().from(admins).where(eq(admins.id, own!.id));
    expect(removed?.removedAt).toEqual(NOW);
    expect(
      await db().select().from(markHistory).where(eq(markHistory.orgId, w.org.UB2)),
    ).toContainEqual(expect.objectContaining({ action: "deleted", actorAdminId: w.admin.U }));
    // Deleted once: a second press finds it no longer offered.
    expect(await deleteGraduateOrg(db(), { ...input, adminId: w.admin.U })).toEqual({
      ok: false,
      reason: "graduate_org_not_empty",
      orgName: "计算机2022级2班团支部",
    });
  });

  it("R3 a graduate organization someone joined since it was offered is not deleted", async () => {
    await convertGraduateOrganizations(db(), season, shanghai(`${YEAR}-06-01T00:00:00`));
    for (const m of ["m4", "m5"] as const) {
      const filed = await fileApplication(db(), furtherStudy(w.member[m], w.org.VB), NOW, season);
      if (!filed.ok) throw new Error(filed.reason);
      await approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, NOW);
    }
    await db().update(members).set({ branchId: w.org.UB2 }).where(eq(members.id, w.member.m1));
    expect(
      await deleteGraduateOrg(db(), { adminId: w.admin.U, orgId: w.org.UB2, now: NOW }),
    ).toEqual({ ok: false, reason: "graduate_org_not_empty", orgName: "计算机2022级2班团支部" });
    const [org] = await db().select().from(organizations).where(eq(organizations.id, w.org.UB2));
    expect(org?.deletedAt).toBeNull();
  });

  it("R5 any admin locates a member by name and ID number: the organization and its admins, nothing else", async () => {
    const found = await locateMember(db(), {
      adminId: w.admin.V,
      name: w.memberName.m1,
      idNumber: w.idNumber.m1,
      now: NOW,
    });
    expect(found).toEqual({
      ok: true,
      orgName: "计算机2022级1班团支部",
      hotline: null,
      admins: [{ name: "管理员UB1", phone: "0351-000UB1" }],
    });
    expect(
      await locateMember(db(), {
        adminId: w.admin.V,
        name: "别人",
        idNumber: w.idNumber.m1,
        now: NOW,
      }),
    ).toEqual({
      ok: false,
      reason: "unknown_member",
    });
    expect(
      await locateMember(db(), {
        adminId: w.admin.V,
        name: w.memberName.m1,
        idNumber: "123",
        now: NOW,
      }),
    ).toEqual({
      ok: false,
      reason: "id_length",
    });
    // A branch without its own admins points to its direct superior's.
    const p1 = await locateMember(db(), {
      adminId: w.admin.V,
      name: w.memberName.p1,
      idNumber: w.idNumber.p1,
      now: NOW,
    });
    expect(p1).toMatchObject({ ok: true, admins: [{ name: "管理员Y" }] });
  });

  it("R2 R13 R14 destination search offers only what the reason allows, by province or system (M1.4.5)", async () => {
    await convertGraduateOrganizations(db(), season, shanghai(`${YEAR}-06-01T00:00:00`));
    const search = (
      query: string,
      reason: "further_study" | "employed_without_org" | "employed_with_org",
      rootId = w.org.P,
    ) => searchDestinations(db(), { rootId, query, request: { reason, external: false } });
    const names = async (p: ReturnType<typeof search>) => (await p).items.map((i) => i.name);
    // Graduate organizations (the 2022 classes) and the library never appear.
    expect(await names(search("团支部", "further_study"))).toEqual(["研究生2026级1班团支部"]);
    expect(await names(search("专属库", "employed_with_org"))).toEqual([]);
    // R14: the township, the branches inside it, and the county committee's flow branch.
    expect(await names(search("团", "employed_without_org"))).toEqual([
      "柳巷街道团工委",
      "青年路社区团支部",
      "团迎泽区委流动团员团支部",
    ]);
    // Taiyuan railway is found under the railway system committee, not under Shanxi.
    expect(await names(search("铁路", "employed_with_org"))).toEqual([]);
    expect(await names(search("铁路", "employed_with_org", w.org.R))).toEqual(["铁路太原局团委"]);
    // Wildcards in the query are literal.
    expect(await names(search("%", "employed_with_org"))).toEqual([]);
    const roots = await provinceRoots(db());
    expect(roots.map((r) => r.name)).toEqual(["团山西省委", "全国铁道团委", "团北京市委"]);
  });

  it("paged search returns the total and one page", async () => {
    const page = await searchDestinations(db(), {
      rootId: w.org.P,
      query: "团",
      request: { reason: "employed_with_org", external: false },
      offset: 2,
      limit: 3,
    });
    expect(page.items).toHaveLength(3);
    expect(page.total).toBeGreaterThan(5);
  });
});
