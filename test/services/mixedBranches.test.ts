/**
 * R6 mixed branches (issue 21): admins mark which members of a branch marked "mixed" graduate in
 * which month, one by one (in chat) or the whole branch; those are graduates of that season for
 * every rule and indicator (R31 age, FQ/SX/XS), the rest are not; R7 never converts the branch.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { members, organizations } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { convertGraduateOrganizations, markBranchGraduation } from "../../src/services/marks.ts";
import { markMixedGraduates } from "../../src/services/mixedGraduates.ts";
import { rates } from "../../src/services/rates.ts";
import { bindAs, chat, texts } from "../dialogs/fixtures.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, idFor, shanghai, type World } from "../helpers/world.ts";

const MAY = shanghai("2026-05-10T10:00:00");

describe.each(DB_KINDS)("R6 mixed branches on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  let w: World;
  let people: Record<"a" | "b" | "c" | "old", number>;

  beforeEach(async () => {
    w = await buildWorld(db());
    expect(
      await markBranchGraduation(
        db(),
        { adminId: w.admin.V, branchId: w.org.VB, unsetReason: "mixed_branch" },
        MAY,
        TEST_SEASON,
      ),
    ).toEqual({ ok: true });
    const rows = await db()
      .insert(members)
      .values(
        (
          [
            ["研究生甲", "2001-03-01", 801],
            ["研究生乙", "2001-04-01", 802],
            ["研究生丙", "2001-05-01", 803],
            ["研究生丁", "1997-01-01", 804],
          ] as const
        ).map(([name, birth, seq]) => ({
          name,
          ...sealIdNumber(idFor(birth, seq)),
          branchId: w.org.VB,
        })),
      )
      .returning({ id: members.id });
    const [a, b, c, old] = rows.map((r) => r.id) as [number, number, number, number];
    people = { a, b, c, old };
  });

  const member = async (id: number) =>
    (await db().select().from(members).where(eq(members.id, id)))[0]!;

  it("R6 one by one in chat: the marked member graduates that month, the rest do not; FQ/SX/XS count only them", async () => {
    await bindAs(db(), "admin-V", { adminId: w.admin.V });
    const u = chat(() => testEngine(db()), "admin-V");
    await u.say("/mixed");
    await u.say("研究生");
    await u.press("研究生2026级1班团支部");
    await u.press("研究生甲 (140105********8014)");
    expect(texts(u.last)).toContain("type the graduation month (YYYY-MM");
    expect(texts(await u.say("2026-6"))).toContain(
      "Saved: 研究生甲 (140105********8014) graduate in 2026-06 (1 members)",
    );
    expect(await member(people.a)).toMatchObject({
      graduationMonth: "2026-06",
      graduationYear: 2026,
      graduationBranchId: w.org.VB,
    });
    expect(await member(people.b)).toMatchObject({ graduationMonth: null, graduationYear: null });
    // Another of them graduates next season: not a graduate of 2026.
    expect(
      await markMixedGraduates(
        db(),
        { adminId: w.admin.V, branchId: w.org.VB, memberIds: [people.b], month: "2027-06" },
        MAY,
        TEST_SEASON,
      ),
    ).toEqual({ ok: true, marked: 1 });
    const v = await rates(db(), w.org.V, 2026, MAY);
    if (!v.ok) throw new Error(v.reason);
    // §5: only 研究生甲 is a graduate of 2026 in 太原工学院团委 (no application yet: E).
    expect(v.counts).toMatchObject({ b: 0, e: 1, initiated: 0 });
  });

  it("R6 the whole branch at once, then back to not graduating; R31 applies to the marked (28 in the month)", async () => {
    expect(
      await markMixedGraduates(
        db(),
        { adminId: w.admin.V, branchId: w.org.VB, month: "2026-07" },
        MAY,
        TEST_SEASON,
      ),
    ).toEqual({ ok: true, marked: 4 });
    expect(await member(people.old)).toMatchObject({ graduationYear: 2026, agesOut: true });
    expect(await member(people.c)).toMatchObject({ graduationYear: 2026, agesOut: false });
    // Re-saving "mixed" keeps the members' own months.
    await markBranchGraduation(
      db(),
      { adminId: w.admin.V, branchId: w.org.VB, unsetReason: "mixed_branch" },
      MAY,
      TEST_SEASON,
    );
    expect(await member(people.c)).toMatchObject({ graduationMonth: "2026-07" });
    expect(
      await markMixedGraduates(
        db(),
        { adminId: w.admin.V, branchId: w.org.VB, memberIds: [people.c], month: null },
        MAY,
        TEST_SEASON,
      ),
    ).toEqual({ ok: true, marked: 1 });
    expect(await member(people.c)).toMatchObject({ graduationMonth: null, graduationYear: null });
  });

  it("R7 the conversion does not turn a mixed branch into a graduate organization, however many graduate", async () => {
    await markMixedGraduates(
      db(),
      { adminId: w.admin.V, branchId: w.org.VB, month: "2026-06" },
      MAY,
      TEST_SEASON,
    );
    const converted = await convertGraduateOrganizations(
      db(),
      TEST_SEASON,
      shanghai("2026-06-01T00:10:00"),
    );
    expect(converted).toContain(w.org.UB1);
    expect(converted).not.toContain(w.org.VB);
    const [vb] = await db().select().from(organizations).where(eq(organizations.id, w.org.VB));
    expect(vb).toMatchObject({ category: "normal", graduationUnsetReason: "mixed_branch" });
  });

  it("R6 refused outside a mixed branch, for another branch's member, a bad month, or a branch admin; nothing written", async () => {
    const mark = (input: Partial<Parameters<typeof markMixedGraduates>[1]>) =>
      markMixedGraduates(
        db(),
        { adminId: w.admin.V, branchId: w.org.VB, month: "2026-06", ...input },
        MAY,
        TEST_SEASON,
      );
    expect(await mark({ adminId: w.admin.U, branchId: w.org.UB1 })).toEqual({
      ok: false,
      reason: "branch_not_mixed",
    });
    expect(await mark({ memberIds: [people.a, w.member.m1] })).toEqual({
      ok: false,
      reason: "unknown_member",
    });
    expect(await mark({ month: "2025-06" })).toEqual({ ok: false, reason: "month_before_season" });
    expect(await mark({ adminId: w.admin.VB })).toEqual({ ok: false, reason: "not_permitted" });
    expect(await member(people.a)).toMatchObject({ graduationMonth: null });
    // In chat, a branch that is not mixed is said so, with the way to mark it.
    await bindAs(db(), "admin-U", { adminId: w.admin.U });
    const u = chat(() => testEngine(db()), "admin-U");
    await u.say("/mixed");
    await u.say("2022级1班");
    await u.press("计算机2022级1班团支部");
    await u.press("The whole branch");
    expect(texts(u.last)).toContain("is not marked as a mixed branch");
  });
});
