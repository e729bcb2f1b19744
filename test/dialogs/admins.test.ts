/**
 * Issue 20.3 through the dialogs: /admins lists who administers the organization and their
 * phones (the ones R5 shows); an admin adds a colleague, who binds with a one-time code and
 * finds the organization's pending decisions waiting (R29 nothing stranded); an admin changes
 * their own phone; a superior organization's admin removes one, who then acts nowhere, while
 * bound chats and what waits stay with the organization; nobody else may.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications, chatBindings } from "../../src/db/schema.ts";
import { type FileInput, fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, shanghai, type World } from "../helpers/world.ts";
import { bindAs, chat, labels, texts } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");
const CODE = /([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/;

describe.each(DB_KINDS)("issue 20.3 admin hand-over on %s", (kind) => {
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
    for (const a of ["P", "U", "V"] as const) {
      await bindAs(db(), `admin-${a}`, { adminId: w.admin[a] });
    }
  });

  it("R5 R29 adds a colleague who binds with a code and finds what waits; phones listed and edited", async () => {
    const id = await file(furtherStudy(w.member.m1, w.org.V));
    const v = chat(engine, "admin-V");
    const roster = texts(await v.say("/admins"));
    expect(roster).toContain("Admins of 太原工学院团委 (1):");
    expect(roster).toContain("管理员V — 0351-000V (you)");
    expect(labels(v.last)).toEqual(["Add an admin", "Change my phone", "Remove an admin below"]);
    await v.press("Add an admin");
    expect(texts(await v.say(" "))).toContain("A name of 1 to 40 characters, please.");
    expect(texts(await v.say("王新"))).toContain("王新's phone number");
    expect(texts(await v.say("call me"))).toContain("That is not a phone number");
    const added = texts(await v.say("0351-7654321"));
    expect(added).toContain("王新 is an admin of your organization now.");
    const code = CODE.exec(added)![1]!;
    // The new admin binds and finds the organization's decision waiting.
    const wang = chat(engine, "wang");
    expect(texts(await wang.say(`/start ${code}`))).toContain("League organization admin");
    expect(texts(await wang.say("/pending"))).toContain(`#${id}`);
    expect(texts(await wang.say("/admins"))).toContain("王新 — 0351-7654321 (you)");
    // The code works once.
    expect(texts(await chat(engine, "someone").say(`/start ${code}`))).not.toContain(
      "League organization admin",
    );
    // Their own phone, as everyone sees it.
    await wang.press("Change my phone");
    expect(texts(await wang.say("12"))).toContain("That is not a phone number");
    expect(texts(await wang.say("+86 139 0000 1111"))).toContain(
      "Your phone is now +86 139 0000 1111.",
    );
    expect(texts(await v.say("/admins"))).toContain("王新 — +86 139 0000 1111");
  });

  it("a code is never shown in a group", async () => {
    await out.bind("g-V", w.org.V);
    const v = chat(engine, "admin-V", "g-V");
    await v.say("/admins");
    expect(texts(await v.press("Add an admin"))).toContain(
      "add an admin in your private chat with the bot",
    );
  });

  it("R29 a superior's admin removes one: they act nowhere; bound chats and decisions stay", async () => {
    await out.bind("g-V", w.org.V);
    const id = await file(furtherStudy(w.member.m1, w.org.V));
    // Not a superior of V: the university finds nothing of it below.
    const u = chat(engine, "admin-U");
    await u.say("/admins");
    await u.press("Remove an admin below");
    expect(texts(await u.say("太原工学院"))).toContain("No organization below yours");

    const p = chat(engine, "admin-P");
    await p.say("/admins");
    await p.press("Remove an admin below");
    await p.say("太原工学院");
    await p.press("太原工学院团委");
    expect(texts(p.last)).toContain("Which admin of 太原工学院团委?");
    await p.press("管理员V — 0351-000V");
    expect(texts(p.last)).toContain("Remove 管理员V as an admin of 太原工学院团委?");
    expect(texts(await p.press("Remove 管理员V"))).toContain(
      "管理员V is no longer an admin of 太原工学院团委.",
    );
    // The removed admin is a stranger now, in their chat and in the group.
    const v = chat(engine, "admin-V");
    expect(texts(await v.say("/pending"))).not.toContain(`#${id}`);
    expect(texts(await chat(engine, "admin-V", "g-V").say("/pending"))).not.toContain(`#${id}`);
    // The group stays bound to the organization, and the application waits there.
    const bound = await db().select().from(chatBindings).where(eq(chatBindings.chatId, "g-V"));
    expect(bound.map((b) => b.orgId)).toEqual([w.org.V]);
    const [app] = await db().select().from(applications).where(eq(applications.id, id));
    expect([app!.state, app!.decidingOrgId]).toEqual(["pending", w.org.V]);
  });
});
