import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import {
  applicationHistory,
  applications,
  members,
  organizations,
  outbox,
} from "../../src/db/schema.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { approve, assign, reject, withdraw } from "../../src/services/decisions/index.ts";
import { memberApplications, pendingQueue } from "../../src/services/queues.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { buildWorld, shanghai, type World, YEAR } from "../helpers/world.ts";

const season = seasonFor(YEAR, "Asia/Shanghai");
const AUG = shanghai(`${YEAR}-08-10T10:00:00`);

describe.each(DB_KINDS)("transfer applications on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const count = async (table: typeof applications | typeof outbox | typeof applicationHistory) =>
    (await db().select().from(table)).length;
  const asMember = (m: keyof World["member"], rest: Partial<FileInput>): FileInput => ({
    actor: { kind: "member", memberId: w.member[m] },
    as: "member",
    reason: "further_study",
    external: false,
    ...rest,
  });
  const furtherStudy = (m: keyof World["member"], destination: number) =>
    asMember(m, {
      reason: "further_study",
      studyType: "university",
      schoolName: "太原工学院",
      schoolAddress: "太原市迎泽西大街79号",
      destinationOrgId: destination,
    });
  const branchOf = async (memberId: number) =>
    (await db().select().from(members).where(eq(members.id, memberId)))[0]!.branchId;

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("R11 R12 R22 R24 R25 a member files further study; the committee approves, assigns, completes", async () => {
    const filed = await fileApplication(db(), furtherStudy("m1", w.org.V), AUG, season);
    expect(filed).toMatchObject({ ok: true, state: "pending", decidingOrgId: w.org.V });
    if (!filed.ok) return;
    const [row] = await db()
      .select()
      .from(applications)
      .where(eq(applications.id, filed.applicationId));
    expect(row).toMatchObject({
      initiatorKind: "member",
      initiatorMemberId: w.member.m1,
      reason: "further_study",
      external: false,
      studyType: "university",
      schoolName: "太原工学院",
      fromOrgId: w.org.UB1,
      toOrgId: w.org.V,
      graduationYear: YEAR,
    });
    const queued = await db().select().from(outbox);
    expect(queued).toMatchObject([
      { event: "decision_needed", recipientType: "org", recipientId: String(w.org.V) },
    ]);

    const sep = shanghai(`${YEAR}-09-03T09:00:00`);
    // R22: a committee receiver's admin approves, then must assign a branch.
    const approved = await approve(
      db(),
      { adminId: w.admin.V, applicationId: filed.applicationId },
      sep,
    );
    expect(approved).toMatchObject({
      ok: true,
      state: "awaiting_assignment",
      needsAssignment: true,
    });
    // R24: until completion the member stays in the out-organization.
    expect(await branchOf(w.member.m1)).toBe(w.org.UB1);

    const wrongBranch = await assign(
      db(),
      { adminId: w.admin.V, applicationId: filed.applicationId, branchId: w.org.EB },
      sep,
    );
    expect(wrongBranch).toEqual({ ok: false, reason: "branch_not_in_receiver" });
    const done = await assign(
      db(),
      { adminId: w.admin.V, applicationId: filed.applicationId, branchId: w.org.VB },
      sep,
    );
    expect(done).toEqual({ ok: true, applicationId: filed.applicationId, state: "completed" });
    expect(await branchOf(w.member.m1)).toBe(w.org.VB);

    const mine = await memberApplications(db(), { memberId: w.member.m1 }, sep, season);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      state: "completed",
      assignedBranchName: "研究生2026级1班团支部",
    });
    expect(mine[0]!.history.map((h) => [h.action, h.fromState, h.toState, h.actorName])).toEqual([
      ["create", null, "pending", "张小明"],
      ["approve", "pending", "awaiting_assignment", "管理员V"],
      ["assign", "awaiting_assignment", "completed", "管理员V"],
    ]);
    const outcome = await db().select().from(outbox).where(eq(outbox.event, "outcome"));
    expect(outcome).toMatchObject([
      {
        recipientType: "member",
        recipientId: String(w.member.m1),
        payload: { state: "completed" },
      },
    ]);
  });

  it("R22 a branch receiver completes at once, approved by its admin or its direct superior's", async () => {
    const first = await fileApplication(db(), furtherStudy("m1", w.org.VB), AUG, season);
    const second = await fileApplication(db(), furtherStudy("m2", w.org.VB), AUG, season);
    if (!first.ok || !second.ok) throw new Error("filing failed");
    expect(
      await approve(db(), { adminId: w.admin.P, applicationId: first.applicationId }, AUG),
    ).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(
      await approve(db(), { adminId: w.admin.VB, applicationId: first.applicationId }, AUG),
    ).toMatchObject({
      ok: true,
      state: "completed",
    });
    expect(
      await approve(db(), { adminId: w.admin.V, applicationId: second.applicationId }, AUG),
    ).toMatchObject({
      ok: true,
      state: "completed",
    });
    expect(await branchOf(w.member.m2)).toBe(w.org.VB);
  });

  it("R13 further study never goes to a township; R2 never to a graduate organization; nothing written", async () => {
    expect(await fileApplication(db(), furtherStudy("m1", w.org.TS), AUG, season)).toEqual({
      ok: false,
      reason: "destination_not_school",
    });
    await db()
      .update(organizations)
      .set({ category: "graduate" })
      .where(eq(organizations.id, w.org.UB2));
    expect(await fileApplication(db(), furtherStudy("m1", w.org.UB2), AUG, season)).toEqual({
      ok: false,
      reason: "destination_graduate_org",
    });
    expect(await fileApplication(db(), furtherStudy("m1", w.org.LIB), AUG, season)).toEqual({
      ok: false,
      reason: "destination_not_allowed",
    });
    expect(await fileApplication(db(), furtherStudy("m1", 999_999), AUG, season)).toEqual({
      ok: false,
      reason: "unknown_org",
    });
    expect(await count(applications)).toBe(0);
    expect(await count(outbox)).toBe(0);
    expect(await count(applicationHistory)).toBe(0);
  });

  it("R12 missing fields per reason are refused", async () => {
    const base = { destinationOrgId: w.org.EB };
    expect(
      await fileApplication(
        db(),
        asMember("m1", { ...base, reason: "employed_with_org", employerName: "能源集团" }),
        AUG,
        season,
      ),
    ).toEqual({
      ok: false,
      reason: "missing_field",
      field: "employerAddress",
    });
    expect(
      await fileApplication(
        db(),
        asMember("m1", {
          reason: "further_study",
          schoolName: "x",
          schoolAddress: "y",
          destinationOrgId: w.org.V,
        }),
        AUG,
        season,
      ),
    ).toEqual({
      ok: false,
      reason: "missing_field",
      field: "studyType",
    });
    expect(
      await fileApplication(
        db(),
        asMember("m1", {
          reason: "not_placed",
          address: "太原市迎泽区",
          destinationOrgId: w.org.TS,
        }),
        AUG,
        season,
      ),
    ).toEqual({
      ok: false,
      reason: "missing_field",
      field: "addressKind",
    });
    expect(await count(applications)).toBe(0);
  });

  it("R14 employed without a league org goes to a township or a county flow branch; completion there starts the retention clock", async () => {
    const employed = (m: "m1" | "m2", destinationOrgId: number) =>
      asMember(m, {
        reason: "employed_without_org",
        employerName: "小店区某商店",
        employerAddress: "太原市小店区",
        destinationOrgId,
      });
    expect(await fileApplication(db(), employed("m1", w.org.EB), AUG, season)).toEqual({
      ok: false,
      reason: "destination_not_township",
    });
    expect(await fileApplication(db(), employed("m1", w.org.TS), AUG, season)).toMatchObject({
      ok: true,
      decidingOrgId: w.org.TS,
    });
    const flow = await fileApplication(db(), employed("m2", w.org.YF), AUG, season);
    expect(flow).toMatchObject({ ok: true, decidingOrgId: w.org.YF });
    if (!flow.ok) return;
    await approve(db(), { adminId: w.admin.Y, applicationId: flow.applicationId }, AUG);
    const [m2] = await db().select().from(members).where(eq(members.id, w.member.m2));
    expect(m2).toMatchObject({ branchId: w.org.YF, retainedSince: AUG });
  });

  it("R15 not placed: retained in the school's flow branch, or a township; R18 a school must give the residence", async () => {
    const retained = await fileApplication(
      db(),
      asMember("m1", {
        reason: "not_placed",
        address: "太原市迎泽区青年路1号",
        addressKind: "residence",
        retainAtSchool: true,
      }),
      AUG,
      season,
    );
    expect(retained).toMatchObject({ ok: true, decidingOrgId: w.org.UF });
    const household = {
      actor: { kind: "admin", adminId: w.admin.U },
      as: "out_admin",
      memberId: w.member.m2,
      reason: "not_placed",
      external: false,
      address: "运城市盐湖区",
      addressKind: "household",
      destinationOrgId: w.org.TS,
    } as const;
    expect(await fileApplication(db(), household, AUG, season)).toEqual({
      ok: false,
      reason: "residence_required",
    });
    expect(
      await fileApplication(db(), { ...household, addressKind: "residence" }, AUG, season),
    ).toMatchObject({
      ok: true,
      decidingOrgId: w.org.TS,
    });
  });

  it("R16 overseas goes to the original school's overseas branch, created on demand", async () => {
    const filed = await fileApplication(db(), asMember("m1", { reason: "overseas" }), AUG, season);
    if (!filed.ok) throw new Error(filed.reason);
    const [branch] = await db()
      .select()
      .from(organizations)
      .where(eq(organizations.id, filed.decidingOrgId));
    expect(branch).toMatchObject({
      category: "overseas_branch",
      parentId: w.org.U,
      kind: "branch",
    });
    const again = await fileApplication(db(), asMember("m2", { reason: "overseas" }), AUG, season);
    expect(again).toMatchObject({ ok: true, decidingOrgId: filed.decidingOrgId });
  });

  it("R17 special unit: the province approves and the member enters the special-unit library", async () => {
    const filed = await fileApplication(
      db(),
      asMember("m1", { reason: "special_unit" }),
      AUG,
      season,
    );
    expect(filed).toMatchObject({ ok: true, state: "awaiting_province", decidingOrgId: w.org.P });
    if (!filed.ok) return;
    expect(
      await approve(db(), { adminId: w.admin.T, applicationId: filed.applicationId }, AUG),
    ).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(
      await approve(db(), { adminId: w.admin.P, applicationId: filed.applicationId }, AUG),
    ).toMatchObject({
      ok: true,
      state: "completed",
    });
    expect(await branchOf(w.member.m1)).toBe(w.org.LIB);
  });

  it("R19 under 16 to a non-school destination: explanation, then the leading organ above approves first", async () => {
    const employed = asMember("j1", {
      reason: "employed_with_org",
      employerName: "能源集团",
      employerAddress: "太原市",
      destinationOrgId: w.org.E,
    });
    expect(await fileApplication(db(), employed, AUG, season)).toEqual({
      ok: false,
      reason: "under16_explanation_required",
    });
    const filed = await fileApplication(
      db(),
      { ...employed, under16Explanation: "随父母务工" },
      AUG,
      season,
    );
    expect(filed).toMatchObject({ ok: true, state: "awaiting_leader", decidingOrgId: w.org.Y });
    if (!filed.ok) return;
    // The receiver does not see it yet.
    const receiverQueue = await pendingQueue(db(), { adminId: w.admin.E }, AUG, season);
    expect(receiverQueue).toMatchObject({ ok: true, items: [] });
    expect(
      await approve(db(), { adminId: w.admin.Y, applicationId: filed.applicationId }, AUG),
    ).toMatchObject({
      ok: true,
      state: "pending",
    });
    const now = await pendingQueue(db(), { adminId: w.admin.E }, AUG, season);
    expect(now.ok && now.items.map((i) => i.id)).toEqual([filed.applicationId]);
    // Under 16 but going to a school: no leader approval.
    const study = await fileApplication(db(), furtherStudy("p1", w.org.HS), AUG, season);
    expect(study).toMatchObject({ ok: true, state: "pending" });
  });

  it("R20 external transfers need name, address and organization as text", async () => {
    const external = asMember("m1", {
      reason: "employed_with_org",
      external: true,
      employerName: "北京某公司",
      employerAddress: "北京市海淀区",
      destinationOrgId: w.org.BJ,
    });
    expect(await fileApplication(db(), external, AUG, season)).toEqual({
      ok: false,
      reason: "missing_field",
      field: "externalOrgName",
    });
    const filed = await fileApplication(
      db(),
      {
        ...external,
        externalOrgName: "某公司团支部",
        externalOrgAddress: "北京市海淀区1号",
        externalOrgDetails: "团海淀区委下属",
      },
      AUG,
      season,
    );
    expect(filed).toMatchObject({ ok: true, state: "pending", decidingOrgId: w.org.BJ });
    expect(
      await fileApplication(
        db(),
        { ...external, external: false, destinationOrgId: w.org.BJ },
        AUG,
        season,
      ),
    ).toMatchObject({
      ok: false,
    });
  });

  it("R11 the in-organization admin finds the member by name and ID number, further study only", async () => {
    const inAdmin = {
      actor: { kind: "admin", adminId: w.admin.V },
      as: "in_admin",
      memberName: w.memberName.m3,
      memberIdNumber: w.idNumber.m3.toLowerCase(),
      reason: "further_study",
      studyType: "university",
      schoolName: "太原工学院",
      schoolAddress: "太原市",
      external: false,
    } as const;
    expect(
      await fileApplication(db(), { ...inAdmin, reason: "employed_with_org" }, AUG, season),
    ).toEqual({
      ok: false,
      reason: "in_admin_further_study_only",
    });
    // A wrong name looks the same as an unknown number: the lookup tells nothing (R5).
    expect(await fileApplication(db(), { ...inAdmin, memberName: "别人" }, AUG, season)).toEqual({
      ok: false,
      reason: "unknown_member",
    });
    expect(
      await fileApplication(
        db(),
        { ...inAdmin, memberIdNumber: "110105194912310021" },
        AUG,
        season,
      ),
    ).toEqual({
      ok: false,
      reason: "id_checksum",
    });
    expect(
      await fileApplication(db(), { ...inAdmin, destinationOrgId: w.org.EB }, AUG, season),
    ).toMatchObject({
      ok: false,
    });
    // R22: the in-organization's start waits for the out-organization (the member's branch).
    const filed = await fileApplication(db(), inAdmin, AUG, season);
    expect(filed).toMatchObject({ ok: true, state: "awaiting_out_org", decidingOrgId: w.org.UB1 });
    // The out-organization's admin is the member's school; an unrelated admin is not.
    const outAdmin = {
      actor: { kind: "admin", adminId: w.admin.E },
      as: "out_admin",
      memberId: w.member.m4,
      reason: "overseas",
      external: false,
    } as const;
    expect(await fileApplication(db(), outAdmin, AUG, season)).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(
      await fileApplication(
        db(),
        { ...outAdmin, actor: { kind: "admin", adminId: w.admin.UC } },
        AUG,
        season,
      ),
    ).toMatchObject({ ok: true });
    // A member cannot pretend to be an admin.
    expect(
      await fileApplication(
        db(),
        { ...outAdmin, actor: { kind: "member", memberId: w.member.m5 } },
        AUG,
        season,
      ),
    ).toEqual({ ok: false, reason: "not_permitted" });
  });

  it("one open application per member", async () => {
    const first = await fileApplication(db(), furtherStudy("m1", w.org.V), AUG, season);
    const second = await fileApplication(db(), furtherStudy("m1", w.org.VB), AUG, season);
    expect(second).toEqual({
      ok: false,
      reason: "already_open",
      applicationId: first.ok ? first.applicationId : -1,
    });
  });

  it("R21 the initiator withdraws before approval, not after; others cannot", async () => {
    const a = await fileApplication(db(), furtherStudy("m1", w.org.V), AUG, season);
    const b = await fileApplication(db(), furtherStudy("m2", w.org.V), AUG, season);
    if (!a.ok || !b.ok) throw new Error("filing failed");
    expect(
      await withdraw(
        db(),
        { actor: { kind: "member", memberId: w.member.m2 }, applicationId: a.applicationId },
        AUG,
      ),
    ).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(
      await withdraw(
        db(),
        { actor: { kind: "member", memberId: w.member.m1 }, applicationId: a.applicationId },
        AUG,
      ),
    ).toMatchObject({
      ok: true,
      state: "withdrawn",
    });
    await approve(db(), { adminId: w.admin.V, applicationId: b.applicationId }, AUG);
    expect(
      await withdraw(
        db(),
        { actor: { kind: "member", memberId: w.member.m2 }, applicationId: b.applicationId },
        AUG,
      ),
    ).toMatchObject({
      ok: false,
      reason: "already_decided",
      state: "awaiting_assignment",
      by: "管理员V",
    });
    // After a withdrawal the member may file again.
    expect(await fileApplication(db(), furtherStudy("m1", w.org.VB), AUG, season)).toMatchObject({
      ok: true,
    });
  });

  it("R23 rejection needs a reason, returns the application and tells member and initiator", async () => {
    const filed = await fileApplication(
      db(),
      {
        actor: { kind: "admin", adminId: w.admin.U },
        as: "out_admin",
        memberId: w.member.m1,
        reason: "further_study",
        studyType: "university",
        schoolName: "太原工学院",
        schoolAddress: "太原市",
        external: false,
        destinationOrgId: w.org.V,
      },
      AUG,
      season,
    );
    if (!filed.ok) throw new Error(filed.reason);
    expect(
      await reject(
        db(),
        { adminId: w.admin.V, applicationId: filed.applicationId, reason: "  " },
        AUG,
      ),
    ).toEqual({
      ok: false,
      reason: "reason_required",
    });
    expect(
      await reject(
        db(),
        { adminId: w.admin.V, applicationId: filed.applicationId, reason: "未按要求报到" },
        AUG,
      ),
    ).toMatchObject({
      ok: true,
      state: "rejected",
    });
    const told = await db().select().from(outbox).where(eq(outbox.event, "outcome"));
    expect(
      told
        .map((o) => [o.recipientType, o.recipientId, (o.payload as { state: string }).state])
        .sort(),
    ).toEqual(
      [
        ["admin", String(w.admin.U), "rejected"],
        ["member", String(w.member.m1), "rejected"],
      ].sort(),
    );
    const [row] = await db()
      .select()
      .from(applications)
      .where(eq(applications.id, filed.applicationId));
    expect(row).toMatchObject({ rejectReason: "未按要求报到", decidedByAdminId: w.admin.V });
  });

  it("R26 racing approve and reject: exactly one outcome, the loser told who decided", async () => {
    const filed = await fileApplication(db(), furtherStudy("m1", w.org.VB), AUG, season);
    if (!filed.ok) throw new Error(filed.reason);
    const results = await Promise.all([
      approve(db(), { adminId: w.admin.VB, applicationId: filed.applicationId }, AUG),
      reject(
        db(),
        { adminId: w.admin.V, applicationId: filed.applicationId, reason: "名额已满" },
        AUG,
      ),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const loser = results.find((r) => !r.ok);
    expect(loser).toMatchObject({ ok: false, reason: "already_decided" });
    const history = await db()
      .select()
      .from(applicationHistory)
      .where(eq(applicationHistory.applicationId, filed.applicationId));
    expect(history).toHaveLength(2);
    expect(await db().select().from(outbox).where(eq(outbox.event, "outcome"))).toHaveLength(1);
  });

  it("R4 the pending queue is oldest first with waiting days and auto-return date; IDs masked below leading organs", async () => {
    const a = await fileApplication(
      db(),
      furtherStudy("m1", w.org.V),
      shanghai(`${YEAR}-08-20T10:00:00`),
      season,
    );
    const b = await fileApplication(
      db(),
      furtherStudy("m2", w.org.V),
      shanghai(`${YEAR}-08-05T10:00:00`),
      season,
    );
    if (!a.ok || !b.ok) throw new Error("filing failed");
    const now = shanghai(`${YEAR}-09-28T12:00:00`);
    const queue = await pendingQueue(db(), { adminId: w.admin.V }, now, season);
    if (!queue.ok) throw new Error(queue.reason);
    expect(queue.items.map((i) => i.id)).toEqual([b.applicationId, a.applicationId]);
    expect(queue.items[0]).toMatchObject({
      memberName: "李小红",
      idNumber: `${w.idNumber.m2.slice(0, 6)}********${w.idNumber.m2.slice(-4)}`,
      daysWaiting: 54,
      fromOrgName: "计算机2022级1班团支部",
      // R27: counted from the wrap-up's start, so more than 10 days after 1 Oct 00:00.
      autoReturnAt: new Date(shanghai(`${YEAR}-10-11T00:00:00`).getTime() + 1),
    });
    const special = await fileApplication(
      db(),
      asMember("m4", { reason: "special_unit" }),
      AUG,
      season,
    );
    expect(special.ok).toBe(true);
    const province = await pendingQueue(db(), { adminId: w.admin.P }, now, season);
    expect(province.ok && province.items[0]?.idNumber).toBe(w.idNumber.m4);
  });
});
