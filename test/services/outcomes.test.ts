import { asc } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications, members } from "../../src/db/schema.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { outcomeOf } from "../../src/domain/indicators.ts";
import { autoReturnOverdue } from "../../src/services/autoReturn.ts";
import { approve, assign, reject, withdraw } from "../../src/services/decisions/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { buildWorld, furtherStudy, shanghai, type World, YEAR } from "../helpers/world.ts";

const season = seasonFor(YEAR, "Asia/Shanghai");
const at = (local: string) => shanghai(`${YEAR}-${local}`);

describe.each(DB_KINDS)("members' kept outcomes on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const study = (m: keyof World["member"], destinationOrgId: number) =>
    furtherStudy(w.member[m], destinationOrgId);
  const file = async (m: keyof World["member"], destination: number, when: Date) => {
    const filed = await fileApplication(db(), study(m, destination), when, season);
    if (!filed.ok) throw new Error(`filing for ${m}: ${filed.reason}`);
    return filed.applicationId;
  };
  const ok = (result: { ok: boolean }) => expect(result).toMatchObject({ ok: true });

  /** §5 outcome of every member straight from applications, by the domain's rule (R28). */
  async function recomputed() {
    const apps = await db().select().from(applications).orderBy(asc(applications.id));
    const people = await db().select({ id: members.id }).from(members).orderBy(asc(members.id));
    return people.map(({ id }) => {
      const live = outcomeOf(apps.filter((a) => a.memberId === id));
      return {
        id,
        outcomeApplicationId: live?.id ?? null,
        outcomeReason: live?.reason ?? null,
        outcomeState: live?.state ?? null,
        outcomeRetained: live?.retainAtSchool ?? false,
        outcomeDestinationId: live ? (live.assignedBranchId ?? live.toOrgId) : null,
      };
    });
  }

  async function kept() {
    return db()
      .select({
        id: members.id,
        outcomeApplicationId: members.outcomeApplicationId,
        outcomeReason: members.outcomeReason,
        outcomeState: members.outcomeState,
        outcomeRetained: members.outcomeRetained,
        outcomeDestinationId: members.outcomeDestinationId,
      })
      .from(members)
      .orderBy(asc(members.id));
  }

  async function expectInvariant() {
    expect(await kept()).toEqual(await recomputed());
  }

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("every service change of an application keeps each member's outcome equal to a recomputation", async () => {
    await expectInvariant();
    const aug = at("08-15T10:00:00");
    const m1 = await file("m1", w.org.V, aug);
    const m2 = await file("m2", w.org.VB, aug);
    const m3 = await file("m3", w.org.V, aug);
    const m4 = await file("m4", w.org.VB, aug);
    const m5 = await file("m5", w.org.V, aug);
    await expectInvariant();

    // m2 withdraws (no outcome left), refiles, and the branch receiver approves: completed.
    ok(
      await withdraw(
        db(),
        { actor: { kind: "member", memberId: w.member.m2 }, applicationId: m2 },
        aug,
      ),
    );
    await expectInvariant();
    const m2again = await file("m2", w.org.VB, at("08-20T10:00:00"));
    await expectInvariant();
    const sep = at("09-10T09:00:00");
    ok(await approve(db(), { adminId: w.admin.VB, applicationId: m2again }, sep));
    await expectInvariant();

    // m1: the committee approves, then assigns a branch (the destination becomes the branch).
    ok(await approve(db(), { adminId: w.admin.V, applicationId: m1 }, sep));
    await expectInvariant();
    ok(await assign(db(), { adminId: w.admin.V, applicationId: m1, branchId: w.org.VB }, sep));
    await expectInvariant();
    const [m1Kept] = (await kept()).filter((k) => k.id === w.member.m1);
    expect(m1Kept).toMatchObject({ outcomeState: "completed", outcomeDestinationId: w.org.VB });

    // m3 is rejected: no outcome. m5 is approved and then waits for assignment too long.
    ok(await reject(db(), { adminId: w.admin.V, applicationId: m3, reason: "信息错误" }, sep));
    await expectInvariant();
    ok(await approve(db(), { adminId: w.admin.V, applicationId: m5 }, at("09-20T09:00:00")));
    await expectInvariant();

    // R27: m4 (pending since August) and m5 (assignment since 20 Sep) are returned once more
    // than 10 days have passed since 1 October.
    const returned = await autoReturnOverdue(db(), at("10-11T00:00:00.001"), season);
    expect(returned.map((r) => r.applicationId).sort()).toEqual([m4, m5].sort());
    await expectInvariant();
    expect((await kept()).filter((k) => k.outcomeState !== null).map((k) => k.id)).toEqual(
      [w.member.m1, w.member.m2].sort((a, b) => a - b),
    );
  });
});
