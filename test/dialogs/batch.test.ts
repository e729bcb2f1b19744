/**
 * Issue 20.1 through the dialogs: /batch approves many at one stage (approve only), narrowed by
 * out-organization, previewed with its counts, each approval on its own with every rule
 * re-checked (R22 who decides, R26 one decision wins: a withdrawn one is skipped and reported),
 * one summary, then the cards; one branch for all a committee receives, or none (Assign stays);
 * a leading organ switches it off for its region; R25 the history keeps every approval.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications } from "../../src/db/schema.ts";
import { runQueuedBatches } from "../../src/services/batchApprovals.ts";
import { withdraw } from "../../src/services/decisions/index.ts";
import { applicationView } from "../../src/services/queues.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import {
  type AdminName,
  buildWorld,
  furtherStudy,
  shanghai,
  type World,
} from "../helpers/world.ts";
import { bindAs, chat, labels, texts } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");
const LATER = shanghai("2026-08-20T10:00:00");

describe.each(DB_KINDS)("issue 20.1 batch approval on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db());
  const out = testDeliveries(db);
  const userOf = (a: AdminName) => `admin-${a}`;
  const file = async (input: FileInput, at = AUG) => {
    const filed = await fileApplication(db(), input, at, TEST_SEASON);
    if (!filed.ok) throw new Error(`filing: ${filed.reason}`);
    return filed.applicationId;
  };
  const stateOf = async (id: number) =>
    (await db().select().from(applications).where(eq(applications.id, id)))[0]!.state;
  /** Admin `a` in `chatId`, ten days after the filings. */
  const admin = (a: AdminName, chatId = userOf(a)) => {
    const u = chat(engine, userOf(a), chatId);
    u.advance(LATER.getTime() - new Date("2026-07-01T02:00:00Z").getTime());
    return u;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    out.clear();
    for (const a of ["Y", "HS", "V", "VB", "U"] as const) {
      await bindAs(db(), userOf(a), { adminId: w.admin[a] });
    }
  });

  it("R22 R25 R26 filters, preview with counts, one branch for all, one summary, a withdrawn one skipped", async () => {
    await out.bind("g-V", w.org.V);
    // Two for the branch VB (its superior V approves), three for V itself (V then assigns).
    const toBranch = [
      await file(furtherStudy(w.member.m1, w.org.VB)),
      await file(furtherStudy(w.member.m4, w.org.VB)),
    ];
    const toCommittee = [
      await file(furtherStudy(w.member.m2, w.org.V)),
      await file(furtherStudy(w.member.m3, w.org.V)),
      await file(furtherStudy(w.member.m5, w.org.V)),
    ];
    await out.deliver(AUG);
    const v = admin("V", "g-V");

    // /pending offers the batch.
    expect(labels(await v.say("/pending"))).toContain("Batch approve");
    const opened = texts(await v.say("/batch"));
    expect(opened).toContain("Batch approval — 太原工学院团委 (approve only");
    expect(opened).toContain("Stage: receiving");
    expect(opened).toContain("5 applications match.");
    expect(labels(v.last)).not.toContain("Reject");

    // Only those from the 1st class (m1, m2, m3).
    expect(texts(await v.press("From…"))).toContain("From which organization?");
    expect(labels(v.last)).toEqual(
      expect.arrayContaining(["All (5)", "计算机2022级1班团支部: 3", "计算机2022级2班团支部: 2"]),
    );
    expect(texts(await v.press("计算机2022级1班团支部: 3"))).toContain("3 applications match.");
    expect(texts(v.last)).toContain("From: 计算机2022级1班团支部");
    // Back to all of them: Back returns to the filters as they were.
    await v.press("From…");
    await v.press("All (5)");
    const preview = texts(await v.press("Preview (5)"));
    expect(preview).toContain("5 applications to approve at the receiving stage:");
    expect(preview).toContain("Further study: 5");
    expect(preview).toContain("计算机2022级1班团支部: 3");
    expect(preview).toContain(
      `#${toBranch[0]} 张小明 — Further study — 计算机2022级1班团支部 — 10 days`,
    );

    // Meanwhile one member withdraws: it is skipped and reported, the rest go on.
    await v.press("Approve all 5");
    expect(texts(v.last)).toContain("Your committee receives some of them");
    const queued = texts(await v.press("研究生2026级1班团支部"));
    expect(queued).toContain("Approving 5 applications. The summary comes here when they are done");
    const gone = await withdraw(
      db(),
      { actor: { kind: "member", memberId: w.member.m5 }, applicationId: toCommittee[2]! },
      LATER,
    );
    expect(gone.ok).toBe(true);
    // Nothing is approved in the turn itself: the runner does it, each on its own.
    expect(await stateOf(toBranch[0]!)).toBe("pending");
    expect(await runQueuedBatches(db(), () => LATER)).toBe(1);
    expect(await runQueuedBatches(db(), () => LATER)).toBe(0);
    for (const id of [...toBranch, toCommittee[0]!, toCommittee[1]!]) {
      expect(await stateOf(id)).toBe("completed");
    }
    expect(await stateOf(toCommittee[2]!)).toBe("withdrawn");

    const before = out.to("g-V").length;
    await out.deliver(LATER);
    const arrived = out.to("g-V").slice(before);
    // The withdrawal's card first (it came before), then ONE summary, then the cards.
    const at = arrived.findIndex((m) => m.text.includes("Batch approval #"));
    expect(arrived.slice(0, at).map((m) => m.ref)).toEqual([
      `app:${toCommittee[2]}:org:${w.org.V}`,
    ]);
    const summary = arrived[at]!;
    expect(summary.text).toContain("Batch approval #1 done: 4 of 5 approved.");
    expect(summary.text).toContain(
      "4 completed (committee-received members placed in 研究生2026级1班团支部).",
    );
    expect(summary.text).toContain("1 skipped:");
    expect(summary.text).toContain(`#${toCommittee[2]}: `);
    expect(summary.text).toContain("Withdrawn");
    expect(arrived.filter((m) => m.text.includes("Batch approval #"))).toHaveLength(1);
    const edits = arrived.slice(at + 1);
    expect(edits.every((m) => m.edit)).toBe(true);
    // VB's cards come to V's chat (R29), under VB's own reference.
    expect(edits.map((m) => m.ref).sort()).toEqual(
      [
        ...toBranch.map((id) => `app:${id}:org:${w.org.VB}`),
        ...toCommittee.slice(0, 2).map((id) => `app:${id}:org:${w.org.V}`),
      ].sort(),
    );
    // R25: the history has the approval and the assignment, by the admin.
    const view = await applicationView(
      db(),
      { applicationId: toCommittee[0]!, viewer: null },
      LATER,
      TEST_SEASON,
    );
    expect(view!.history.map((h) => [h.action, h.actorName])).toEqual([
      ["create", "李小红"],
      ["approve", "管理员V"],
      ["assign", "管理员V"],
    ]);
  });

  it("R22 left awaiting assignment: the cards keep Assign branch and the summary says so", async () => {
    await out.bind("g-V", w.org.V);
    const ids = [
      await file(furtherStudy(w.member.m2, w.org.V)),
      await file(furtherStudy(w.member.m3, w.org.V)),
    ];
    await out.deliver(AUG);
    const v = admin("V", "g-V");
    await v.say("/batch");
    await v.press("Preview (2)");
    await v.press("Approve all 2");
    await v.press("Leave them awaiting assignment");
    await runQueuedBatches(db(), () => LATER);
    for (const id of ids) expect(await stateOf(id)).toBe("awaiting_assignment");
    await out.deliver(LATER);
    const summary = out.to("g-V").find((m) => m.text.includes("Batch approval #"))!;
    expect(summary.text).toContain("2 wait for a branch: press Assign branch");
    expect(summary.buttons.flat().map((b) => b.label)).toEqual(["Open the pending queue"]);
    const card = out.latest("g-V", `app:${ids[0]}:org:${w.org.V}`)!;
    expect(card.buttons.flat().map((b) => b.label)).toEqual(["Assign branch", "Details"]);
  });

  it("a leading organ switches batch approval off for its region; others may not", async () => {
    await file(furtherStudy(w.member.m1, w.org.HS));
    const hs = admin("HS");
    // A school committee is not a leading organ.
    expect(texts(await hs.say("/batch off"))).toContain(
      "Only a leading organ (county committee or above) switches batch approval",
    );
    const y = admin("Y");
    expect(texts(await y.say("/batch off"))).toContain(
      "Batch approval is now off everywhere in the region of 团太原市迎泽区委.",
    );
    expect(texts(await hs.say("/batch"))).toContain(
      "Batch approval is switched off in this region by 团太原市迎泽区委: decide each card on its own.",
    );
    expect(labels(await hs.say("/pending"))).toContain("Approve");
    // Outside that region it still works.
    await file(furtherStudy(w.member.m2, w.org.V));
    expect(texts(await admin("V").say("/batch"))).toContain("1 applications match.");
    await y.say("/batch on");
    expect(texts(await hs.say("/batch"))).toContain("1 applications match.");
  });

  it("nothing to approve: /batch says so and opens nothing", async () => {
    expect(texts(await admin("U").say("/batch"))).toContain(
      "Nothing waits for 山西示范大学团委 at a stage a batch approves.",
    );
  });
});
