/**
 * Issue 14, items 3, 5, 6 and 8 through the dialogs: R28 a completed outcome is never undone
 * (and what the rates say), the wizard refuses as soon as a rule can be known (R18, R19, R31,
 * an open application, R6 months), and the rules whose text changed (R14, R19), with the
 * messages people tripped over.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { createOrganization } from "../../src/db/orgTree.ts";
import { applications, chatBindings, members, organizations } from "../../src/db/schema.ts";
import { openIdNumber, sealIdNumber } from "../../src/db/sealing.ts";
import { approve, assign } from "../../src/services/decisions/index.ts";
import { markBranchGraduation } from "../../src/services/marks.ts";
import { rates } from "../../src/services/rates.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import {
  type AdminName,
  buildWorld,
  idFor,
  type MemberName,
  shanghai,
  type World,
} from "../helpers/world.ts";
import { bindAs, chat, labels, texts } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");

describe.each(DB_KINDS)("issue 14 rules on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db());
  const out = testDeliveries(db);
  const admin = async (a: AdminName) => {
    await bindAs(db(), `admin-${a}`, { adminId: w.admin[a] });
    return chat(engine, `admin-${a}`);
  };
  const member = async (m: MemberName) => {
    await bindAs(db(), m, { memberId: w.member[m] });
    return chat(engine, m);
  };
  const only = async (memberId: number) =>
    db()
      .select()
      .from(applications)
      .where(eq(applications.memberId, memberId))
      .orderBy(applications.id);
  const xsOf = async (orgId: number) => {
    const r = await rates(db(), orgId, 2026, AUG);
    if (!r.ok) throw new Error("rates");
    const { a, b, c, d, e, f } = r.counts;
    return { counts: { a, b, c, d, e, f }, xs: r.xs.value };
  };
  /** The member files "employed, the employer has a league org" to 集团机关团支部 in the wizard. */
  const fileToEmployer = async (u: ReturnType<typeof chat>) => {
    await u.say("/menu");
    await u.press("File a transfer");
    await u.press("No");
    await u.press("Employed (employer has a league organization)");
    await u.say("能源集团");
    await u.say("太原市");
    await u.press("团山西省委");
    await u.say("集团机关");
    await u.press("集团机关团支部 (山西示范能源集团团委)");
    return u.press("Submit");
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    out.clear();
  });

  it("R28 a completed transfer stays the outcome: a follow-up from the township neither undoes it nor lowers XS", async () => {
    // 赵小丽 (not placed) goes to the township, which assigns her to its community branch.
    const filed = await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.m4 },
        as: "member",
        reason: "not_placed",
        address: "太原市迎泽区青年路1号",
        addressKind: "residence",
        external: false,
        destinationOrgId: w.org.TS,
      },
      AUG,
      TEST_SEASON,
    );
    if (!filed.ok) throw new Error(filed.reason);
    await approve(db(), { adminId: w.admin.TS, applicationId: filed.applicationId }, AUG);
    await assign(
      db(),
      { adminId: w.admin.TS, applicationId: filed.applicationId, branchId: w.org.TSB },
      AUG,
    );
    const completed = await xsOf(w.org.U);
    expect(completed).toEqual({
      counts: { a: 0, b: 0, c: 0, d: 1, e: 5, f: 0 },
      xs: 1 / 5,
    });
    // She files the follow-up herself from where she is now: allowed, and XS keeps her.
    const u = await member("m4");
    expect(texts(await fileToEmployer(u))).toContain("Application submitted");
    const [, followUp] = await only(w.member.m4);
    expect(followUp).toMatchObject({ state: "pending", fromOrgId: w.org.TSB });
    expect(await xsOf(w.org.U)).toEqual(completed);
    // The follow-up completes: the season's indicators still keep the first completed outcome.
    await approve(db(), { adminId: w.admin.EB, applicationId: followUp!.id }, AUG);
    expect(await xsOf(w.org.U)).toEqual(completed);
    const [kept] = await db().select().from(members).where(eq(members.id, w.member.m4));
    expect(kept).toMatchObject({
      outcomeApplicationId: filed.applicationId,
      outcomeDestinationId: w.org.TSB,
      branchId: w.org.EB,
    });
    // The same in the /rates a committee reads.
    const school = await admin("U");
    expect(texts(await school.say("/rates"))).toContain(
      "XS (into society) 20.0% = D 1 / (E 5 + F 0)",
    );
  });

  it("R28 R15 only a retention at school is replaced, once its follow-up completes", async () => {
    const retained = await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.m5 },
        as: "member",
        reason: "not_placed",
        address: "太原市小店区",
        addressKind: "residence",
        retainAtSchool: true,
        external: false,
      },
      AUG,
      TEST_SEASON,
    );
    if (!retained.ok) throw new Error(retained.reason);
    await approve(db(), { adminId: w.admin.U, applicationId: retained.applicationId }, AUG);
    // Retained at school counts as not transferred (R15).
    expect(await xsOf(w.org.U)).toEqual({
      counts: { a: 0, b: 0, c: 0, d: 0, e: 5, f: 0 },
      xs: 0,
    });
    const u = await member("m5");
    await fileToEmployer(u);
    const [, followUp] = await only(w.member.m5);
    // While the follow-up waits, the retention is still the outcome.
    expect(await xsOf(w.org.U)).toEqual({
      counts: { a: 0, b: 0, c: 0, d: 0, e: 5, f: 0 },
      xs: 0,
    });
    await approve(db(), { adminId: w.admin.EB, applicationId: followUp!.id }, AUG);
    expect(await xsOf(w.org.U)).toEqual({
      counts: { a: 0, b: 0, c: 0, d: 1, e: 5, f: 0 },
      xs: 1 / 5,
    });
  });

  it("R28 an in-organization cannot receive a member already transferred; the special-unit library's members file nothing", async () => {
    const done = await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.m1 },
        as: "member",
        reason: "employed_with_org",
        employerName: "能源集团",
        employerAddress: "太原市",
        external: false,
        destinationOrgId: w.org.EB,
      },
      AUG,
      TEST_SEASON,
    );
    if (!done.ok) throw new Error(done.reason);
    await approve(db(), { adminId: w.admin.EB, applicationId: done.applicationId }, AUG);
    const before = await xsOf(w.org.U);
    const v = await admin("V");
    await v.say("/menu");
    await v.press("Receive a member (further study)");
    await v.say(w.memberName.m1);
    const refused = texts(await v.say(w.idNumber.m1));
    expect(refused).toContain("This member has already completed a transfer this season");
    expect(refused).toContain(
      "A follow-up transfer is started by the organization they are in now, or by the member.",
    );
    expect(refused).not.toContain(w.idNumber.m1);
    // The service says the same to anyone who skips the wizard.
    expect(
      await fileApplication(
        db(),
        {
          actor: { kind: "admin", adminId: w.admin.V },
          as: "in_admin",
          memberName: w.memberName.m1,
          memberIdNumber: w.idNumber.m1,
          reason: "further_study",
          studyType: "university",
          schoolName: "太原工学院",
          schoolAddress: "太原市",
          external: false,
          destinationOrgId: w.org.V,
        },
        AUG,
        TEST_SEASON,
      ),
    ).toEqual({ ok: false, reason: "already_transferred" });
    expect(await only(w.member.m1)).toHaveLength(1);
    expect(await xsOf(w.org.U)).toEqual(before);

    // R17: a member the province approved into the special-unit library files nothing here.
    const special = await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.m3 },
        as: "member",
        reason: "special_unit",
        external: false,
      },
      AUG,
      TEST_SEASON,
    );
    if (!special.ok) throw new Error(special.reason);
    await approve(db(), { adminId: w.admin.P, applicationId: special.applicationId }, AUG);
    const m3 = await member("m3");
    await m3.say("/menu");
    expect(texts(await m3.press("File a transfer"))).toContain(
      "This member is in the special-unit library, managed by the provincial committee",
    );
  });

  it("R31 a graduate 28 or older in the graduation month is refused before the first question and counts in no indicator", async () => {
    const person = async (name: string, birthDate: string, seq: number) => {
      const [row] = await db()
        .insert(members)
        .values({
          name,
          ...sealIdNumber(idFor(birthDate, seq)),
          branchId: w.org.UB2,
        })
        .returning({ id: members.id });
      return row!.id;
    };
    // 28 on 20 June 2026, within the graduation month; the other is still 27 on 30 June.
    const old = await person("老同学", "1998-06-20", 500);
    await person("大同学", "1998-07-01", 501);
    const before = await xsOf(w.org.U);
    expect(
      await markBranchGraduation(
        db(),
        { adminId: w.admin.U, branchId: w.org.UB2, month: "2026-06" },
        AUG,
        TEST_SEASON,
      ),
    ).toEqual({ ok: true });
    // Only the one still 27 joins the indicators.
    expect((await xsOf(w.org.U)).counts.e).toBe(before.counts.e + 1);
    await bindAs(db(), "old", { memberId: old });
    const u = chat(engine, "old");
    await u.say("/menu");
    const refused = texts(await u.press("File a transfer"));
    expect(refused).toContain("members leave the League at 28");
    expect(refused).not.toContain("Beijing, Guangdong or Fujian");
    // The school admin hears the same as soon as the member is picked.
    const school = await admin("U");
    await school.say("/menu");
    await school.press("Transfer a member out");
    await school.say("2班");
    await school.press("计算机2022级2班团支部");
    const [row] = await db().select().from(members).where(eq(members.id, old));
    const idNumber = openIdNumber(row!.idSealed);
    const picked = texts(
      await school.press(`老同学 (${idNumber.slice(0, 6)}********${idNumber.slice(-4)})`),
    );
    expect(picked).toContain("members leave the League at 28");
    expect(
      await fileApplication(
        db(),
        {
          actor: { kind: "member", memberId: old },
          as: "member",
          reason: "overseas",
          external: false,
        },
        AUG,
        TEST_SEASON,
      ),
    ).toEqual({ ok: false, reason: "leaves_league_by_age", limit: 28 });
  });

  it("R18 a school admin filing 'not placed' is never offered the household address", async () => {
    const school = await admin("U");
    await school.say("/menu");
    await school.press("Transfer a member out");
    await school.say("1班");
    await school.press("计算机2022级1班团支部");
    await school.press(`张小明 (${w.idNumber.m1.slice(0, 6)}********${w.idNumber.m1.slice(-4)})`);
    await school.press("No");
    const asked = await school.press("Neither studying nor employed yet");
    expect(texts(asked)).toBe(
      [
        'A school filing "not placed" must give the member\'s residence address (never simply the household registration).',
        "Enter the full address of the member's residence:",
      ].join("\n"),
    );
    expect(labels(asked)).not.toContain("household");
    await school.say("太原市迎泽区青年路1号");
    await school.press(
      "To the township/street committee of residence or household (residence preferred)",
    );
    await school.press("团山西省委");
    await school.say("柳巷");
    await school.press("柳巷街道团工委 (团太原市迎泽区委)");
    await school.press("Submit");
    expect(await only(w.member.m1)).toMatchObject([
      { reason: "not_placed", addressKind: "residence", initiatorKind: "out_admin" },
    ]);
    // The member may give either (residence preferred).
    const m2 = await member("m2");
    await m2.say("/menu");
    await m2.press("File a transfer");
    await m2.press("No");
    expect(labels(await m2.press("Neither studying nor employed yet"))).toEqual(
      expect.arrayContaining(["residence", "household registration"]),
    );
  });

  it("an open application is refused when the member is picked, before any question about them", async () => {
    await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.m2 },
        as: "member",
        reason: "overseas",
        external: false,
      },
      AUG,
      TEST_SEASON,
    );
    const school = await admin("U");
    await school.say("/menu");
    await school.press("Transfer a member out");
    await school.say("1班");
    await school.press("计算机2022级1班团支部");
    const picked = texts(
      await school.press(`李小红 (${w.idNumber.m2.slice(0, 6)}********${w.idNumber.m2.slice(-4)})`),
    );
    expect(picked).toContain("There is already an application in progress (no. 1)");
    expect(picked).toContain("计算机2022级1班团支部: 4 members. Choose one:");
  });

  it("R6 /graduation takes 2028年6月 and 2028-06, and refuses a month before the season at once", async () => {
    const u = await admin("U");
    await u.say("/graduation");
    await u.say("2班");
    await u.press("计算机2022级2班团支部");
    expect(texts(await u.say("2025-06"))).toContain(
      "A past season's graduation month cannot be marked: give this season's year or a later one.",
    );
    expect(texts(await u.say("2028年6月"))).toBe(
      "Saved: 计算机2022级2班团支部, graduating 2028-06.",
    );
    await u.say("/graduation");
    await u.say("2班");
    await u.press("计算机2022级2班团支部");
    expect(texts(await u.say("2027-6"))).toBe("Saved: 计算机2022级2班团支部, graduating 2027-06.");
    const [branch] = await db().select().from(organizations).where(eq(organizations.id, w.org.UB2));
    expect(branch!.graduationMonth).toBe("2027-06");
    // A delayed graduate's month is read the same way, and one character is no reason.
    await u.say("/identity");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    await u.press(`王小刚 (${w.idNumber.m3.slice(0, 6)}********${w.idNumber.m3.slice(-4)})`);
    await u.press("Mark as delayed graduate");
    expect(texts(await u.say("病"))).toContain("That reason is too short");
    await u.say("病休一年");
    expect(texts(await u.say("2027年7月"))).toContain("Marked as delayed graduate");
  });

  it("R19 an external further-study transfer counts as school-domain; the summary says Yes once; what happens next and where", async () => {
    await bindAs(db(), "j", { memberId: w.member.j1 });
    const u = chat(engine, "j");
    await u.say("/menu");
    await u.press("File a transfer");
    await u.press("Yes (Beijing/Guangdong/Fujian)");
    await u.press("Further study");
    await u.press("General high school");
    await u.say("北京某中学");
    await u.say("北京市海淀区");
    await u.press("团北京市委");
    await u.say("北京某中学团委");
    await u.say("北京市海淀区1号");
    const summary = texts(await u.say("联系人：王老师"));
    // Under 16, but further study: no explanation, no leader.
    expect(summary).not.toContain("You are under 16");
    expect(summary).toContain("To Beijing/Guangdong/Fujian: Yes\n");
    expect(summary).not.toContain("Yes (Beijing/Guangdong/Fujian)");
    const submitted = texts(await u.press("Submit"));
    expect(submitted).toContain("Status: Waiting for the receiving organization.");
    expect(submitted).toContain(
      "团北京市委 reviews this application first; once approved, your membership goes to 北京某中学团委 (北京市海淀区1号), which receives you in its own system.",
    );
    const [app] = await only(w.member.j1);
    expect(app).toMatchObject({ state: "pending", external: true, decidingOrgId: w.org.BJ });
    await approve(db(), { adminId: w.admin.BJ, applicationId: app!.id }, AUG);
    await out.deliver(AUG);
    expect(texts(out.to("j"))).toContain(
      `Your transfer application #${app!.id} was approved by 团北京市委. 北京某中学团委 (北京市海淀区1号) now receives you in its own system`,
    );
  });

  it("R14 a street's 团工委 and the branches in its subtree are offered; R6 a teachers' branch is not offered for further study", async () => {
    const gongwei = await db().transaction((tx) =>
      createOrganization(tx, {
        parentId: w.org.X,
        name: "坞城街道团工委",
        kind: "working_committee",
        level: "township",
        domain: "community",
      }),
    );
    await db().transaction((tx) =>
      createOrganization(tx, {
        parentId: gongwei.id,
        name: "坞城街道体育路社区团支部",
        kind: "branch",
        domain: "community",
      }),
    );
    const u = await member("m2");
    await u.say("/menu");
    await u.press("File a transfer");
    await u.press("No");
    await u.press("Employed (employer has no league organization)");
    await u.say("某商店");
    await u.say("太原市小店区");
    await u.press("团山西省委");
    await u.say("坞城");
    expect(labels(u.last).filter((l) => !l.startsWith("«") && l !== "Cancel")).toEqual([
      "坞城街道团工委 (团太原市小店区委)",
      "坞城街道体育路社区团支部 (坞城街道团工委)",
    ]);
    await u.press("坞城街道体育路社区团支部 (坞城街道团工委)");
    await u.press("Submit");
    expect((await only(w.member.m2))[0]).toMatchObject({ state: "pending" });

    await markBranchGraduation(
      db(),
      { adminId: w.admin.V, branchId: w.org.VB, unsetReason: "teacher_branch" },
      AUG,
      TEST_SEASON,
    );
    const m1 = await member("m1");
    await m1.say("/menu");
    await m1.press("File a transfer");
    await m1.press("No");
    await m1.press("Further study");
    await m1.press("University");
    await m1.say("太原工学院");
    await m1.say("太原市");
    await m1.press("团山西省委");
    expect(texts(await m1.say("研究生"))).toContain("No organization under 团山西省委");
  });

  it("/unbind refusals speak of binding", async () => {
    await db().insert(chatBindings).values({ channel: "test", chatId: "g-V", orgId: w.org.V });
    await bindAs(db(), "m1", { memberId: w.member.m1 });
    expect(texts(await chat(engine, "m1", "g-V").say("/unbind"))).toBe(
      "Only bound admins can unbind a group chat. Bind yourself with a code in a private chat first.",
    );
    await admin("E");
    expect(texts(await chat(engine, "admin-E", "g-V").say("/unbind"))).toBe(
      "This chat is bound to 太原工学院团委: only admins of that organization or of one above it can remove the binding.",
    );
    await admin("V");
    expect(texts(await chat(engine, "admin-V", "g-V").say("/unbind"))).toContain(
      "no longer bound to 太原工学院团委",
    );
  });
});
