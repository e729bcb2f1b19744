/**
 * Scheduled jobs that run once per period across any number of app copies.
 *
 * The arbiter is a `job_runs` row keyed by job and period ("digest:2026-09-03",
 * "sweep:2026-10-05T10"): a run inserts it and does its work in the SAME transaction, so a
 * second copy's insert waits for the first and then finds the key taken, and a copy that dies
 * mid-run rolls the claim back with the work, leaving the period to a retry or the next start.
 * (An advisory lock alone does not give this: see FIELD-NOTES.) Jobs only write durable rows —
 * state changes and outbox events with dedupe keys — so sending happens later, through the
 * outbox, and also exactly once.
 */
import { eq } from "drizzle-orm";
import cron, { type ScheduledTask } from "node-cron";
import type { Db, Tx } from "../db/client.ts";
import { jobRuns } from "../db/schema.ts";
import { dayIn, zoneFormat } from "../domain/calendar.ts";

/** The span a job runs once in. */
export type Period = "day" | "hour";

export interface Slot {
  /** The job_runs key: job name and period. */
  key: string;
  /** The period's calendar day in the scheduler's zone. */
  day: string;
}

export interface Job {
  name: string;
  /** 5-field cron expression in the scheduler's zone. */
  cron: string;
  period: Period;
  /** The work, in the claim's transaction: use `tx` only (PGlite has one connection). */
  run(tx: Tx, slot: Slot, now: Date): Promise<void>;
  /**
   * Work that cannot run in a transaction (a VACUUM), by the copy that ran the period, once its
   * run committed. Nothing depends on it: failing, it is tried again next period.
   */
  afterwards?(db: Db): Promise<void>;
}

const MINUTE_MS = 60_000;
/** How far back start-up looks for a job's last scheduled time (weekly jobs still find it). */
const LOOKBACK_MINUTES = 8 * 24 * 60;

function hourIn(at: Date, timezone: string): string {
  return zoneFormat("en-US", { timeZone: timezone, hour: "2-digit", hourCycle: "h23" })
    .format(at)
    .padStart(2, "0");
}

export function slotOf(job: Pick<Job, "name" | "period">, at: Date, timezone: string): Slot {
  const day = dayIn(at, timezone);
  const period = job.period === "day" ? day : `${day}T${hourIn(at, timezone)}`;
  return { key: `${job.name}:${period}`, day };
}

/**
 * Claims the job's period of `at` and runs it. True when this call ran it; false when the
 * period had already run (here or in another copy). A failure of the job's `afterwards` does
 * not undo that: it is told to `onAfterwardsError`, and the period counts as run.
 */
export async function runSlot(
  db: Db,
  job: Job,
  at: Date,
  timezone: string,
  now: Date,
  onAfterwardsError?: (error: unknown) => void,
): Promise<boolean> {
  const slot = slotOf(job, at, timezone);
  const ran = await db.transaction(async (tx) => {
    const claimed = await tx
      .insert(jobRuns)
      .values({ key: slot.key, startedAt: now })
      .onConflictDoNothing()
      .returning({ key: jobRuns.key });
    if (claimed.length === 0) return false;
    await job.run(tx, slot, now);
    await tx.update(jobRuns).set({ finishedAt: new Date() }).where(eq(jobRuns.key, slot.key));
    return true;
  });
  if (ran) await job.afterwards?.(db).catch((error: unknown) => onAfterwardsError?.(error));
  return ran;
}

/** The latest instant at or before `now` the expression fires, within the lookback. */
export function lastFireAt(expression: string, timezone: string, now: Date): Date | null {
  const task = cron.createTask(expression, () => {}, { timezone });
  try {
    let at = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
    for (let i = 0; i <= LOOKBACK_MINUTES; i++, at -= MINUTE_MS) {
      if (task.match(new Date(at))) return new Date(at);
    }
    return null;
  } finally {
    task.destroy();
  }
}

/**
 * Start-up catch-up: a job whose latest scheduled time falls in the current period but has no
 * run yet (the app was down at 08:30, or the run failed) runs now. Earlier periods are not
 * replayed: a digest of yesterday or a sweep of an hour ago has nothing the next run lacks.
 * A job that fails is told to `onError` and the ones after it still run.
 */
export async function catchUp(
  db: Db,
  jobs: Job[],
  timezone: string,
  now: Date,
  onError?: (job: string, error: unknown) => void,
): Promise<string[]> {
  const ran: string[] = [];
  for (const job of jobs) {
    const last = lastFireAt(job.cron, timezone, now);
    if (!last || slotOf(job, last, timezone).key !== slotOf(job, now, timezone).key) continue;
    const report = (error: unknown) => onError?.(job.name, error);
    try {
      if (await runSlot(db, job, last, timezone, now, report))
        ran.push(slotOf(job, last, timezone).key);
    } catch (error) {
      report(error);
    }
  }
  return ran;
}

export interface Scheduler {
  /** Runs the catch-up (done once at start; tests call it again after a "restart"). */
  catchUp(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Schedules every job with node-cron in `timezone`, after catching up missed periods. */
export function startScheduler(options: {
  db: Db;
  jobs: Job[];
  timezone: string;
  now?: () => Date;
  onRun?: (key: string) => void;
  onError?: (job: string, error: unknown) => void;
}): Scheduler {
  const { db, jobs, timezone } = options;
  const now = options.now ?? (() => new Date());
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  const fire = (job: Job, at: Date) =>
    track(
      runSlot(db, job, at, timezone, now(), (error) => options.onError?.(job.name, error))
        .then((ran) => {
          if (ran) options.onRun?.(slotOf(job, at, timezone).key);
        })
        .catch((error) => options.onError?.(job.name, error)),
    );
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(job.cron, (ctx) => fire(job, ctx.date), {
      timezone,
      name: `zhtj:${job.name}`,
      noOverlap: true,
    }),
  );
  const runCatchUp = () =>
    track(
      catchUp(db, jobs, timezone, now(), options.onError).then((keys) => {
        for (const key of keys) options.onRun?.(key);
        return keys;
      }),
    );
  runCatchUp().catch((error) => options.onError?.("catchUp", error));
  return {
    catchUp: runCatchUp,
    async stop() {
      for (const task of tasks) await task.destroy();
      await Promise.allSettled([...inFlight]);
    },
  };
}
