/**
 * Issue 19 item 4: a group chat has its own language. Its admin sets it with /lang there; its
 * cards, digests and the answers said in it then use it, whatever each member chose for
 * themselves. The same engine serves Telegram groups and WeCom AI bot groups.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { queueDigests } from "../../src/services/digests.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testDeliveries } from "../helpers/deliveries.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, shanghai, type World } from "../helpers/world.ts";
import { bindAs, chat, texts } from "./fixtures.ts";

const AUG = shanghai("2026-08-10T10:00:00");

describe.each(DB_KINDS)("a group's own language on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const engine = () => testEngine(db(), "zh-CN");
  const out = testDeliveries(db);

  beforeEach(async () => {
    w = await buildWorld(db());
    out.clear();
    await bindAs(db(), "admin-V", { adminId: w.admin.V }, "zh-CN");
    await bindAs(db(), "admin-P", { adminId: w.admin.P }, "zh-CN");
    await bindAs(db(), "admin-E", { adminId: w.admin.E }, "zh-CN");
    await bindAs(db(), "m1", { memberId: w.member.m1 }, "zh-CN");
  });

  it("only the bound organization's admin sets it; its cards come in that language", async () => {
    const v = chat(engine, "admin-V", "g-V");
    expect(texts(await v.say("/lang en"))).toContain("尚未绑定组织");
    await out.bind("g-V", w.org.V);
    // A member, and an admin of another organization, may not.
    expect(texts(await chat(engine, "m1", "g-V").say("/lang en"))).toContain("只有本群所绑定组织");
    expect(texts(await chat(engine, "admin-E", "g-V").say("/lang en"))).toContain(
      "只有本群所绑定组织",
    );
    expect(texts(await v.say("/lang en"))).toBe(
      "This group's language is now English, for its approval cards and digests too.",
    );
    // An admin above the bound organization may too (as for /unbind).
    expect(texts(await chat(engine, "admin-P", "g-V").say("/lang zh-CN"))).toContain(
      "本群的语言已切换为中文",
    );
    await v.say("/lang en");

    // Said in the group, answered in the group's language, though V's own is Chinese.
    expect(texts(await v.say("/help"))).toContain("Commands:");

    const filed = await fileApplication(db(), furtherStudy(w.member.m1, w.org.V), AUG, TEST_SEASON);
    expect(filed.ok).toBe(true);
    await out.deliver(AUG);
    const [card] = out.to("g-V");
    expect(card?.text).toContain("[New transfer application #");
    expect(card?.buttons.flat().map((b) => b.label)).toEqual(["Approve", "Reject", "Details"]);
    // The group's digest too (a chat's own event: the default here would be English).
    await v.say("/lang zh-CN");
    await db().transaction((tx) => queueDigests(tx, "2026-08-10"));
    await out.deliver(AUG);
    expect(out.to("g-V").at(-1)?.text).toContain("【每日简报】太原工学院团委");
    // V's private chat keeps V's own language.
    expect(texts(await chat(engine, "admin-V").say("/help"))).toContain("常用命令");
  });
});
