/**
 * Issue 14, items 1, 2, 4 and 8 through the dialogs, with cards delivered to bound chats as the
 * running app delivers them: no application is ever stranded (Assign branch on every card,
 * /pending entry and details; leaving the picker says what still waits), R29 every stage is seen
 * (cards to the nearest bound chat above, R8 requests in /pending, the region view), R22 the
 * out-organization releases an in-organization's start, and the messages people tripped over.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { admins, applications, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { digestReply } from "../../src/dialogs/digest.ts";
import { renderMessage, translate } from "../../src/dialogs/render.ts";
import type { RenderedReply } from "../../src/dialogs/types.ts";
import { digestFor } from "../../src/services/digests.ts";
import { convertGraduateOrganizations, requestGraduationChange } from "../../src/services/marks.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import {
  type AdminName,
  buildWorld,
  furtherStudy,
  idFor,
  shanghai,
  type World,
} from "../helpers/world.ts";
import { bindAs, chat, labels, texts, tokenOf } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");
const SEP = shanghai("2026-09-10T10:00:00");

const buttonsOf = (message: RenderedReply | undefined) =>
  (message?.buttons ?? []).flat().map((b) => b.label);

describe.each(DB_KINDS)("issue 14 workflow on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db());
  const out = testDeliveries(db);
  const userOf = (a: AdminName) => `admin-${a}`;
  /** Admin `a` talking in `chatId` (their private chat by default). */
  const admin = async (a: AdminName, chatId = userOf(a)) => {
    const u = chat(engine, userOf(a), chatId);
    return u;
  };
  const file = async (input: FileInput, at = AUG) => {
    const filed = await fileApplication(db(), input, at, TEST_SEASON);
    if (!filed.ok) throw new Error(`filing: ${filed.reason}`);
    return filed.applicationId;
  };
  const stateOf = async (id: number) =>
    (await db().select().from(applications).where(eq(applications.id, id)))[0]!.state;
  const cardRefOf = (id: number, orgId: number) => `app:${id}:org:${orgId}`;

  beforeEach(async () => {
    w = await buildWorld(db());
    out.clear();
    for (const a of ["P", "T", "Y", "U", "UC", "UB1", "V", "VB", "E", "TS"] as const) {
      await bindAs(db(), userOf(a), { adminId: w.admin[a] });
    }
    await bindAs(db(), "m1", { memberId: w.member.m1 });
    await bindAs(db(), "m2", { memberId: w.member.m2 });
    await bindAs(db(), "j1", { memberId: w.member.j1 });
  });

  it("R22 a committee that approved and left the picker is told what still waits; card, /pending and details offer Assign branch", async () => {
    await out.bind("g-V", w.org.V);
    const id = await file(furtherStudy(w.member.m1, w.org.V));
    await out.deliver(AUG);
    const ref = cardRefOf(id, w.org.V);
    const card = out.latest("g-V", ref)!;
    expect(buttonsOf(card)).toEqual(["Approve", "Reject", "Details"]);
    // R27: counted from 1 Oct, the card says when it would be returned.
    expect(card.text).toContain("if undecided it is returned automatically on 2026-10-11 00:00");

    const v = await admin("V", "g-V");
    await v.pressToken(tokenOf([card], "Approve"));
    expect(texts(v.last)).toContain(`Application #${id} approved.`);
    expect(labels(v.last)).toContain("研究生2026级1班团支部");
    // Cancel: the approval was saved, so never "nothing was saved".
    const left = texts(await v.press("Cancel"));
    expect(left).toContain(`Application #${id} is approved but no branch has been assigned yet`);
    expect(left).toContain('press "Assign branch" on its card, or find it with /pending');
    expect(left).not.toContain("Nothing you entered was saved");
    expect(await stateOf(id)).toBe("awaiting_assignment");

    // The card in the chat now asks for the branch: a new title, the Assign branch button.
    await out.deliver(SEP);
    const asking = out.latest("g-V", ref)!;
    expect(asking.edit).toBe(true);
    expect(asking.text).toContain(`[Application #${id}: waiting for a branch]`);
    expect(buttonsOf(asking)).toEqual(["Assign branch", "Details"]);
    // The member hears of the stage passed and of what still waits.
    expect(texts(out.to("m1"))).toContain(
      `太原工学院团委 approved your transfer application #${id} and is assigning you to one of its branches`,
    );
    // The old card's Approve says how it stands and opens the picker for one who assigns.
    expect(texts(await v.pressToken(tokenOf([card], "Approve")))).toContain(
      "Someone has already dealt with this application; it is now: Approved; waiting for branch assignment (by 管理员V).",
    );
    expect(labels(v.last)).toContain("研究生2026级1班团支部");
    await v.say("/menu");
    expect(texts(v.last)).toContain(
      `Application #${id} is approved but no branch has been assigned`,
    );

    // /pending and the details offer it too.
    const pending = await v.say("/pending");
    expect(texts(pending)).toContain("[Application #");
    expect(labels(pending)).toEqual(expect.arrayContaining(["Assign branch", "Details"]));
    expect(labels(pending)).not.toContain("Approve");
    const details = await v.pressToken(tokenOf([asking], "Details"));
    expect(texts(details)).toContain("Status: Approved; waiting for branch assignment");
    expect(labels(details)).toEqual(["Assign branch"]);

    // From the card, the way back to the picker, and the transfer completes.
    await v.pressToken(tokenOf([asking], "Assign branch"));
    expect(texts(v.last)).toContain("Choose the branch the member joins");
    expect(texts(await v.press("研究生2026级1班团支部"))).toContain(
      `Application #${id} completed: the member joins 研究生2026级1班团支部.`,
    );
    await out.deliver(SEP);
    const decided = out.latest("g-V", ref)!;
    expect(decided.text.split("\n")[0]).toBe(`[Decided #${id}] Completed`);
    expect(decided.text).not.toContain("[New transfer application");
    expect(decided.buttons).toEqual([]);
  });

  it("R26 the losing racer hears how it stands and gets the way to what is left; a wrong admin may not decide", async () => {
    const [second] = await db()
      .insert(admins)
      .values({ orgId: w.org.V, name: "管理员V2" })
      .returning({ id: admins.id });
    await bindAs(db(), "admin-V2", { adminId: second!.id });
    await out.bind("g-V", w.org.V);
    const id = await file(furtherStudy(w.member.m1, w.org.V));
    await out.deliver(AUG);
    const card = out.latest("g-V", cardRefOf(id, w.org.V))!;
    const v = await admin("V", "g-V");
    const v2 = chat(engine, "admin-V2", "g-V");
    const picker = await v.pressToken(tokenOf([card], "Approve"));
    // Pressing Reject after the other approved: the outcome, and Assign branch, not "not allowed".
    const lost = await v2.pressToken(tokenOf([card], "Reject"));
    expect(texts(lost)).toBe(
      "Someone has already dealt with this application; it is now: Approved; waiting for branch assignment (by 管理员V).",
    );
    expect(labels(lost)).toEqual(["Assign branch"]);
    // An admin of another organization in the same chat, pressing buttons of a /pending reply
    // shown to someone else: "not authorized", never "out of date".
    const pending = await v.say("/pending");
    const e = await admin("E", "g-V");
    const refused = await e.pressToken(tokenOf(pending, "Assign branch"));
    expect(texts(refused)).toBe("You are not authorized to decide this application.");
    // The picker's own buttons are the presser's: another's hears whose they are.
    const notYours = await v2.pressToken(tokenOf(picker, "研究生2026级1班团支部"));
    expect(texts(notYours)).toContain("This button belongs to what someone else is doing");
    expect(await stateOf(id)).toBe("awaiting_assignment");
  });

  it("/pending shows a page of cards and the way to the others, never cut off", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [m] = await db()
        .insert(members)
        .values({
          name: `学生${i + 1}`,
          ...sealIdNumber(idFor("2004-02-02", 200 + i)),
          branchId: w.org.UB2,
        })
        .returning({ id: members.id });
      ids.push(await file(furtherStudy(m!.id, w.org.V), new Date(AUG.getTime() + i * 60_000)));
    }
    const v = await admin("V");
    const first = await v.say("/pending");
    expect(texts(first)).toContain(
      "Applications 太原工学院团委 must decide: 12 (oldest first; page 1 of 2)",
    );
    expect(first.filter((r) => r.ref)).toHaveLength(10);
    expect(texts(first)).toContain("10 of 12 shown. Turn the page for the others:");
    const second = await v.pressToken(tokenOf(first, "Next »"));
    expect(second.filter((r) => r.ref).map((r) => r.ref)).toEqual(
      ids.slice(10).map((id) => cardRefOf(id, w.org.V)),
    );
    expect(labels(second)).toContain("« Previous");
  });

  it("leaving the branch picker for another card says what still waits; leaving the reason says nothing was rejected", async () => {
    await out.bind("g-V", w.org.V);
    const first = await file(furtherStudy(w.member.m1, w.org.V));
    const second = await file(furtherStudy(w.member.m2, w.org.V));
    await out.deliver(AUG);
    const cardA = out.latest("g-V", cardRefOf(first, w.org.V))!;
    const cardB = out.latest("g-V", cardRefOf(second, w.org.V))!;
    const v = await admin("V", "g-V");
    await v.pressToken(tokenOf([cardA], "Approve"));
    // The next card's Reject: the picker of the first is left, and that is said first.
    const next = texts(await v.pressToken(tokenOf([cardB], "Reject")));
    expect(next).toContain(`Application #${first} is approved but no branch has been assigned yet`);
    expect(next).toContain(`Choose why you reject application #${second}`);
    const cancelled = texts(await v.press("Cancel"));
    expect(cancelled).toContain(`Application #${second} was not rejected (no reason given)`);
    expect(cancelled).not.toContain("Nothing you entered was saved");
    expect(await stateOf(second)).toBe("pending");
  });

  it("R30 preset reasons reject at once; a written household-registration or one-character reason is refused and asked again", async () => {
    await out.bind("g-VB", w.org.VB);
    const id = await file(furtherStudy(w.member.m2, w.org.VB));
    await out.deliver(AUG);
    const card = out.latest("g-VB", cardRefOf(id, w.org.VB))!;
    const vb = await admin("VB", "g-VB");
    const asked = await vb.pressToken(tokenOf([card], "Reject"));
    expect(labels(asked)).toEqual([
      "The information is wrong",
      "Did not report as required",
      "The person does not meet the requirements",
      "Another reason (write it)",
      "Cancel",
    ]);
    await vb.press("Another reason (write it)");
    expect(vb.last.at(-1)).toMatchObject({ expectsReply: true });
    expect(texts(await vb.say("非本地户籍"))).toContain(
      "Household registration (户籍 / 户口) is never a reason to refuse",
    );
    expect(texts(await vb.say("无"))).toContain("That reason is too short");
    expect(await stateOf(id)).toBe("pending");
    await vb.press("« Back");
    expect(texts(await vb.press("Did not report as required"))).toBe(
      `Application #${id} returned; the applicant has been told why.`,
    );
    await out.deliver(SEP);
    expect(texts(out.to("m2"))).toContain(
      `Your transfer application #${id} was returned. Reason: Did not report as required.`,
    );
  });

  it("R29 a branch's card reaches the nearest bound chat above it, where its superior decides; the member hears each stage", async () => {
    // 研究生2026级1班团支部 has no chat of its own: its committee's chat sees the card.
    await out.bind("g-V", w.org.V);
    const id = await file(furtherStudy(w.member.m2, w.org.VB));
    await out.deliver(AUG);
    const ref = cardRefOf(id, w.org.VB);
    const card = out.latest("g-V", ref);
    expect(card?.text).toContain(`[New transfer application #${id}]`);
    const v = await admin("V", "g-V");
    expect(texts(await v.pressToken(tokenOf([card!], "Approve")))).toContain(
      `Application #${id} approved: the transfer is complete.`,
    );
    await out.deliver(SEP);
    expect(out.latest("g-V", ref)?.text).toContain(`[Decided #${id}] Completed`);
    expect(texts(out.to("m2"))).toContain(`Your transfer application #${id} is complete`);
  });

  it("R19 R29 the leader's card reaches the chat above it; the member is told of every stage passed", async () => {
    // The county committee (the leading organ above 初三(2)班) has no chat; its city's has.
    await out.bind("g-T", w.org.T);
    await out.bind("g-V", w.org.V);
    const id = await file({
      actor: { kind: "member", memberId: w.member.j1 },
      as: "member",
      reason: "employed_with_org",
      employerName: "能源集团",
      employerAddress: "太原市",
      under16Explanation: "随父母务工",
      external: false,
      destinationOrgId: w.org.E,
    });
    await out.deliver(AUG);
    const leaderCard = out.latest("g-T", cardRefOf(id, w.org.Y))!;
    expect(leaderCard.text).toContain(`[Leading organ's approval #${id}]`);
    // Seen in the city's chat; decided by the county's admin there.
    const t = await admin("T", "g-T");
    expect(texts(await t.pressToken(tokenOf([leaderCard], "Approve")))).toBe(
      "You are not authorized to decide this application.",
    );
    const y = await admin("Y", "g-T");
    expect(texts(await y.pressToken(tokenOf([leaderCard], "Approve")))).toContain(
      `Application #${id} approved and passed on to the receiving organization.`,
    );
    // R26: the other leader's admin, a moment too late, hears how it stands now.
    const [colleague] = await db()
      .insert(admins)
      .values({ orgId: w.org.Y, name: "管理员Y2" })
      .returning({ id: admins.id });
    await bindAs(db(), "admin-Y2", { adminId: colleague!.id });
    expect(
      texts(await chat(engine, "admin-Y2", "g-T").pressToken(tokenOf([leaderCard], "Approve"))),
    ).toBe(
      "Someone has already dealt with this application; it is now: Waiting for the receiving organization (by 管理员Y).",
    );
    await out.deliver(SEP);
    expect(texts(out.to("j1"))).toContain(
      `Your transfer application #${id} was approved by the leading organ; 山西示范能源集团团委 decides next.`,
    );
    // The receiver (an enterprise committee) has no chat: the province's would see it.
    expect(out.to("g-V")).toEqual([]);
  });

  it("R29 R8 a graduation-month change reaches the approver's chat and waits in its /pending with its buttons", async () => {
    await out.bind("g-P", w.org.P);
    await convertGraduateOrganizations(db(), TEST_SEASON, shanghai("2026-06-01T00:00:00"));
    const requested = await requestGraduationChange(
      db(),
      { adminId: w.admin.UC, branchId: w.org.UB1, newMonth: "2026-12", reason: "学制调整" },
      AUG,
      TEST_SEASON,
    );
    if (!requested.ok) throw new Error(requested.reason);
    await out.deliver(AUG);
    expect(out.to("g-P").at(-1)?.text).toContain(
      `[Graduation month change #${requested.requestId}]`,
    );
    const p = await admin("P");
    const pending = await p.say("/pending");
    expect(texts(pending)).toContain(`[Graduation month change #${requested.requestId}]`);
    expect(labels(pending)).toEqual(expect.arrayContaining(["Approve change", "Reject"]));
    expect(texts(await p.pressToken(tokenOf(pending, "Approve change")))).toBe(
      `Change request #${requested.requestId}: approved.`,
    );
  });

  it("R29 a leading organ's /pending and digest show what waits below it, by stage and age, what returns within 2 days, a page at a time", async () => {
    // Twelve graduates of 计算机2022级2班, their applications waiting at several stages below
    // the province, entered on different days.
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [m] = await db()
        .insert(members)
        .values({
          name: `学生${i + 1}`,
          ...sealIdNumber(idFor("2004-02-02", 100 + i)),
          branchId: w.org.UB2,
          graduationBranchId: w.org.UB2,
          graduationMonth: "2026-06",
          graduationYear: 2026,
        })
        .returning({ id: members.id });
      const since = shanghai(`2026-10-${String(1 + (i % 6)).padStart(2, "0")}T09:00:00`);
      const destination = i % 3 === 0 ? w.org.V : i % 3 === 1 ? w.org.VB : w.org.EB;
      const input =
        destination === w.org.EB
          ? {
              actor: { kind: "member" as const, memberId: m!.id },
              as: "member" as const,
              reason: "employed_with_org" as const,
              employerName: "能源集团",
              employerAddress: "太原市",
              external: false,
              destinationOrgId: destination,
            }
          : furtherStudy(m!.id, destination);
      ids.push(await file(input, since));
    }
    const now = shanghai("2026-10-09T10:00:00");
    const p = chat(engine, userOf("P"));
    p.advance(now.getTime() - new Date("2026-07-01T02:00:00Z").getTime());
    const replies = await p.say("/pending");
    const region = texts(replies);
    expect(region).toContain("团山西省委 has no applications waiting.");
    expect(region).toContain("Waiting in the organizations below yours: 12");
    expect(region).toContain(
      "Waiting for the receiving organization: 12 (up to 3 days 2, 4–7 days 8, 8–10 days 2, over 10 days 0)",
    );
    // Entered on 1 Oct 09:00: returned on 11 Oct 09:00 + 1 ms, within 2 days of 9 Oct 10:00.
    expect(region).toContain("Returned automatically within 2 days: 2");
    const list = await p.pressToken(tokenOf(replies, "Waiting below (12)"));
    expect(texts(list)).toContain(
      "Waiting below your organization: 12, oldest first (page 1 of 2):",
    );
    expect(texts(list)).toContain(
      `#${ids[0]} 学生1 | 太原工学院团委 | Waiting for the receiving organization | waiting 8 days, returned 2026-10-11 09:00`,
    );
    expect(
      texts(list)
        .split("\n")
        .filter((l) => l.startsWith("#")),
    ).toHaveLength(10);
    const page2 = await p.pressToken(tokenOf(list, "Next »"));
    expect(texts(page2)).toContain("(page 2 of 2)");
    expect(
      texts(page2)
        .split("\n")
        .filter((l) => l.startsWith("#")),
    ).toHaveLength(2);
    const soon = await p.pressToken(tokenOf(replies, "Returned soon (2)"));
    expect(
      texts(soon)
        .split("\n")
        .filter((l) => l.startsWith("#")),
    ).toEqual([
      `#${ids[0]} 学生1 | 太原工学院团委 | Waiting for the receiving organization | waiting 8 days, returned 2026-10-11 09:00`,
      `#${ids[6]} 学生7 | 太原工学院团委 | Waiting for the receiving organization | waiting 8 days, returned 2026-10-11 09:00`,
    ]);
    // Below a leading organ there is no region view.
    expect(texts(await chat(engine, userOf("V")).say("/pending"))).not.toContain("below yours");

    // The digest says the same, never "nothing pending" while they wait below.
    const digest = await digestFor(db(), w.org.P, "2026-10-09", now, TEST_SEASON);
    const text = renderMessage(translate("en"), digestReply(digest!, TEST_SEASON).text);
    expect(text).toContain("Waiting in the organizations below yours: 12");
    expect(text).toContain(`#${ids[0]} 学生1 (太原工学院团委): returned 2026-10-11 09:00`);
  });

  it("R22 an in-organization's start is released by the member's branch or its superior, then the committee assigns", async () => {
    await out.bind("g-UC", w.org.UC);
    await out.bind("g-V", w.org.V);
    const v = await admin("V");
    await v.say("/menu");
    await v.press("Receive a member (further study)");
    await v.say(w.memberName.m1);
    await v.say(w.idNumber.m1);
    await v.press("University");
    await v.say("太原工学院");
    await v.say("太原市迎泽西大街79号");
    await v.press("太原工学院团委");
    await v.press("Submit");
    expect(texts(v.last)).toContain(
      "Status: Waiting for the member's organization to release them.",
    );
    const [app] = await db().select().from(applications);
    expect(app).toMatchObject({ state: "awaiting_out_org", decidingOrgId: w.org.UB1 });
    await out.deliver(AUG);
    // The member's branch has no chat: its general branch's chat sees the release card.
    const card = out.latest("g-UC", cardRefOf(app!.id, w.org.UB1))!;
    expect(card.text).toContain(`[Release #${app!.id}]`);
    expect(texts(out.to("m1"))).toContain(
      `Your organization filed transfer application #${app!.id} for you (Further study, to 太原工学院团委). Status: Waiting for the member's organization to release them.`,
    );
    // The in-organization does not approve its own start; it may still withdraw it.
    const details = await v.pressToken(tokenOf(v.last, "Details"));
    expect(texts(details)).toContain(
      "Status: Waiting for the member's organization to release them",
    );
    expect(labels(details)).toEqual([`Withdraw application #${app!.id}`]);
    const vInUc = await admin("V", "g-UC");
    expect(texts(await vInUc.pressToken(tokenOf([card], "Approve")))).toBe(
      "You are not authorized to decide this application.",
    );
    // The branch's direct superior releases: the committee chosen now assigns a branch.
    const uc = await admin("UC", "g-UC");
    expect(texts(await uc.pressToken(tokenOf([card], "Approve")))).toContain(
      `Release of application #${app!.id} approved`,
    );
    expect(await stateOf(app!.id)).toBe("awaiting_assignment");
    await out.deliver(SEP);
    expect(out.latest("g-UC", cardRefOf(app!.id, w.org.UB1))?.text).toContain(
      `[Decided #${app!.id}] Approved; waiting for branch assignment`,
    );
    const assignCard = out.latest("g-V", cardRefOf(app!.id, w.org.V))!;
    expect(buttonsOf(assignCard)).toEqual(["Assign branch", "Details"]);
    expect(texts(out.to("m1"))).toContain(
      `计算机2022级1班团支部 released you on transfer application #${app!.id}: 太原工学院团委 now assigns you to a branch`,
    );
    const vInV = await admin("V", "g-V");
    await vInV.pressToken(tokenOf([assignCard], "Assign branch"));
    expect(texts(await vInV.press("研究生2026级1班团支部"))).toContain("completed");
    const [done] = await db().select().from(members).where(eq(members.id, w.member.m1));
    expect(done!.branchId).toBe(w.org.VB);
  });

  it("R22 R21 R27 the out-organization's stage: a branch chosen completes on release; the initiator withdraws; it is returned like any stage", async () => {
    const inAdmin = (m: keyof World["member"], destinationOrgId: number): FileInput => ({
      actor: { kind: "admin", adminId: w.admin.V },
      as: "in_admin",
      memberName: w.memberName[m],
      memberIdNumber: w.idNumber[m],
      reason: "further_study",
      studyType: "university",
      schoolName: "太原工学院",
      schoolAddress: "太原市",
      external: false,
      destinationOrgId,
    });
    // Into a branch: the release by the member's branch completes the transfer there.
    const intoBranch = await file(inAdmin("m1", w.org.VB));
    await out.bind("g-UB1", w.org.UB1);
    await out.deliver(AUG);
    const release = out.latest("g-UB1", cardRefOf(intoBranch, w.org.UB1))!;
    const ub1 = await admin("UB1", "g-UB1");
    expect(texts(await ub1.pressToken(tokenOf([release], "Approve")))).toContain(
      "the transfer is complete",
    );
    expect(await stateOf(intoBranch)).toBe("completed");

    // R21: the initiating admin withdraws before the release, from what the wizard left them.
    const v = await admin("V");
    await v.say("/menu");
    await v.press("Receive a member (further study)");
    await v.say(w.memberName.m2);
    await v.say(w.idNumber.m2);
    await v.press("University");
    await v.say("太原工学院");
    await v.say("太原市");
    await v.press("太原工学院团委");
    await v.press("Submit");
    const [pendingRelease] = await db()
      .select()
      .from(applications)
      .where(eq(applications.memberId, w.member.m2));
    const id = pendingRelease!.id;
    expect(labels(v.last)).toEqual(
      expect.arrayContaining([`Withdraw application #${id}`, "Details"]),
    );
    const asked = await v.press(`Withdraw application #${id}`);
    expect(texts(asked)).toContain(`Withdraw application #${id}? This cannot be undone`);
    expect(texts(await v.press(`Withdraw #${id}`))).toContain(
      `Application #${id} has been withdrawn.`,
    );

    // R27: it waits at the out-organization's stage like at any other: warned, then returned.
    const late = await file(inAdmin("m3", w.org.V), SEP);
    const { autoReturnOverdue } = await import("../../src/services/autoReturn.ts");
    const { queueAutoReturnWarnings } = await import("../../src/services/warnings.ts");
    const warned = await db().transaction((tx) =>
      queueAutoReturnWarnings(tx, TEST_SEASON, shanghai("2026-10-09T00:05:00")),
    );
    expect(warned).toEqual([late]);
    expect(await autoReturnOverdue(db(), shanghai("2026-10-11T00:00:00"), TEST_SEASON)).toEqual([]);
    const returned = await autoReturnOverdue(db(), shanghai("2026-10-11T00:05:00"), TEST_SEASON);
    expect(returned.map((r) => [r.applicationId, r.fromState])).toEqual([
      [late, "awaiting_out_org"],
    ]);
  });
});
