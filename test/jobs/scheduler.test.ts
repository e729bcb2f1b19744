/**
 * Schedules (issue 8.2): each job runs once per period across copies (job_runs claim), a period
 * missed while the app was down is made up on start, and the calendar jobs fire on the right
 * Asia/Shanghai days: R27 auto-return and its warning, R7 conversion, R14/R15 reminders.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type Schedules } from "../../src/config.ts";
import { type Database, type Db, openDatabase, rowsOf } from "../../src/db/client.ts";
import {
  applications,
  chatBindings,
  indicatorSnapshots,
  jobRuns,
  members,
  organizations,
  outbox,
} from "../../src/db/schema.ts";
import { appJobs } from "../../src/jobs/jobs.ts";
import { catchUp, type Job, lastFireAt, runSlot, slotOf } from "../../src/jobs/runner.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, shanghai, type World } from "../helpers/world.ts";

const TZ = "Asia/Shanghai";
const SCHEDULES: Schedules = {
  sweep: "5 * * * *",
  conversion: "10 0 * * *",
  reminders: "0 9 * * *",
  snapshot: "30 0 * * *",
  digest: "30 8 * * *",
  housekeeping: "40 3 * * *",
};
const HOUR_MS = 3_600_000;

function jobsOf(): Record<string, Job> {
  return Object.fromEntries(appJobs(TEST_SEASON, SCHEDULES).map((j) => [j.name, j]));
}

async function outboxOf(db: Db, event: string) {
  return db
    .select({ recipientId: outbox.recipientId, payload: outbox.payload, key: outbox.dedupeKey })
    .from(outbox)
    .where(eq(outbox.event, event))
    .orderBy(outbox.id);
}

async function bindChats(db: Db, w: World) {
  await db.insert(chatBindings).values([
    { channel: "web", chatId: "gU", orgId: w.org.U },
    { channel: "web", chatId: "gV", orgId: w.org.V },
    { channel: "telegram", chatId: "-100", orgId: w.org.Y },
  ]);
}

describe("schedule periods", () => {
  it("keys a run by job and period in Asia/Shanghai, and finds the latest scheduled time", () => {
    // 00:30 UTC is 08:30 in Shanghai: the digest of 3 September.
    const at = new Date("2026-09-03T00:30:00Z");
    expect(slotOf({ name: "digest", period: "day" }, at, TZ).key).toBe("digest:2026-09-03");
    expect(slotOf({ name: "sweep", period: "hour" }, at, TZ).key).toBe("sweep:2026-09-03T08");
    expect(lastFireAt("30 8 * * *", TZ, shanghai("2026-09-03T10:17:00"))).toEqual(
      shanghai("2026-09-03T08:30:00"),
    );
    expect(lastFireAt("30 8 * * *", TZ, shanghai("2026-09-03T08:29:59"))).toEqual(
      shanghai("2026-09-02T08:30:00"),
    );
    expect(lastFireAt("5 * * * *", TZ, shanghai("2026-10-05T10:04:00"))).toEqual(
      shanghai("2026-10-05T09:05:00"),
    );
  });
});

describe("schedule settings", () => {
  it("defaults to the sweep hourly and the digest at 08:30, and rejects bad expressions", () => {
    expect(loadConfig({}).schedules).toEqual(SCHEDULES);
    expect(loadConfig({ SCHEDULE_DIGEST: "0 9 * * 1-5" }).schedules.digest).toBe("0 9 * * 1-5");
    for (const bad of ["every morning", "0 0 9 * * *", "61 8 * * *"]) {
      expect(() => loadConfig({ SCHEDULE_DIGEST: bad })).toThrow(ConfigError);
    }
  });
});

describe.each(DB_KINDS)("scheduled jobs on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;

  it("two scheduler copies firing the same digest post one digest per chat", async () => {
    const w = await buildWorld(db());
    await bindChats(db(), w);
    const at = shanghai("2026-09-03T08:30:00");
    // A second copy: its own pool on PostgreSQL; PGlite has one connection, shared.
    const other: Database =
      kind === "postgres"
        ? await openDatabase({ kind: "postgres", url: database.current.url! })
        : database.current;
    try {
      const fires = [database.current, other, database.current, other].map((d) =>
        runSlot(d.db, jobsOf().digest!, at, TZ, at),
      );
      expect((await Promise.all(fires)).filter(Boolean)).toHaveLength(1);
    } finally {
      if (other !== database.current) await other.close();
    }
    const digests = await outboxOf(db(), "digest");
    expect(digests.map((d) => d.recipientId).sort()).toEqual(["telegram:-100", "web:gU", "web:gV"]);
    expect(digests.find((d) => d.recipientId === "web:gU")?.payload).toEqual({
      orgId: w.org.U,
      day: "2026-09-03",
    });
    // A restart the same day (catch-up) finds the period done.
    expect(
      await catchUp(db(), appJobs(TEST_SEASON, SCHEDULES), TZ, shanghai("2026-09-03T12:00:00")),
    ).not.toContain("digest:2026-09-03");
    expect(await outboxOf(db(), "digest")).toHaveLength(3);
  });

  it("a restart after 08:30 on a day with no digest yet sends it once; before 08:30 it waits", async () => {
    const w = await buildWorld(db());
    await bindChats(db(), w);
    const jobs = appJobs(TEST_SEASON, SCHEDULES);
    // Started at 07:00: yesterday's digest is not replayed, today's is not due yet.
    const early = await catchUp(db(), jobs, TZ, shanghai("2026-09-03T07:00:00"));
    expect(early).not.toContain("digest:2026-09-02");
    expect(early).not.toContain("digest:2026-09-03");
    expect(early).toContain("snapshot:2026-09-03");
    expect(await outboxOf(db(), "digest")).toHaveLength(0);
    // Down over 08:30, up again at 09:12 (and once more at 09:40): one digest per chat.
    const first = await catchUp(db(), jobs, TZ, shanghai("2026-09-03T09:12:00"));
    expect(first).toContain("digest:2026-09-03");
    expect(first).toContain("sweep:2026-09-03T09");
    expect(await catchUp(db(), jobs, TZ, shanghai("2026-09-03T09:40:00"))).toEqual([]);
    const digests = await outboxOf(db(), "digest");
    expect(digests.map((d) => d.key).sort()).toEqual([
      "digest:telegram:-100:2026-09-03",
      "digest:web:gU:2026-09-03",
      "digest:web:gV:2026-09-03",
    ]);
    const runs = await db().select({ key: jobRuns.key }).from(jobRuns);
    expect(runs.filter((r) => r.key.startsWith("digest:"))).toHaveLength(1);
    // The snapshot job stored today's counts of every leading organ (§5).
    const snaps = await db().select().from(indicatorSnapshots);
    expect(snaps.map((s) => s.day)).toContain("2026-09-03");
  });

  it("a failed run leaves no claim, so the period is made up later", async () => {
    const failing: Job = {
      name: "flaky",
      cron: "30 8 * * *",
      period: "day",
      async run(tx) {
        await tx.insert(outbox).values({
          event: "x",
          recipientType: "chat",
          recipientId: "web:g",
          payload: {},
          status: "queued",
        });
        throw new Error("boom");
      },
    };
    const at = shanghai("2026-09-03T08:30:00");
    await expect(runSlot(db(), failing, at, TZ, at)).rejects.toThrow("boom");
    expect(await db().select().from(jobRuns)).toEqual([]);
    expect(await outboxOf(db(), "x")).toEqual([]);
  });

  it("catch-up goes on past a job that fails, and a failed vacuum afterwards still counts the period run", async () => {
    const noted = (name: string): Job => ({
      name,
      cron: "30 8 * * *",
      period: "day",
      async run(tx) {
        await tx.insert(outbox).values({
          event: name,
          recipientType: "chat",
          recipientId: "web:g",
          payload: {},
          status: "queued",
        });
      },
    });
    const vacuumFails: Job = {
      ...noted("housekeeping-like"),
      async afterwards() {
        throw new Error("vacuum refused");
      },
    };
    const runFails: Job = {
      ...noted("flaky"),
      async run() {
        throw new Error("boom");
      },
    };
    const errors: string[] = [];
    const ran = await catchUp(
      db(),
      [vacuumFails, runFails, noted("digest-like")],
      TZ,
      shanghai("2026-09-03T09:00:00"),
      (job, error) => errors.push(`${job}: ${(error as Error).message}`),
    );
    expect(ran).toEqual(["housekeeping-like:2026-09-03", "digest-like:2026-09-03"]);
    expect(errors).toEqual(["housekeeping-like: vacuum refused", "flaky: boom"]);
    const runs = await db().select({ key: jobRuns.key }).from(jobRuns).orderBy(jobRuns.key);
    expect(runs.map((r) => r.key)).toEqual([
      "digest-like:2026-09-03",
      "housekeeping-like:2026-09-03",
    ]);
    // The vacuum's failure did not undo the period: the next start finds it done.
    expect(await catchUp(db(), [vacuumFails], TZ, shanghai("2026-09-03T10:00:00"))).toEqual([]);
    expect(await outboxOf(db(), "housekeeping-like")).toHaveLength(1);
  });

  it("R27 calendar: warnings two days ahead and returns fire on the right Asia/Shanghai days", async () => {
    const w = await buildWorld(db());
    const insertApp = async (memberId: number, stageSince: Date) => {
      const [row] = await db()
        .insert(applications)
        .values({
          memberId,
          state: "pending",
          stageSince,
          initiatorKind: "member",
          initiatorMemberId: memberId,
          reason: "further_study",
          fromOrgId: w.org.UB1,
          toOrgId: w.org.V,
          decidingOrgId: w.org.V,
          graduationYear: 2026,
        })
        .returning({ id: applications.id });
      return row!.id;
    };
    // Waiting since the review period: R27 counts from the wrap-up's start, 1 Oct 00:00
    // Shanghai, so it is returned once more than 10 days have passed since then.
    const early = await insertApp(w.member.m1, shanghai("2026-09-10T15:00:00"));
    // Entered its stage on 5 Oct 10:00: more than 10 days have passed on 15 Oct 10:00.
    const late = await insertApp(w.member.m2, shanghai("2026-10-05T10:00:00"));
    const sweep = jobsOf().sweep!;
    const firstSeen = new Map<string, string>();
    const note = (what: string, at: Date) => {
      if (!firstSeen.has(what))
        firstSeen.set(what, new Date(at.getTime() + 8 * HOUR_MS).toISOString().slice(0, 16));
    };
    // Hourly sweeps around each expected day (every hour of the season would be slow).
    const windows = [
      ["2026-09-30T20:05", "2026-10-01T02:05"],
      ["2026-10-08T20:05", "2026-10-09T02:05"],
      ["2026-10-10T20:05", "2026-10-11T02:05"],
      ["2026-10-13T06:05", "2026-10-13T12:05"],
      ["2026-10-15T06:05", "2026-10-15T12:05"],
    ];
    for (const [from, to] of windows) {
      for (
        let at = shanghai(`${from}:00`);
        at <= shanghai(`${to}:00`);
        at = new Date(at.getTime() + HOUR_MS)
      ) {
        expect(await runSlot(db(), sweep, at, TZ, at)).toBe(true);
        for (const o of await outboxOf(db(), "auto_return_warning")) {
          note(`warn:${(o.payload as { applicationId: number }).applicationId}`, at);
        }
        const states = await db()
          .select({ id: applications.id, state: applications.state })
          .from(applications);
        for (const s of states) if (s.state === "auto_returned") note(`returned:${s.id}`, at);
      }
    }
    expect(Object.fromEntries(firstSeen)).toEqual({
      [`warn:${early}`]: "2026-10-09T00:05",
      [`returned:${early}`]: "2026-10-11T00:05",
      [`warn:${late}`]: "2026-10-13T10:05",
      [`returned:${late}`]: "2026-10-15T10:05",
    });
    const warnings = await outboxOf(db(), "auto_return_warning");
    expect(warnings).toHaveLength(2);
    expect(warnings.every((o) => o.recipientId === String(w.org.V))).toBe(true);
    expect(warnings[0]?.payload).toEqual({
      applicationId: early,
      returnAt: new Date(shanghai("2026-10-11T00:00:00").getTime() + 1).toISOString(),
    });
    // Initiator (the member) told of the return.
    const outcomes = await outboxOf(db(), "outcome");
    expect(outcomes.map((o) => o.recipientId).sort()).toEqual(
      [String(w.member.m1), String(w.member.m2)].sort(),
    );
  });

  it("R7: the conversion job turns marked branches into graduate organizations from 1 June, Shanghai time", async () => {
    const w = await buildWorld(db());
    const conversion = jobsOf().conversion!;
    const category = async () =>
      (
        await db()
          .select({ c: organizations.category })
          .from(organizations)
          .where(eq(organizations.id, w.org.UB1))
      )[0]?.c;
    await runSlot(
      db(),
      conversion,
      shanghai("2026-05-31T00:10:00"),
      TZ,
      shanghai("2026-05-31T23:59:00"),
    );
    expect(await category()).toBe("normal");
    await runSlot(
      db(),
      conversion,
      shanghai("2026-06-01T00:10:00"),
      TZ,
      shanghai("2026-06-01T00:10:00"),
    );
    expect(await category()).toBe("graduate");
  });

  it("R14, R15: reminders at 5 and 11 months to the school, the county and a receiving township", async () => {
    const w = await buildWorld(db());
    // R15: retained in the school's flow branch since 10 March; R14: in the county's since 20 April.
    await db()
      .update(members)
      .set({ branchId: w.org.UF, retainedSince: shanghai("2026-03-10T08:00:00") })
      .where(eq(members.id, w.member.m1));
    await db()
      .update(members)
      .set({ branchId: w.org.YF, retainedSince: shanghai("2026-04-20T08:00:00") })
      .where(eq(members.id, w.member.m2));
    // R15: "not placed", received by a township on 1 March and assigned to its branch.
    await db().update(members).set({ branchId: w.org.TSB }).where(eq(members.id, w.member.m3));
    await db()
      .insert(applications)
      .values({
        memberId: w.member.m3,
        state: "completed",
        stageSince: shanghai("2026-02-20T10:00:00"),
        initiatorKind: "member",
        reason: "not_placed",
        fromOrgId: w.org.UB1,
        toOrgId: w.org.TS,
        assignedBranchId: w.org.TSB,
        graduationYear: 2026,
        updatedAt: shanghai("2026-03-01T08:00:00"),
      });
    const reminders = jobsOf().reminders!;
    const runOn = async (day: string) => {
      const at = shanghai(`${day}T09:00:00`);
      await runSlot(db(), reminders, at, TZ, at);
      return (await outboxOf(db(), "retention_reminder")).map((o) => {
        const p = o.payload as { memberId: number; months: number };
        return `${p.memberId}@${o.recipientId}:${p.months}`;
      });
    };
    expect(await runOn("2026-07-31")).toEqual([]);
    expect(await runOn("2026-08-01")).toEqual([`${w.member.m3}@${w.org.TS}:5`]);
    expect(await runOn("2026-08-10")).toEqual([
      `${w.member.m3}@${w.org.TS}:5`,
      `${w.member.m1}@${w.org.U}:5`,
    ]);
    const fiveMonths = await runOn("2026-09-20");
    expect(fiveMonths).toHaveLength(3);
    expect(fiveMonths).toContain(`${w.member.m2}@${w.org.Y}:5`);
    // Daily runs do not repeat a reminder; 11 months later comes the second one.
    expect(await runOn("2026-12-01")).toHaveLength(3);
    const eleven = await runOn("2027-02-10");
    expect(eleven.slice(3).sort()).toEqual(
      [`${w.member.m3}@${w.org.TS}:11`, `${w.member.m1}@${w.org.U}:11`].sort(),
    );
    const [count] = rowsOf<{ n: number }>(
      await db().execute(sql`select count(*)::int as n from outbox`),
    );
    expect(count?.n).toBe(5);
  });

  it("the housekeeping period vacuums and analyzes the database once its run committed, once", async () => {
    await buildWorld(db());
    const counts = async () => {
      const [row] = await database.current.query<{ vacuums: number; analyzes: number }>(
        `select vacuum_count::int as vacuums, analyze_count::int as analyzes
         from pg_stat_user_tables where relname = 'members'`,
      );
      return row!;
    };
    const before = await counts();
    const at = shanghai("2026-09-03T04:00:00");
    expect(await runSlot(db(), jobsOf().housekeeping!, at, TZ, at)).toBe(true);
    expect(await counts()).toEqual({
      vacuums: before.vacuums + 1,
      analyzes: before.analyzes + 1,
    });
    // The period taken already: no second run, no second vacuum.
    expect(await runSlot(db(), jobsOf().housekeeping!, at, TZ, at)).toBe(false);
    expect(await counts()).toEqual({
      vacuums: before.vacuums + 1,
      analyzes: before.analyzes + 1,
    });
  });
});
