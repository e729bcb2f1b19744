/** The member's transfer wizard and "my applications", through the dialog engine (issue 5.3). */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications, organizations } from "../../src/db/schema.ts";
import { approve } from "../../src/services/decisions/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, type World } from "../helpers/world.ts";
import { bindAs, chat, labels, texts, tokenOf } from "./fixtures.ts";

describe.each(DB_KINDS)("the transfer wizard on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const engine = () => testEngine(database.current.db);
  const db = () => database.current.db;
  const member = async (m: keyof World["member"], user = m) => {
    await bindAs(db(), user, { memberId: w.member[m] });
    const u = chat(engine, user);
    await u.say("/menu");
    await u.press("File a transfer");
    return u;
  };
  const onlyApplication = async () => {
    const rows = await db().select().from(applications);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("further study: every step, searching by part of a name, summary, confirm", async () => {
    const u = await member("m1");
    expect(texts(u.last)).toContain(
      "is the receiving organization in Beijing, Guangdong or Fujian?",
    );
    await u.press("No");
    expect(labels(u.last)).toContain("Further study");
    await u.press("Further study");
    await u.press("University");
    expect(texts(u.last)).toBe("Enter the name of the new school:");
    // Bad input gets the reason and the same question again.
    expect(texts(await u.say("   "))).toBe(
      "This cannot be empty. Please type it again.\n---\nEnter the name of the new school:",
    );
    expect(texts(await u.say("x".repeat(201)))).toContain("at most 200 characters");
    await u.say("太原工学院");
    await u.say("太原市迎泽西大街79号");
    expect(texts(u.last)).toContain("Choose the provincial-level committee");
    expect(labels(u.last)).toEqual(expect.arrayContaining(["团山西省委", "全国铁道团委"]));
    expect(labels(u.last)).not.toContain("团北京市委");
    await u.press("团山西省委");
    expect(texts(u.last)).toBe(
      "Type part of the receiving organization's name (searching under 团山西省委):",
    );
    await u.say("工学院");
    expect(texts(u.last)).toBe("Found 1 organizations. Choose one:");
    // Each result names the organization above it.
    await u.press("太原工学院团委 (团山西省委)");
    const summary = texts(u.last);
    expect(summary).toContain("Reason: Further study");
    expect(summary).toContain("Going to: University");
    expect(summary).toContain("New school: 太原工学院");
    expect(summary).toContain("Receiving organization: 太原工学院团委");
    await u.press("Submit");
    const app = await onlyApplication();
    expect(texts(u.last)).toBe(
      `Application submitted (no. ${app.id}). Status: Waiting for the receiving organization. You can withdraw it under "My applications" until the receiver approves.`,
    );
    expect(app).toMatchObject({
      reason: "further_study",
      toOrgId: w.org.V,
      studyType: "university",
      schoolName: "太原工学院",
    });
  });

  it("a search that finds nothing gives Q2.6's checklist and the hotline, and asks again", async () => {
    await db()
      .update(organizations)
      .set({ hotline: "0351-4033631" })
      .where(eq(organizations.id, w.org.Y));
    await bindAs(db(), "j", { memberId: w.member.j1 });
    const u = chat(engine, "j");
    await u.say("/menu");
    await u.press("File a transfer");
    await u.press("No");
    await u.press("Further study");
    await u.press("General high school");
    await u.say("某中学");
    await u.say("某地");
    await u.press("团山西省委");
    const reply = texts(await u.say("不存在的学校"));
    expect(reply).toContain(
      'No organization under 团山西省委 whose name contains "不存在的学校" can receive this transfer',
    );
    expect(reply).toContain("Is it perhaps a graduate organization?");
    expect(reply).toContain("Still stuck? Call 团太原市迎泽区委 0351-4033631");
    expect(
      reply.endsWith(
        "Type part of the receiving organization's name (searching under 团山西省委):",
      ),
    ).toBe(true);
    // Back to choose another province or system committee (M1.4.5).
    await u.press("« Back");
    await u.press("全国铁道团委");
    expect(texts(u.last)).toContain("searching under 全国铁道团委");
  });

  it("employed: railway units under their system committee; without a league org only townships and county flow branches", async () => {
    const u = await member("m2");
    await u.press("No");
    await u.press("Employed (employer has a league organization)");
    await u.say("铁路太原局");
    await u.say("太原市");
    await u.say("某商店");
    await u.say("太原市迎泽区");
    // Railway units are found under the system committee, not the province (M1.4.5).
    await u.press("团山西省委");
    await u.say("铁路");
    expect(texts(u.last)).toContain("No organization under 团山西省委");
    await u.press("« Back");
    await u.press("全国铁道团委");
    await u.say("铁路");
    expect(labels(u.last)).toContain("铁路太原局团委 (全国铁道团委)");
    await u.say("/cancel");
    await u.say("/menu");
    await u.press("File a transfer");
    await u.press("No");
    await u.press("Employed (employer has no league organization)");
    await u.say("某商店");
    await u.say("太原市迎泽区");
    await u.press("团山西省委");
    await u.say("团");
    // R14: the township, the branches inside it, the county committee's flow branch.
    expect(labels(u.last).filter((l) => !l.startsWith("«") && l !== "Cancel")).toEqual([
      "柳巷街道团工委 (团太原市迎泽区委)",
      "青年路社区团支部 (柳巷街道团工委)",
      "团迎泽区委流动团员团支部 (团太原市迎泽区委)",
    ]);
    await u.press("柳巷街道团工委 (团太原市迎泽区委)");
    await u.press("Submit");
    expect((await onlyApplication()).decidingOrgId).toBe(w.org.TS);
  });

  it("R15 retaining at school is offered only from 1 Aug, with the date said before", async () => {
    const u = await member("m3");
    await u.press("No");
    await u.press("Neither studying nor employed yet");
    await u.press("residence");
    await u.say("太原市迎泽区青年路1号");
    // 1 July: the township only, and when retaining opens.
    expect(texts(u.last)).toContain(
      "Keeping the relation at school can be chosen only from 2026-08-01",
    );
    expect(labels(u.last)).not.toContain(
      "Keep it at my school for 6 months (at most 1 year), in the school's flow branch",
    );
  });

  it("R15 the service refuses a retention before its date, naming the date", async () => {
    const refused = await fileApplication(
      db(),
      {
        actor: { kind: "member", memberId: w.member.m3 },
        as: "member",
        reason: "not_placed",
        address: "太原市迎泽区青年路1号",
        addressKind: "residence",
        retainAtSchool: true,
        external: false,
      },
      new Date("2026-07-31T15:59:59Z"),
      TEST_SEASON,
    );
    expect(refused).toEqual({
      ok: false,
      reason: "retention_not_yet",
      from: "2026-08-01",
    });
    expect(await db().select().from(applications)).toEqual([]);
  });

  it("not placed, retained at school (from 1 Aug, R15): no destination to choose", async () => {
    const u = await member("m3");
    // 1 Aug 00:00 in Shanghai.
    u.advance(
      new Date("2026-07-31T16:00:00Z").getTime() - new Date("2026-07-01T02:00:00Z").getTime(),
    );
    await u.press("No");
    await u.press("Neither studying nor employed yet");
    await u.press("residence");
    expect(texts(u.last)).toBe("Enter the full address of your residence:");
    await u.say("太原市迎泽区青年路1号");
    await u.press(
      "Keep it at my school for 6 months (at most 1 year), in the school's flow branch",
    );
    expect(texts(u.last)).toContain(
      "Receiving organization: Your school's flow branch (chosen automatically)",
    );
    await u.press("Submit");
    expect(await onlyApplication()).toMatchObject({
      reason: "not_placed",
      retainAtSchool: true,
      toOrgId: w.org.UF,
    });
  });

  it("overseas and special unit go straight to the summary", async () => {
    const u = await member("m4");
    await u.press("No");
    await u.press("Study or life abroad");
    expect(texts(u.last)).toContain("Your school's overseas branch (chosen automatically)");
    await u.press("Submit");
    const v = await member("m5");
    await v.press("No");
    await v.press("Special unit (military service, classified units)");
    await v.press("Submit");
    const rows = await db().select().from(applications);
    expect(rows.map((r) => r.state).sort()).toEqual(["awaiting_province", "pending"]);
  });

  it("external: the three provinces and the organization's details as text (R20)", async () => {
    const u = await member("m1");
    await u.press("Yes (Beijing/Guangdong/Fujian)");
    expect(labels(u.last)).not.toContain("Study or life abroad");
    await u.press("Employed (employer has a league organization)");
    await u.say("北京某公司");
    await u.say("北京市海淀区");
    expect(labels(u.last)).toContain("团北京市委");
    await u.press("团北京市委");
    await u.say("某公司团支部");
    await u.say("北京市海淀区1号");
    await u.say("上级：团海淀区委；联系人：张老师");
    await u.press("Submit");
    expect(await onlyApplication()).toMatchObject({
      external: true,
      decidingOrgId: w.org.BJ,
      externalOrgName: "某公司团支部",
    });
  });

  it("R19 under 16 to a non-school destination: the wizard asks for the explanation before the summary, then files", async () => {
    await bindAs(db(), "j", { memberId: w.member.j1 });
    const u = chat(engine, "j");
    await u.say("/menu");
    await u.press("File a transfer");
    await u.press("No");
    await u.press("Employed (employer has a league organization)");
    await u.say("能源集团");
    await u.say("太原市");
    await u.press("团山西省委");
    await u.say("能源");
    await u.press("山西示范能源集团团委 (团山西省委)");
    // Asked as soon as the destination is known, never after "Submit".
    expect(texts(u.last)).toContain("You are under 16");
    expect(labels(u.last)).not.toContain("Submit");
    expect(await db().select().from(applications)).toHaveLength(0);
    await u.say("随父母务工");
    expect(texts(u.last)).toContain("Explanation: 随父母务工");
    await u.press("Submit");
    expect(await onlyApplication()).toMatchObject({
      state: "awaiting_leader",
      decidingOrgId: w.org.Y,
    });
  });

  it("back returns with earlier answers; cancel saves nothing; one already open is refused before the first question", async () => {
    const u = await member("m1");
    await u.press("No");
    await u.press("Further study");
    await u.press("University");
    await u.say("A");
    await u.press("« Back");
    expect(texts(u.last)).toBe("Enter the name of the new school:");
    await u.press("« Back");
    expect(texts(u.last)).toBe("Where are you going to study?");
    await u.press("Cancel");
    expect(texts(u.last)).toContain("Cancelled");
    expect(await db().select().from(applications)).toHaveLength(0);
    // One open application per member: a second filing is refused before any question.
    const [open] = await db()
      .insert(applications)
      .values({
        memberId: w.member.m1,
        state: "pending",
        stageSince: new Date(),
        initiatorKind: "member",
        reason: "overseas",
        fromOrgId: w.org.UB1,
        decidingOrgId: w.org.U,
      })
      .returning();
    await u.say("/menu");
    await u.press("File a transfer");
    expect(texts(u.last)).toBe(
      `There is already an application in progress (no. ${open!.id}). Wait for its outcome or withdraw it first.`,
    );
    expect(labels(u.last)).toEqual(["My applications", "Menu"]);
  });

  it("resumes after a restart, handles a double delivery once, and answers a stale button", async () => {
    const u = await member("m1");
    await u.press("No");
    const reasonReplies = u.last;
    await u.press("Further study");
    // A new engine instance over the same database continues where the dialog was.
    await u.press("University");
    expect(texts(u.last)).toBe("Enter the name of the new school:");
    await u.say("太原工学院", "update-1");
    expect(texts(await u.say("太原工学院", "update-1"))).toBe("");
    expect(texts(u.last)).toBe("Enter the full address of the new school:");
    // The reason buttons are from an old step.
    const stale = reasonReplies
      .flatMap((r) => r.buttons.flat())
      .find((b) => b.label === "Overseas");
    const old = reasonReplies
      .flatMap((r) => r.buttons.flat())
      .find((b) => b.label === "Study or life abroad");
    expect(stale).toBeUndefined();
    expect(texts(await u.pressToken(old!.action))).toContain("out of date");
    expect(texts(await u.say("/back"))).toBe("Enter the name of the new school:");
  });

  it("R21 R25 my applications: state, history, withdraw; withdrawing twice is refused", async () => {
    const u = await member("m1");
    await u.press("No");
    await u.press("Study or life abroad");
    await u.press("Submit");
    const app = await onlyApplication();
    await u.press("Menu");
    await u.press("My applications");
    const list = texts(u.last);
    expect(list).toContain(
      `#${app.id} Study or life abroad → 山西示范大学团委出国(境)学习研究团员团支部`,
    );
    expect(list).toContain("Status: Waiting for the receiving organization");
    expect(list).toMatch(/2026-07-01 10:00 filed \(张小明\)/);
    const withdrawToken = u.last
      .flatMap((r) => r.buttons.flat())
      .find((b) => b.label === `Withdraw application #${app.id}`)!.action;
    // Withdrawing asks first; "keep it" changes nothing.
    expect(texts(await u.pressToken(withdrawToken))).toContain(
      `Withdraw application #${app.id}? This cannot be undone`,
    );
    await u.press("Keep it");
    expect((await onlyApplication()).state).toBe("pending");
    await u.pressToken(withdrawToken);
    const confirm = tokenOf(u.last, `Withdraw #${app.id}`);
    expect(texts(await u.pressToken(confirm))).toContain(
      `Application #${app.id} has been withdrawn.`,
    );
    expect(texts(await u.pressToken(confirm))).toContain(
      "This application has already been decided: Withdrawn (by 张小明).",
    );
    await u.press("Menu");
    await u.press("My applications");
    expect(texts(u.last)).toContain("Status: Withdrawn");
    expect(labels(u.last)).not.toContain(`Withdraw application #${app.id}`);
  });

  it("R24 a completed transfer reminds the member of the offline transfer and the league file", async () => {
    const u = await member("m1");
    await u.press("No");
    await u.press("Study or life abroad");
    await u.press("Submit");
    const app = await onlyApplication();
    await approve(
      db(),
      { adminId: w.admin.U, applicationId: app.id },
      new Date("2026-07-02T00:00:00Z"),
    );
    await u.say("/menu");
    await u.press("My applications");
    expect(texts(u.last)).toContain("Status: Completed");
    expect(texts(u.last)).toContain("hand-over of your league file");
  });
});
