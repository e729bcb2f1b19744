import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { markHistory, members, organizations, outbox } from "../../src/db/schema.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import {
  convertGraduateOrganizations,
  decideGraduationChange,
  graduationChangeProgress,
  markBranchGraduation,
  markIdentity,
  requestGraduationChange,
  revokeIdentity,
} from "../../src/services/marks.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { buildWorld, shanghai, type World, YEAR } from "../helpers/world.ts";

const season = seasonFor(YEAR, "Asia/Shanghai");
const NOW = shanghai(`${YEAR}-05-10T10:00:00`);

describe.each(DB_KINDS)("graduation and identity marks on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const org = async (id: number) =>
    (await db().select().from(organizations).where(eq(organizations.id, id)))[0]!;
  const member = async (id: number) =>
    (await db().select().from(members).where(eq(members.id, id)))[0]!;

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("R6 admins above a branch (never a branch admin) set its month, or a teacher/mixed reason", async () => {
    const mark = (adminId: number, rest: object) =>
      markBranchGraduation(db(), { adminId, branchId: w.org.UB2, ...rest }, NOW, season);
    expect(await mark(w.admin.UB1, { month: `${YEAR}-07` })).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(await mark(w.admin.E, { month: `${YEAR}-07` })).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(await mark(w.admin.UC, {})).toEqual({ ok: false, reason: "month_or_reason_required" });
    expect(await mark(w.admin.UC, { month: "2026-13" })).toEqual({
      ok: false,
      reason: "invalid_month",
    });
    expect(await mark(w.admin.UC, { month: `${YEAR}-07` })).toEqual({ ok: true });
    expect((await org(w.org.UB2)).graduationMonth).toBe(`${YEAR}-07`);
    expect(await member(w.member.m4)).toMatchObject({
      graduationMonth: `${YEAR}-07`,
      graduationYear: YEAR,
    });
    expect(await mark(w.admin.U, { unsetReason: "mixed_branch" })).toEqual({ ok: true });
    expect(await org(w.org.UB2)).toMatchObject({
      graduationMonth: null,
      graduationUnsetReason: "mixed_branch",
    });
    const history = await db().select().from(markHistory).where(eq(markHistory.orgId, w.org.UB2));
    expect(history.map((h) => h.action)).toEqual(["graduation_month", "graduation_month"]);
  });

  it("R7 marked branches graduating this year become graduate organizations on the configured day, once", async () => {
    expect(
      await convertGraduateOrganizations(db(), season, shanghai(`${YEAR}-05-31T23:59:59`)),
    ).toEqual([]);
    const converted = await convertGraduateOrganizations(
      db(),
      season,
      shanghai(`${YEAR}-06-01T00:00:00`),
    );
    expect(converted.sort()).toEqual([w.org.UB1, w.org.UB2, w.org.HJ, w.org.PS].sort());
    expect((await org(w.org.UB1)).category).toBe("graduate");
    expect((await org(w.org.VB)).category).toBe("normal");
    expect(
      await convertGraduateOrganizations(db(), season, shanghai(`${YEAR}-06-02T00:00:00`)),
    ).toEqual([]);
    // R8: a graduate organization's month changes only through a request.
    expect(
      await markBranchGraduation(
        db(),
        { adminId: w.admin.UC, branchId: w.org.UB1, month: `${YEAR}-07` },
        NOW,
        season,
      ),
    ).toEqual({ ok: false, reason: "use_change_request" });
  });

  it("R8 the direct superior requests a change; a leading organ above approves; progress is visible", async () => {
    await convertGraduateOrganizations(db(), season, shanghai(`${YEAR}-06-01T00:00:00`));
    const ask = (adminId: number) =>
      requestGraduationChange(
        db(),
        { adminId, branchId: w.org.UB1, newMonth: `${YEAR}-12`, reason: "学制调整" },
        NOW,
        season,
      );
    expect(await ask(w.admin.U)).toEqual({ ok: false, reason: "not_permitted" });
    const requested = await ask(w.admin.UC);
    expect(requested).toMatchObject({ ok: true, approverOrgId: w.org.P });
    if (!requested.ok) return;
    expect((await org(w.org.UB1)).graduationMonth).toBe(`${YEAR}-06`);
    const needed = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.event, "graduation_change_needed"));
    expect(needed).toMatchObject([{ recipientType: "org", recipientId: String(w.org.P) }]);
    expect(
      await decideGraduationChange(
        db(),
        { adminId: w.admin.T, requestId: requested.requestId, approve: true },
        NOW,
      ),
    ).toEqual({ ok: false, reason: "not_permitted" });
    expect(
      await decideGraduationChange(
        db(),
        { adminId: w.admin.P, requestId: requested.requestId, approve: true },
        NOW,
      ),
    ).toEqual({ ok: true, state: "approved" });
    expect((await org(w.org.UB1)).graduationMonth).toBe(`${YEAR}-12`);
    expect(await member(w.member.m1)).toMatchObject({ graduationMonth: `${YEAR}-12` });
    expect(
      await decideGraduationChange(
        db(),
        { adminId: w.admin.P, requestId: requested.requestId, approve: false },
        NOW,
      ),
    ).toMatchObject({ ok: false, reason: "already_decided" });
    const progress = await graduationChangeProgress(db(), w.org.UB1);
    expect(progress).toMatchObject([
      { state: "approved", decidedByAdminId: w.admin.P, newMonth: `${YEAR}-12` },
    ]);
  });

  it("R9 R10 school admins mark teachers and delayed graduates (later date, reason); revoking restores the branch date", async () => {
    expect(
      await markIdentity(
        db(),
        { adminId: w.admin.T, memberIds: [w.member.m1], mark: { kind: "teacher" } },
        NOW,
        season,
      ),
    ).toEqual({ ok: false, reason: "not_permitted" });
    expect(
      await markIdentity(
        db(),
        {
          adminId: w.admin.U,
          memberIds: [w.member.m1],
          mark: { kind: "delayed", month: `${YEAR}-06`, reason: "挂科" },
        },
        NOW,
        season,
      ),
    ).toEqual({ ok: false, reason: "delayed_date_not_later" });
    expect(
      await markIdentity(
        db(),
        {
          adminId: w.admin.U,
          memberIds: [w.member.m1],
          mark: { kind: "delayed", month: `${YEAR + 1}-01`, reason: " " },
        },
        NOW,
        season,
      ),
    ).toEqual({ ok: false, reason: "reason_required" });
    const delayed = await markIdentity(
      db(),
      {
        adminId: w.admin.UC,
        memberIds: [w.member.m1, w.member.m2],
        mark: { kind: "delayed", month: `${YEAR + 1}-01`, reason: "学分未修满" },
      },
      NOW,
      season,
    );
    expect(delayed).toEqual({ ok: true, marked: 2 });
    const m1 = await member(w.member.m1);
    expect(m1).toMatchObject({
      identity: "delayed",
      graduationMonth: `${YEAR + 1}-01`,
      graduationYear: YEAR + 1,
      graduationBranchId: w.org.UB1,
    });
    // Managed in the school's delayed-graduation organization, created on demand (G2.6).
    expect(await org(m1.branchId)).toMatchObject({
      category: "delayed_graduation",
      parentId: w.org.U,
    });

    expect(
      await markIdentity(
        db(),
        { adminId: w.admin.U, branchId: w.org.UB2, mark: { kind: "teacher" } },
        NOW,
        season,
      ),
    ).toEqual({
      ok: true,
      marked: 2,
    });
    expect((await member(w.member.m4)).identity).toBe("teacher");

    expect(
      await revokeIdentity(db(), { adminId: w.admin.U, memberIds: [w.member.m3] }, NOW),
    ).toEqual({
      ok: false,
      reason: "not_marked",
    });
    expect(
      await revokeIdentity(
        db(),
        { adminId: w.admin.U, memberIds: [w.member.m1, w.member.m4] },
        NOW,
      ),
    ).toEqual({
      ok: true,
      revoked: 2,
    });
    expect(await member(w.member.m1)).toMatchObject({
      identity: "graduate",
      branchId: w.org.UB1,
      graduationMonth: `${YEAR}-06`,
      graduationYear: YEAR,
      delayedReason: null,
    });
    expect((await member(w.member.m4)).identity).toBe("graduate");
  });

  it("R9 a school that is only a branch is marked by its direct superior's admin", async () => {
    expect(
      await markIdentity(
        db(),
        { adminId: w.admin.Y, memberIds: [w.member.p1], mark: { kind: "teacher" } },
        NOW,
        season,
      ),
    ).toEqual({
      ok: true,
      marked: 1,
    });
    expect(
      await markIdentity(
        db(),
        { adminId: w.admin.T, memberIds: [w.member.p1], mark: { kind: "teacher" } },
        NOW,
        season,
      ),
    ).toEqual({
      ok: false,
      reason: "not_permitted",
    });
  });
});
