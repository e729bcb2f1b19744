/**
 * Issue 10, reliability: 100 applications, each hit at the same moment by approve, reject and
 * withdraw, on real PostgreSQL (PGlite has one connection, so nothing there really races).
 */
import { inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { applicationHistory, applications, members, outbox } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { approve, reject, withdraw } from "../../src/services/decisions/index.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, idFor, shanghai, YEAR } from "../helpers/world.ts";
import { brokenInvariants } from "./invariants.ts";

const NOW = shanghai(`${YEAR}-09-05T10:00:00`);
const COUNT = 100;

describe.runIf(process.env.TEST_DATABASE_URL)("races: approve + reject + withdraw at once", () => {
  const database = useTestDatabase("postgres");

  it("100 applications: exactly one outcome each, one notification per outcome and recipient", async () => {
    const db = database.current.db;
    const w = await buildWorld(db);
    const people = await db
      .insert(members)
      .values(
        Array.from({ length: COUNT }, (_, i) => ({
          name: `学生${i}`,
          ...sealIdNumber(idFor("2004-02-02", 100 + i)),
          branchId: w.org.UB1,
          graduationBranchId: w.org.UB1,
          graduationYear: YEAR,
        })),
      )
      .returning({ id: members.id });
    // Half filed by the member, half by their branch's admin: withdrawals differ in who may
    // do them and who is told.
    const byAdmin = (i: number) => i % 2 === 1;
    const ids = await Promise.all(
      people.map(async (p, i) => {
        const filed = await fileApplication(
          db,
          {
            ...furtherStudy(p.id, w.org.VB),
            actor: byAdmin(i)
              ? { kind: "admin", adminId: w.admin.UB1 }
              : { kind: "member", memberId: p.id },
            as: byAdmin(i) ? "out_admin" : "member",
            memberId: p.id,
          },
          NOW,
          TEST_SEASON,
        );
        if (!filed.ok) throw new Error(`filing ${i}: ${filed.reason}`);
        return filed.applicationId;
      }),
    );

    const results = await Promise.all(
      ids.map((id, i) =>
        Promise.all([
          approve(db, { adminId: w.admin.VB, applicationId: id }, NOW),
          reject(db, { adminId: w.admin.VB, applicationId: id, reason: "名额已满" }, NOW),
          withdraw(
            db,
            {
              actor: byAdmin(i)
                ? { kind: "admin", adminId: w.admin.UB1 }
                : { kind: "member", memberId: people[i]!.id },
              applicationId: id,
            },
            NOW,
          ),
        ]),
      ),
    );
    const winners = results.map((three) => three.filter((r) => r.ok));
    for (const [i, three] of results.entries()) {
      expect(winners[i], `application ${ids[i]}`).toHaveLength(1);
      for (const loser of three.filter((r) => !r.ok)) {
        expect(loser).toMatchObject({ reason: "already_decided" });
      }
    }

    const rows = await db.select().from(applications).where(inArray(applications.id, ids));
    const stateOf = new Map(rows.map((r) => [r.id, r.state]));
    for (const [i, id] of ids.entries()) {
      expect(stateOf.get(id)).toBe((winners[i]![0] as { state: string }).state);
    }
    const history = await db
      .select()
      .from(applicationHistory)
      .where(inArray(applicationHistory.applicationId, ids));
    expect(history).toHaveLength(COUNT * 2);

    // Who hears of each outcome: the member unless they withdrew themselves, and the admin who
    // filed it unless it was withdrawn.
    const expected = new Set<string>();
    for (const [i, id] of ids.entries()) {
      const state = stateOf.get(id)!;
      const member = String(people[i]!.id);
      if (state !== "withdrawn" || byAdmin(i)) expected.add(`${id}:member:${member}`);
      if (state !== "withdrawn" && byAdmin(i)) expected.add(`${id}:admin:${w.admin.UB1}`);
    }
    const outcomes = await db
      .select()
      .from(outbox)
      .where(inArray(outbox.event, ["outcome", "card_outcome"]));
    const told = outcomes
      .filter((o) => o.event === "outcome")
      .map((o) => `${o.payload.applicationId}:${o.recipientType}:${o.recipientId}`);
    expect(told.length).toBe(new Set(told).size);
    expect(new Set(told)).toEqual(expected);
    expect(outcomes.filter((o) => o.event === "card_outcome")).toHaveLength(COUNT);
    expect(await brokenInvariants(database.current)).toEqual({});
    // Spread: the races should not all go one way, or the test proves little.
    const states = new Set(rows.map((r) => r.state));
    expect(states.size).toBeGreaterThan(1);
  });
});
