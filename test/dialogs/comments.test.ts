/**
 * Issue 20.6 through the dialogs: an approver adds a short note with an approval, from the
 * application's details; the member reads it with the news (R24 completion, R22 a committee's
 * approval before its assignment) and it stays in the history (R25). Too long or empty: said,
 * and asked again; someone who may not decide is not offered it.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_COMMENT } from "../../src/services/decisions/index.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, shanghai, type World } from "../helpers/world.ts";
import { bindAs, chat, labels, texts, tokenOf } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");

describe.each(DB_KINDS)("issue 20.6 approval notes on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db());
  const out = testDeliveries(db);
  const file = async (input: FileInput) => {
    const filed = await fileApplication(db(), input, AUG, TEST_SEASON);
    if (!filed.ok) throw new Error(`filing: ${filed.reason}`);
    return filed.applicationId;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    out.clear();
    await bindAs(db(), "admin-V", { adminId: w.admin.V });
    await bindAs(db(), "admin-U", { adminId: w.admin.U });
    await bindAs(db(), "m1", { memberId: w.member.m1 });
    await bindAs(db(), "m2", { memberId: w.member.m2 });
  });

  it("R24 R25 the note goes with the approval to the member and into the history", async () => {
    await out.bind("g-V", w.org.V);
    const id = await file(furtherStudy(w.member.m1, w.org.VB));
    await out.deliver(AUG);
    const card = out.to("g-V").at(-1)!;
    const v = chat(engine, "admin-V", "g-V");
    await v.pressToken(tokenOf([card], "Details"));
    expect(labels(v.last)).toContain("Approve with a note");
    const asked = await v.press("Approve with a note");
    expect(texts(asked)).toContain(
      `Write a short note for the member with your approval of application #${id}`,
    );
    expect(asked[0]!.expectsReply).toBe(true);
    // Empty, then too long: said, and asked again; nothing is decided yet.
    expect(texts(await v.say("   "))).toContain("The note is empty");
    expect(texts(await v.say("长".repeat(MAX_COMMENT + 1)))).toContain(
      `at most ${MAX_COMMENT} characters`,
    );
    expect(texts(await v.say("欢迎加入研究生班，报到时带上团员证。"))).toContain(
      `Application #${id} approved, with your note.`,
    );
    await out.deliver(AUG);
    const told = texts(out.to("m1"));
    expect(told).toContain("Note from 管理员V: 欢迎加入研究生班，报到时带上团员证。");
    // R25: in the member's own history too.
    const m1 = chat(engine, "m1");
    await m1.say("/menu");
    const mine = texts(await m1.press("My applications"));
    expect(mine).toContain(
      "approved by the receiver (管理员V): 欢迎加入研究生班，报到时带上团员证。",
    );
  });

  it("R22 a committee's approval with a note: the member reads it at once, Assign follows", async () => {
    const id = await file(furtherStudy(w.member.m2, w.org.V));
    const v = chat(engine, "admin-V");
    await v.say("/pending");
    await v.pressToken(tokenOf(v.last, "Details"));
    await v.press("Approve with a note");
    expect(texts(await v.say("请尽快到院团委报到"))).toContain(
      `Application #${id} approved, with your note. Press Assign branch`,
    );
    expect(labels(v.last)).toEqual(["Assign branch"]);
    await out.deliver(AUG);
    expect(texts(out.to("m2"))).toContain("Note from 管理员V: 请尽快到院团委报到");
    // Someone who may not decide it is not offered the note.
    const u = chat(engine, "admin-U");
    await u.say("/pending");
    expect(labels(u.last)).not.toContain("Approve with a note");
  });
});
