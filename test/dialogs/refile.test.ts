/**
 * Issue 20.4 through the dialogs: a rejection (R23) offers "refile from this one"; the wizard
 * opens at its summary with every answer of the rejected application, Back leads to the
 * reason, and the new application names the old one in its history (R25). An application that
 * was not rejected or returned offers nothing of the kind.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications } from "../../src/db/schema.ts";
import { reject } from "../../src/services/decisions/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, shanghai, type World } from "../helpers/world.ts";
import { bindAs, chat, labels, texts, tokenOf } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");

describe.each(DB_KINDS)("issue 20.4 reject and refile on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db());
  const out = testDeliveries(db);

  beforeEach(async () => {
    w = await buildWorld(db());
    out.clear();
    await bindAs(db(), "m1", { memberId: w.member.m1 });
  });

  it("R23 R25 the rejection notice refiles with every answer, at the summary; the new one links the old", async () => {
    const filed = await fileApplication(db(), furtherStudy(w.member.m1, w.org.V), AUG, TEST_SEASON);
    if (!filed.ok) throw new Error(filed.reason);
    const old = filed.applicationId;
    const rejected = await reject(
      db(),
      { adminId: w.admin.V, applicationId: old, reason: "学校地址填写不完整" },
      AUG,
    );
    expect(rejected.ok).toBe(true);
    await out.deliver(AUG);
    const notice = out.to("m1").at(-1)!;
    expect(notice.text).toContain("学校地址填写不完整");
    expect(notice.buttons.flat().map((b) => b.label)).toEqual([`Refile from #${old}`]);

    const m1 = chat(engine, "m1");
    const opened = texts(await m1.pressToken(tokenOf([notice], `Refile from #${old}`)));
    expect(opened).toContain(`Your answers of application #${old} are filled in`);
    expect(opened).toContain("Please check your application");
    expect(opened).toContain("太原工学院团委");
    expect(opened).toContain("太原市");
    expect(labels(m1.last)).toEqual(expect.arrayContaining(["Submit", "« Back", "Cancel"]));
    // Back leads to the reason, with the answers kept; forward again to the summary.
    expect(texts(await m1.press("« Back"))).toContain("Choose the reason for the transfer");
    await m1.press("Cancel");
    await m1.pressToken(tokenOf([notice], `Refile from #${old}`));
    const submitted = texts(await m1.press("Submit"));
    expect(submitted).toContain("Application submitted");
    const [fresh] = await db()
      .select()
      .from(applications)
      .where(eq(applications.refiledFromId, old));
    expect(fresh).toMatchObject({
      state: "pending",
      reason: "further_study",
      schoolName: "太原工学院",
      schoolAddress: "太原市",
      toOrgId: w.org.V,
    });
    await m1.say("/menu");
    expect(texts(await m1.press("My applications"))).toContain(`Refiled from application #${old}`);
    // The old notice's button now meets an open application: the wizard says why not.
    expect(texts(await m1.pressToken(tokenOf([notice], `Refile from #${old}`)))).toContain(
      "already",
    );
  });
});
