/**
 * The daily housekeeping job: update keys go after 7 days (platforms resend for a day at most),
 * button tokens after 90 (no application waits that long, R27); a pruned button is answered
 * like any stale one.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { dialogActions, processedUpdates } from "../../src/db/schema.ts";
import { appJobs } from "../../src/jobs/jobs.ts";
import { slotOf } from "../../src/jobs/runner.ts";
import { bindAs, chat, smallTree, texts, tokenOf } from "../dialogs/fixtures.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";

const DAY_MS = 86_400_000;

describe.each(DB_KINDS)("housekeeping on %s", (kind) => {
  const database = useTestDatabase(kind);

  it("drops update keys older than 7 days and buttons older than 90; a dropped button answers out of date", async () => {
    const db = database.current.db;
    const now = new Date();
    const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
    await db.insert(processedUpdates).values([
      { channel: "telegram", updateKey: "1:old", processedAt: daysAgo(8) },
      { channel: "telegram", updateKey: "1:recent", processedAt: daysAgo(6) },
    ]);
    const tree = await smallTree(db);
    await bindAs(db, "u1", { memberId: tree.member.id });
    const engine = () => testEngine(db, "zh-CN");
    const u = chat(engine, "u1");
    const menu = await u.say("/menu");
    // The menu's buttons were issued long ago; one other button is recent.
    await db.update(dialogActions).set({ createdAt: daysAgo(91) });
    await db.insert(dialogActions).values({
      token: "recent-token",
      channel: "test",
      chatId: "u1",
      userId: "u1",
      stateVersion: null,
      payload: { type: "command", command: "help" },
      createdAt: daysAgo(89),
    });

    const job = appJobs(TEST_SEASON, loadConfig({}).schedules).find(
      (j) => j.name === "housekeeping",
    );
    expect(job?.cron).toBe("40 3 * * *");
    await db.transaction((tx) => job!.run(tx, slotOf(job!, now, "Asia/Shanghai"), now));

    const keys = await db.select({ key: processedUpdates.updateKey }).from(processedUpdates);
    expect(keys.map((k) => k.key)).toEqual(["1:recent"]);
    const tokens = await db.select({ token: dialogActions.token }).from(dialogActions);
    expect(tokens.map((t) => t.token)).toEqual(["recent-token"]);
    expect(texts(await u.pressToken(tokenOf(menu, "Help")))).toContain("out of date");
    expect(texts(await u.pressToken("recent-token"))).toContain("/menu");
  });
});
