/** The admin's own flows through the dialog engine (issue 6): R5, R6, R8, R9, R10, R11, codes, rates. */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications, chatIdentities, members, organizations } from "../../src/db/schema.ts";
import { maskIdNumber } from "../../src/domain/idNumber.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { convertGraduateOrganizations, decideGraduationChange } from "../../src/services/marks.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { type AdminName, buildWorld, type MemberName, type World } from "../helpers/world.ts";
import { bindAs, chat, labels, texts } from "./fixtures.ts";

describe.each(DB_KINDS)("admin dialogs on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const engine = () => testEngine(database.current.db);
  const db = () => database.current.db;
  const admin = async (a: AdminName) => {
    await bindAs(db(), `admin-${a}`, { adminId: w.admin[a] });
    return chat(engine, `admin-${a}`);
  };
  /** A member's picker label: name and masked ID number, never the full one (R4). */
  const label = (m: MemberName) => `${w.memberName[m]} (${maskIdNumber(w.idNumber[m])})`;
  const member = async (m: MemberName) =>
    (await db().select().from(members).where(eq(members.id, w.member[m])))[0]!;
  const everything = (u: { last: Parameters<typeof texts>[0] }) =>
    `${texts(u.last)}\n${labels(u.last).join("\n")}`;

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("shows the admin entries in the menu and lists them in help", async () => {
    const u = await admin("U");
    await u.say("/menu");
    expect(labels(u.last)).toEqual(
      expect.arrayContaining([
        "Locate a member",
        "Rates (FQ / SX / XS / DW)",
        "Transfer a member out",
        "Receive a member (further study)",
        "Binding codes",
        "Graduation month",
        "Teacher / delayed graduate",
      ]),
    );
    expect(labels(u.last)).not.toContain("File a transfer");
    expect(texts(await u.say("/help"))).toContain("locate a member by name and ID number");
  });

  it("R1 flow branch: a school committee with a code is offered it, a name without 流动团员 is asked again, the branch is created", async () => {
    const v = await admin("V");
    await v.say("/menu");
    expect(labels(v.last)).toContain("Create a flow branch");
    await v.say("/flowbranch");
    expect(texts(v.last)).toBe('Enter the new flow branch\'s name (it must contain "流动团员"):');
    expect(texts(await v.say("太原工学院临时团支部"))).toBe(
      'A flow branch\'s name must contain "流动团员".\n---\nEnter the new flow branch\'s name (it must contain "流动团员"):',
    );
    expect(texts(await v.say("太原工学院流动团员团支部"))).toBe(
      "Created 太原工学院流动团员团支部 under your organization.",
    );
    const [created] = await db()
      .select()
      .from(organizations)
      .where(eq(organizations.name, "太原工学院流动团员团支部"));
    expect(created).toMatchObject({ category: "flow_branch", kind: "branch", parentId: w.org.V });
  });

  it("R1 flow branch: a county committee may create one; other admins are not offered it and are told why", async () => {
    const x = await admin("X");
    await x.say("/flowbranch");
    expect(texts(await x.say("团小店区委流动团员团支部"))).toBe(
      "Created 团小店区委流动团员团支部 under your organization.",
    );
    for (const name of ["E", "UC"] as const) {
      const other = await admin(name);
      await other.say("/menu");
      expect(labels(other.last)).not.toContain("Create a flow branch");
      expect(texts(await other.say("/flowbranch"))).toBe(
        "Only a school committee with an institution code, or a county committee, may create a flow branch.",
      );
    }
  });

  it("R3 an emptied graduate organization is offered in the menu, deleted after confirming, and the admin is reminded of 智慧团建", async () => {
    await convertGraduateOrganizations(
      db(),
      TEST_SEASON,
      new Date(`${TEST_SEASON.year}-06-02T00:00:00+08:00`),
    );
    const u = await admin("U");
    await u.say("/menu");
    expect(labels(u.last).join("\n")).not.toContain("Delete emptied graduate organizations");
    expect(texts(await u.say("/cleanup"))).toBe(
      "No graduate organization waits for deletion: one is offered here once all its members have transferred.",
    );
    await db().update(members).set({ branchId: w.org.VB }).where(eq(members.branchId, w.org.UB2));
    await u.say("/menu");
    expect(labels(u.last)).toContain("Delete emptied graduate organizations (1)");
    await u.press("Delete emptied graduate organizations (1)");
    expect(texts(u.last)).toBe(
      "All members of these graduate organizations have transferred (1). Delete them here, and in 智慧团建 too. Choose one:",
    );
    await u.press("计算机2022级2班团支部");
    expect(texts(u.last)).toContain("Delete 计算机2022级2班团支部? It leaves every list");
    expect(labels(u.last)).toEqual(["Delete it", "Back to the list"]);
    await u.press("Delete it");
    expect(texts(u.last)).toBe(
      [
        "Deleted 计算机2022级2班团支部 here. Remember to delete it in 智慧团建 too.",
        "No graduate organization waits for deletion: one is offered here once all its members have transferred.",
      ].join("\n---\n"),
    );
    const [org] = await db().select().from(organizations).where(eq(organizations.id, w.org.UB2));
    expect(org?.deletedAt).not.toBeNull();
    await u.say("/menu");
    expect(labels(u.last).join("\n")).not.toContain("Delete emptied graduate organizations");
  });

  it("R3 only an admin above it is offered the deletion; a graduate organization's own admin is not", async () => {
    await convertGraduateOrganizations(
      db(),
      TEST_SEASON,
      new Date(`${TEST_SEASON.year}-06-02T00:00:00+08:00`),
    );
    await db().update(members).set({ branchId: w.org.UB1 }).where(eq(members.branchId, w.org.UB2));
    await db().update(members).set({ branchId: w.org.VB }).where(eq(members.branchId, w.org.UB1));
    const own = await admin("UB1");
    expect(texts(await own.say("/cleanup"))).toContain(
      "No graduate organization waits for deletion",
    );
    const other = await admin("V");
    expect(texts(await other.say("/cleanup"))).toContain(
      "No graduate organization waits for deletion",
    );
    const u = await admin("U");
    await u.say("/cleanup");
    expect(labels(u.last)).toEqual(
      expect.arrayContaining(["计算机2022级1班团支部", "计算机2022级2班团支部"]),
    );
  });

  it("R5 locate: a bad ID number is explained and asked again; found shows only the organization and its admins", async () => {
    const u = await admin("Y");
    await u.say("/locate");
    expect(texts(u.last)).toBe("Enter the member's name:");
    await u.say("张小明");
    expect(texts(await u.say("140105"))).toBe(
      "An ID number has 18 characters.\n---\nEnter the ID number of 张小明:",
    );
    const bad = `${w.idNumber.m1.slice(0, 17)}${w.idNumber.m1.endsWith("1") ? "2" : "1"}`;
    expect(texts(await u.say(bad))).toContain("check character is wrong");
    const found = texts(await u.say(w.idNumber.m1));
    expect(found).toBe(
      [
        `张小明 (${maskIdNumber(w.idNumber.m1)}) is now in: 计算机2022级1班团支部`,
        "Admin: 管理员UB1, 0351-000UB1",
      ].join("\n"),
    );
    expect(found).not.toContain(w.idNumber.m1);
  });

  it("R5 locate: a wrong name finds nobody and never echoes the full ID number", async () => {
    const u = await admin("Y");
    await u.say("/locate");
    await u.say("王五");
    const reply = texts(await u.say(w.idNumber.m1));
    expect(reply).toBe(
      `No member named 王五 with ID number ${maskIdNumber(w.idNumber.m1)} was found. Check the name and the number.`,
    );
    expect(reply).not.toContain(w.idNumber.m1);
  });

  it("§5 rates: FQ, SX, XS and DW with their counts, children worst XS first; the overseas branch is no region, the empty flow branch one line", async () => {
    // Through the services, so whatever keeps the members' outcomes keeps them here too.
    const now = new Date("2026-07-01T02:00:00Z");
    const completed = async (m: MemberName, fields: Partial<FileInput>, receiver: AdminName) => {
      const filed = await fileApplication(
        db(),
        {
          actor: { kind: "member", memberId: w.member[m] },
          as: "member",
          external: false,
          reason: "further_study",
          ...fields,
        },
        now,
        TEST_SEASON,
      );
      if (!filed.ok) throw new Error(filed.reason);
      const approved = await approve(
        db(),
        { adminId: w.admin[receiver], applicationId: filed.applicationId },
        now,
      );
      expect(approved).toMatchObject({ ok: true, state: "completed" });
    };
    await completed(
      "m1",
      {
        studyType: "university",
        schoolName: "太原工学院",
        schoolAddress: "太原市",
        destinationOrgId: w.org.VB,
      },
      "VB",
    );
    await completed(
      "m4",
      {
        reason: "employed_with_org",
        employerName: "能源集团",
        employerAddress: "太原市",
        destinationOrgId: w.org.EB,
      },
      "EB",
    );
    // m2 goes overseas: into the school's overseas branch (R16), a child of the school.
    await completed("m2", { reason: "overseas" }, "U");
    const [overseas] = await db()
      .select({ parentId: organizations.parentId })
      .from(organizations)
      .where(eq(organizations.category, "overseas_branch"));
    expect(overseas?.parentId).toBe(w.org.U);
    const u = await admin("U");
    await u.say("/menu");
    const lines = texts(await u.press("Rates (FQ / SX / XS / DW)")).split("\n");
    // B: m1; E: m2 m3 m4 m5 (t1 is a teacher, R9). Started: m1 m2 m4. D: m2 m4; G: m4.
    expect(lines).toEqual([
      "山西示范大学团委: graduates of 2026",
      "FQ (initiated) 60.0% = initiated 3 / (B 1 + E 4)",
      "SX (further study) 100.0% = A 1 / (B 1 + C 0)",
      "XS (into society) 50.0% = D 2 / (E 4 + F 0)",
      "DW (employer's league org) 25.0% = G 1 / (E 4 + F 0)",
      // §5 targets: the defaults, each against the target due next, children below it.
      "Against targets (2026-07-01):",
      "FQ 60.0%, target FQ 100% by 2026-08-31: days left: 61",
      "FQ below target, furthest first:",
      "  计算机学院团总支 60.0%, target FQ 100% by 2026-08-31",
      "SX 100.0%, target SX 95% by 2026-10-31: met",
      "XS 50.0%, target XS 95% by 2026-10-31: days left: 122",
      "XS below target, furthest first:",
      "  计算机学院团总支 50.0%, target XS 95% by 2026-10-31",
      "By organization, lowest XS first:",
      "计算机学院团总支: FQ 60.0% (3/1+4), SX 100.0% (1/1+0), XS 50.0% (2/4+0), DW 25.0% (1/4+0)",
      "Child organizations with no graduates of 2026, not listed: 1 (山西示范大学流动团员团支部)",
    ]);
  });

  it("R6 graduation month: an invalid month is asked again, a valid one is saved for the branch and its graduates", async () => {
    const u = await admin("U");
    await u.say("/graduation");
    expect(texts(u.last)).toBe("Type part of the branch's name:");
    await u.say("2班");
    expect(labels(u.last)).toContain("计算机2022级2班团支部");
    await u.press("计算机2022级2班团支部");
    expect(texts(await u.say("2026-13"))).toContain(
      "The graduation month must look like YYYY-MM, e.g. 2026-06.",
    );
    expect(texts(await u.say("2026-07"))).toBe("Saved: 计算机2022级2班团支部, graduating 2026-07.");
    const [branch] = await db().select().from(organizations).where(eq(organizations.id, w.org.UB2));
    expect(branch!.graduationMonth).toBe("2026-07");
    expect((await member("m4")).graduationMonth).toBe("2026-07");
  });

  it("R6 graduation: a teacher or mixed branch gives the reason instead of a month", async () => {
    const u = await admin("V");
    await u.say("/graduation");
    await u.say("研究生");
    await u.press("研究生2026级1班团支部");
    await u.press("Teacher branch");
    expect(texts(u.last)).toBe("Saved: 研究生2026级1班团支部, Teacher branch.");
    const [branch] = await db().select().from(organizations).where(eq(organizations.id, w.org.VB));
    expect(branch).toMatchObject({
      graduationMonth: null,
      graduationUnsetReason: "teacher_branch",
    });
  });

  it("R6 graduation: a branch's own admin is not permitted; other subtrees are not offered", async () => {
    const u = await admin("UB1");
    await u.say("/graduation");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    expect(texts(await u.say("2026-07"))).toBe("You are not permitted to do this.");
    const v = await admin("V");
    await v.say("/graduation");
    expect(texts(await v.say("计算机"))).toContain(
      'No branch in your organization\'s name contains "计算机"',
    );
  });

  it("R8 a graduate organization's month changes by request, and the request's progress is shown", async () => {
    await convertGraduateOrganizations(db(), TEST_SEASON, new Date("2026-06-02T00:00:00Z"));
    const u = await admin("UC");
    await u.say("/graduation");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    const ask = texts(await u.say("2026-09"));
    expect(ask).toContain("计算机2022级1班团支部 is already a graduate organization");
    expect(ask).toContain("Why should the month change to 2026-09?");
    const done = texts(await u.say("补修学分"));
    expect(done).toContain("Change request no. 1 (to 2026-09) submitted");
    expect(done).toContain("#1 2026-06 → 2026-09: waiting for approval (补修学分)");
    await decideGraduationChange(
      db(),
      { adminId: w.admin.P, requestId: 1, approve: true },
      new Date("2026-06-03T00:00:00Z"),
    );
    await u.say("/graduation");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    expect(texts(u.last)).toContain("#1 2026-06 → 2026-09: approved (补修学分)");
    // A reason instead of a month still needs the new month for the request.
    await u.press("Mixed branch");
    expect(texts(u.last)).toContain("Type the new graduation month (YYYY-MM):");
  });

  it("R9 teacher: one member, confirm only; the picker shows masked ID numbers only", async () => {
    const u = await admin("U");
    await u.say("/identity");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    expect(labels(u.last)).toEqual(
      expect.arrayContaining(["The whole branch", label("m1"), label("m2"), label("m3")]),
    );
    expect(everything(u)).not.toContain(w.idNumber.m1);
    await u.press(label("m1"));
    expect(labels(u.last)).not.toContain("Revoke the mark");
    await u.press("Mark as teacher");
    await u.press("Confirm");
    expect(texts(u.last)).toBe(`Marked as teacher: ${label("m1")} (1 people).`);
    expect((await member("m1")).identity).toBe("teacher");
  });

  it("R9 R10 delayed: an earlier month is refused and asked again; revoking brings the member back", async () => {
    const u = await admin("U");
    await u.say("/identity");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    await u.press(label("m2"));
    await u.press("Mark as delayed graduate");
    await u.say("病休一年");
    expect(texts(await u.say("2026-05"))).toBe(
      "A delayed graduate's expected date must be later than the branch's graduation month.\n---\nType the expected graduation month (YYYY-MM); it must be later than the branch's:",
    );
    await u.say("2027-06");
    expect(texts(u.last)).toBe(`Marked as delayed graduate: ${label("m2")} (1 people).`);
    expect(await member("m2")).toMatchObject({ identity: "delayed", graduationMonth: "2027-06" });
    expect((await member("m2")).branchId).not.toBe(w.org.UB1);

    // R10: the delayed graduate is still found under the branch they graduate from.
    await u.say("/identity");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    await u.press(`${label("m2")} — delayed graduate`);
    expect(labels(u.last)).not.toContain("Mark as teacher");
    await u.press("Revoke the mark");
    await u.press("Confirm");
    expect(texts(u.last)).toBe(`Mark revoked: ${label("m2")}.`);
    expect(await member("m2")).toMatchObject({
      identity: "graduate",
      branchId: w.org.UB1,
      graduationMonth: "2026-06",
    });
  });

  it("R9 the whole branch: every graduate of it is marked at once", async () => {
    const u = await admin("UC");
    await u.say("/identity");
    await u.say("2班");
    await u.press("计算机2022级2班团支部");
    await u.press("The whole branch");
    await u.press("Mark as teacher");
    expect(texts(u.last)).toContain("Mark all graduates of 计算机2022级2班团支部 as teacher?");
    await u.press("Confirm");
    expect(texts(u.last)).toBe(
      "Marked as teacher: all graduates of 计算机2022级2班团支部 (2 people).",
    );
    expect((await member("m5")).identity).toBe("teacher");
  });

  it("codes: one member's code binds with /start CODE; a whole branch lists names, never ID numbers", async () => {
    const u = await admin("UC");
    await u.say("/codes");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    await u.press(label("m1"));
    const one = texts(u.last);
    expect(one).toContain("/start CODE");
    const code = /Binding code of 张小明: ([A-Z0-9-]{14})/.exec(one)?.[1];
    expect(code).toBeDefined();
    await chat(engine, "new-member").say(`/start ${code}`);
    const [bound] = await db()
      .select()
      .from(chatIdentities)
      .where(eq(chatIdentities.externalUserId, "new-member"));
    expect(bound?.memberId).toBe(w.member.m1);

    await u.say("/codes");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    await u.press("The whole branch");
    const all = texts(u.last);
    expect(all).toContain("Binding codes of 计算机2022级1班团支部 (4):");
    for (const m of ["m1", "m2", "m3", "t1"] as const) {
      expect(all).toMatch(new RegExp(`${w.memberName[m]}: [A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}`));
      expect(all).not.toContain(w.idNumber[m]);
    }
  });

  it("codes: a member outside the admin's subtree is not offered; never issued in a group", async () => {
    const u = await admin("UC");
    await u.say("/codes");
    expect(texts(await u.say("初三"))).toContain(
      'No branch in your organization\'s name contains "初三"',
    );
    await u.say("班");
    expect(labels(u.last)).toEqual(
      expect.arrayContaining(["计算机2022级1班团支部", "计算机2022级2班团支部"]),
    );
    expect(labels(u.last)).not.toContain("初三(2)班团支部");
    const inGroup = chat(engine, "admin-UC", "group-1");
    expect(texts(await inGroup.say("/codes"))).toContain("only in a private chat");
  });

  it("R11 out-organization admin: the member wizard's questions, filed as out_admin for the member", async () => {
    const u = await admin("U");
    await u.say("/menu");
    await u.press("Transfer a member out");
    await u.say("1班");
    await u.press("计算机2022级1班团支部");
    await u.press(label("m1"));
    expect(texts(u.last)).toContain(
      "is the receiving organization in Beijing, Guangdong or Fujian?",
    );
    await u.press("No");
    await u.press("Study or life abroad");
    expect(texts(u.last)).toContain(label("m1"));
    await u.press("Submit");
    const [app] = await db().select().from(applications);
    expect(texts(u.last)).toBe(
      `Application submitted (no. ${app!.id}). Status: Waiting for the receiving organization.`,
    );
    expect(app).toMatchObject({
      memberId: w.member.m1,
      initiatorKind: "out_admin",
      initiatorAdminId: w.admin.U,
      reason: "overseas",
    });
  });

  it("R11 an admin outside the member's subtree does not see the member", async () => {
    const u = await admin("V");
    await u.say("/menu");
    await u.press("Transfer a member out");
    expect(texts(await u.say("计算机"))).toContain(
      'No branch in your organization\'s name contains "计算机"',
    );
  });

  it("R11 in-organization admin: name + ID number, further study only, into its own organization", async () => {
    const u = await admin("V");
    await u.say("/menu");
    await u.press("Receive a member (further study)");
    await u.say("张小明");
    expect(texts(await u.say("12345"))).toContain("An ID number has 18 characters.");
    expect(texts(await u.say(w.idNumber.m2))).toContain(
      "No member with this name and ID number was found.",
    );
    await u.say(w.idNumber.m1);
    // No reason question: the receiving side may only start a further-study transfer.
    expect(texts(u.last)).toBe("Where are you going to study?");
    await u.press("University");
    await u.say("太原工学院");
    await u.say("太原市迎泽西大街79号");
    expect(labels(u.last)).toEqual(
      expect.arrayContaining(["太原工学院团委", "A branch of my organization"]),
    );
    await u.press("太原工学院团委");
    const summary = texts(u.last);
    expect(summary).toContain(label("m1"));
    expect(summary).not.toContain(w.idNumber.m1);
    expect(summary).toContain("Receiving organization: 太原工学院团委");
    await u.press("Submit");
    const [app] = await db().select().from(applications);
    expect(app).toMatchObject({
      memberId: w.member.m1,
      initiatorKind: "in_admin",
      initiatorAdminId: w.admin.V,
      reason: "further_study",
      toOrgId: w.org.V,
    });
  });
});
