import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { applications, outbox } from "../../src/db/schema.ts";
import { seasonFor } from "../../src/domain/calendar.ts";
import { autoReturnOverdue } from "../../src/services/autoReturn.ts";
import { approve, reject } from "../../src/services/decisions/index.ts";
import { memberApplications } from "../../src/services/queues.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { buildWorld, furtherStudy, shanghai, type World, YEAR } from "../helpers/world.ts";

const season = seasonFor(YEAR, "Asia/Shanghai");
const at = (local: string) => shanghai(`${YEAR}-${local}`);

describe.each(DB_KINDS)("a whole graduation season on %s", (kind) => {
  const database = useTestDatabase(kind);
  let w: World;
  const db = () => database.current.db;
  const study = (m: keyof World["member"], destinationOrgId: number) =>
    furtherStudy(w.member[m], destinationOrgId);
  const stateOf = async (id: number) =>
    (await db().select().from(applications).where(eq(applications.id, id)))[0]!.state;

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("R27 applications in August, decisions in September, auto-return more than 10 days after the later of stage entry and 1 October", async () => {
    const filedAt = at("08-15T10:00:00");
    const ids: Record<string, number> = {};
    for (const [m, dest] of [
      ["m1", w.org.VB],
      ["m2", w.org.V],
      ["m3", w.org.V],
      ["m4", w.org.VB],
    ] as const) {
      const filed = await fileApplication(db(), study(m, dest), filedAt, season);
      if (!filed.ok) throw new Error(filed.reason);
      ids[m] = filed.applicationId;
    }
    // Nothing is forced during the application and review periods.
    expect(await autoReturnOverdue(db(), at("08-31T23:59:59"), season)).toEqual([]);
    expect(await autoReturnOverdue(db(), at("09-30T23:59:59"), season)).toEqual([]);

    // September: m1 approved (branch: completes); m2 approved by a committee (now awaits assignment).
    await approve(db(), { adminId: w.admin.VB, applicationId: ids.m1! }, at("09-10T09:00:00"));
    await approve(db(), { adminId: w.admin.V, applicationId: ids.m2! }, at("09-25T09:00:00"));
    // m3 rejected; it is final and never auto-returned.
    await reject(
      db(),
      { adminId: w.admin.V, applicationId: ids.m3!, reason: "信息错误" },
      at("09-12T09:00:00"),
    );

    // R27: the wait counts from the later of stage entry and 1 Oct 00:00, so m4 (pending since
    // 15 Aug) and m2 (in assignment since 25 Sep) are both returned only once more than 10 days
    // have passed since 1 Oct: nothing before 11 Oct 00:00.
    expect(await autoReturnOverdue(db(), at("10-01T00:00:00"), season)).toEqual([]);
    expect(await autoReturnOverdue(db(), at("10-05T09:00:01"), season)).toEqual([]);
    expect(await autoReturnOverdue(db(), at("10-11T00:00:00"), season)).toEqual([]);
    expect(await stateOf(ids.m2!)).toBe("awaiting_assignment");
    const first = await autoReturnOverdue(db(), at("10-11T00:00:00.001"), season);
    expect(first.map((r) => [r.applicationId, r.fromState]).sort()).toEqual(
      [
        [ids.m2, "awaiting_assignment"],
        [ids.m4, "pending"],
      ].sort(),
    );

    // A sweep again changes nothing (idempotent).
    expect(await autoReturnOverdue(db(), at("10-11T01:00:00"), season)).toEqual([]);

    // The returned member must start again: a new filing waits afresh, 10 days from its stage.
    const again = await fileApplication(db(), study("m4", w.org.VB), at("10-12T10:00:00"), season);
    expect(again).toMatchObject({ ok: true, state: "pending" });
    expect(await autoReturnOverdue(db(), at("10-22T10:00:00"), season)).toEqual([]);
    expect((await autoReturnOverdue(db(), at("10-22T10:00:01"), season)).length).toBe(1);

    expect(await stateOf(ids.m1!)).toBe("completed");
    expect(await stateOf(ids.m3!)).toBe("rejected");

    // History of each, and the returned member and the deciding org were told.
    const m4History = await memberApplications(
      db(),
      { memberId: w.member.m4 },
      at("10-23T00:00:00"),
      season,
    );
    expect(m4History.map((a) => a.state)).toEqual(["auto_returned", "auto_returned"]);
    expect(m4History[1]!.history.map((h) => [h.action, h.toState, h.actorKind])).toEqual([
      ["create", "pending", "member"],
      ["auto_return", "auto_returned", "system"],
    ]);
    const m2History = await memberApplications(
      db(),
      { memberId: w.member.m2 },
      at("10-23T00:00:00"),
      season,
    );
    expect(m2History[0]!.history.map((h) => h.action)).toEqual([
      "create",
      "approve",
      "auto_return",
    ]);
    const notices = await db().select().from(outbox).where(eq(outbox.event, "outcome"));
    const returnedNotices = notices.filter(
      (n) => (n.payload as { state: string }).state === "auto_returned",
    );
    expect(returnedNotices.map((n) => n.recipientId).sort()).toEqual(
      [w.member.m4, w.member.m2, w.member.m4].map(String).sort(),
    );
    const cards = await db().select().from(outbox).where(eq(outbox.event, "card_outcome"));
    expect(
      cards.filter((c) => (c.payload as { state: string }).state === "auto_returned"),
    ).toHaveLength(3);
  });
});
