import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { applicationHistory, applications, members, outbox } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { approve, reject, withdraw } from "../../src/services/decisions/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { buildWorld, furtherStudy, idFor, shanghai, YEAR } from "../helpers/world.ts";

const season = seasonFor(YEAR, "Asia/Shanghai");
const NOW = shanghai(`${YEAR}-09-05T10:00:00`);

describe.runIf(process.env.TEST_DATABASE_URL)("R26 races on real PostgreSQL", () => {
  const database = useTestDatabase("postgres");

  it("50 applications each approved and rejected at once, and withdrawals racing approvals: one outcome each", async () => {
    const db = database.current.db;
    const w = await buildWorld(db);
    const people = await db
      .insert(members)
      .values(
        Array.from({ length: 60 }, (_, i) => ({
          name: `学生${i}`,
          ...sealIdNumber(idFor("2004-02-02", 100 + i)),
          branchId: w.org.UB1,
          graduationBranchId: w.org.UB1,
          graduationYear: YEAR,
        })),
      )
      .returning({ id: members.id });
    const ids: number[] = [];
    for (const p of people) {
      const filed = await fileApplication(db, furtherStudy(p.id, w.org.VB), NOW, season);
      if (!filed.ok) throw new Error(filed.reason);
      ids.push(filed.applicationId);
    }
    const approveReject = ids.slice(0, 50);
    const approveWithdraw = ids.slice(50);
    const results = await Promise.all([
      ...approveReject.flatMap((id) => [
        approve(db, { adminId: w.admin.VB, applicationId: id }, NOW),
        reject(db, { adminId: w.admin.V, applicationId: id, reason: "名额已满" }, NOW),
      ]),
      ...approveWithdraw.flatMap((id, i) => [
        approve(db, { adminId: w.admin.V, applicationId: id }, NOW),
        withdraw(
          db,
          { actor: { kind: "member", memberId: people[50 + i]!.id }, applicationId: id },
          NOW,
        ),
      ]),
    ]);
    for (let i = 0; i < results.length; i += 2) {
      const pair = [results[i]!, results[i + 1]!];
      expect(pair.filter((r) => r.ok)).toHaveLength(1);
      expect(pair.find((r) => !r.ok)).toMatchObject({ ok: false, reason: "already_decided" });
    }
    const rows = await db.select().from(applications).where(inArray(applications.id, ids));
    for (const row of rows) expect(["completed", "rejected", "withdrawn"]).toContain(row.state);
    const history = await db
      .select()
      .from(applicationHistory)
      .where(inArray(applicationHistory.applicationId, ids));
    expect(history).toHaveLength(ids.length * 2);
    for (const row of rows) {
      const mine = history.filter((h) => h.applicationId === row.id);
      expect(mine.at(-1)!.toState).toBe(row.state);
    }
    // One notification per outcome to the member: completed or rejected (a member's own
    // withdrawal is not announced back to them).
    const outcomes = await db.select().from(outbox).where(eq(outbox.event, "outcome"));
    const decided = rows.filter((r) => r.state !== "withdrawn");
    expect(outcomes).toHaveLength(decided.length);
    expect(new Set(outcomes.map((o) => o.recipientId)).size).toBe(decided.length);
    const cards = await db.select().from(outbox).where(eq(outbox.event, "card_outcome"));
    expect(cards).toHaveLength(ids.length);
    // Members moved exactly when completed.
    const moved = await db.select().from(members).where(eq(members.branchId, w.org.VB));
    expect(moved).toHaveLength(rows.filter((r) => r.state === "completed").length);
  });
});
