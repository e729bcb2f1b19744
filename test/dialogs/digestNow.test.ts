/**
 * Issue 20.5 through the dialogs: /digest in a bound chat gives today's digest with its chart
 * (§6, §5 the leading organ's rates), for an admin of the chat's organization or one above
 * it; in a private chat the admin's own; nobody else, and an unbound group is told how to bind.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { convertGraduateOrganizations } from "../../src/services/marks.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, shanghai, type World } from "../helpers/world.ts";
import { bindAs, chat, labels, texts } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");

describe.each(DB_KINDS)("issue 20.5 /digest on demand on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db());
  const out = testDeliveries(db);
  const at = (u: ReturnType<typeof chat>) => {
    u.advance(AUG.getTime() - new Date("2026-07-01T02:00:00Z").getTime());
    return u;
  };

  beforeEach(async () => {
    w = await buildWorld(db());
    for (const a of ["P", "U", "V"] as const) {
      await bindAs(db(), `admin-${a}`, { adminId: w.admin[a] });
    }
    await bindAs(db(), "m1", { memberId: w.member.m1 });
    await convertGraduateOrganizations(db(), TEST_SEASON, AUG);
    const filed = await fileApplication(db(), furtherStudy(w.member.m1, w.org.V), AUG, TEST_SEASON);
    expect(filed.ok).toBe(true);
  });

  it("§5 §6 a leading organ's chat: today's digest with the chart; a chat below it for its admins", async () => {
    await out.bind("g-P", w.org.P);
    const p = at(chat(engine, "admin-P", "g-P"));
    const [digest] = await p.say("/digest");
    expect(digest!.text).toContain("[Daily digest] 团山西省委  2026-08-10");
    expect(digest!.text).toContain("SX");
    expect(Buffer.from(digest!.image!.png, "base64").subarray(1, 4).toString()).toBe("PNG");
    // A receiver's chat: its queue, and the buttons of the morning's digest.
    await out.bind("g-V", w.org.V);
    const v = at(chat(engine, "admin-V", "g-V"));
    const own = texts(await v.say("/digest"));
    expect(own).toContain("[Daily digest] 太原工学院团委");
    expect(labels(v.last)).toEqual(expect.arrayContaining(["Batch approve"]));
    // The province's admin may read it there too (an organization above).
    expect(texts(await at(chat(engine, "admin-P", "g-V")).say("/digest"))).toContain(
      "[Daily digest] 太原工学院团委",
    );
  });

  it("refuses an admin of another organization, a member, and an unbound group; private: own", async () => {
    await out.bind("g-V", w.org.V);
    expect(texts(await at(chat(engine, "admin-U", "g-V")).say("/digest"))).toContain(
      "This chat belongs to 太原工学院团委: only its admins",
    );
    expect(texts(await at(chat(engine, "m1", "g-V")).say("/digest"))).toContain(
      "This is for bound League organization admins only.",
    );
    expect(texts(await at(chat(engine, "admin-U", "g-none")).say("/digest"))).toContain(
      "This chat is not bound to an organization",
    );
    expect(texts(await at(chat(engine, "admin-U")).say("/digest"))).toContain(
      "[Daily digest] 山西示范大学团委",
    );
  });
});
