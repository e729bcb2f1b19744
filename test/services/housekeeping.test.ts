/**
 * The daily housekeeping job: update keys go after 7 days (platforms resend for a day at most),
 * button tokens after 90 (no application waits that long, R27); a pruned button is answered
 * like any stale one. An import's staged rows go after 7 days unless an applied import needs
 * them for undo; a preview that old is cancelled.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { dialogActions, importRows, imports, processedUpdates } from "../../src/db/schema.ts";
import type { ImportState } from "../../src/domain/importRows.ts";
import { appJobs } from "../../src/jobs/jobs.ts";
import { slotOf } from "../../src/jobs/runner.ts";
import { applyImport } from "../../src/services/imports/index.ts";
import { emptyCounts } from "../../src/services/imports/preview.ts";
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

  it("drops staged import rows after 7 days: previews never applied (cancelled), refusals; undo's rows stay", async () => {
    const db = database.current.db;
    const now = new Date();
    const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const staged = async (state: ImportState, days: number) => {
      const [row] = await db
        .insert(imports)
        .values({
          kind: "members",
          fileName: `${state}-${days}.csv`,
          state,
          counts: emptyCounts(),
          createdAt: daysAgo(days),
        })
        .returning({ id: imports.id });
      await db.insert(importRows).values(
        (["add", "refused", "change", "move"] as const).map((action, i) => ({
          importId: row!.id,
          rowNo: i + 2,
          action,
        })),
      );
      return row!.id;
    };
    const oldPreview = await staged("previewed", 8);
    const oldReading = await staged("reading", 8);
    const oldCancelled = await staged("cancelled", 8);
    const oldApplied = await staged("applied", 8);
    const recentPreview = await staged("previewed", 6);

    const job = appJobs(TEST_SEASON, loadConfig({}).schedules).find(
      (j) => j.name === "housekeeping",
    );
    await db.transaction((tx) => job!.run(tx, slotOf(job!, now, "Asia/Shanghai"), now));

    const left = await db
      .select({ importId: importRows.importId, action: importRows.action })
      .from(importRows)
      .orderBy(importRows.importId, importRows.rowNo);
    expect(left).toEqual([
      { importId: oldApplied, action: "change" },
      { importId: oldApplied, action: "move" },
      ...["add", "refused", "change", "move"].map((action) => ({
        importId: recentPreview,
        action,
      })),
    ]);
    const states = new Map(
      (await db.select({ id: imports.id, state: imports.state }).from(imports)).map((i) => [
        i.id,
        i.state,
      ]),
    );
    expect(
      [oldPreview, oldReading, oldCancelled, oldApplied, recentPreview].map((id) => states.get(id)),
    ).toEqual(["cancelled", "cancelled", "cancelled", "applied", "previewed"]);
    // The stale preview is no longer there to apply.
    const applied = await applyImport(db, {
      importId: oldPreview,
      actor: { kind: "operator" },
      now,
    });
    expect(applied).toEqual({ ok: false, reason: "wrong_state", state: "cancelled" });
  });
});
