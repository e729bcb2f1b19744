/**
 * The delivery loop keeps the tables it churns clear of dead rows (issue 22): PGlite runs no
 * autovacuum, and a server's may be off (it is on this machine's CI server). Without it a
 * season's send log held 142,537 dead rows beside 496 live ones, and every planned send's look
 * at it was 12× slower by July.
 */
import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/outbox/clock.ts";
import { appendLog } from "../../src/outbox/sendLog.ts";
import { VACUUM_EVERY_MS } from "../../src/outbox/vacuum.ts";
import { startDeliveryLoop } from "../../src/outbox/worker.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const T0 = Date.parse("2026-09-07T02:00:00Z");

/** A clock the test moves: the loop's sleeps last until it stops, rounds run on `runOnce`. */
function heldClock(start: number) {
  let now = start;
  const clock: Clock = {
    now: () => now,
    sleep: (_ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) resolve();
        signal?.addEventListener("abort", () => resolve(), { once: true });
      }),
  };
  return { clock, set: (at: number) => (now = at) };
}

describe.each(DB_KINDS)("the delivery loop's vacuum on %s", (kind) => {
  const database = useTestDatabase(kind);

  it("vacuums the send log every minute and deliveries and events every ten, after pruning the log", async () => {
    const vacuums = async () => {
      const rows = await database.current.query<{ relname: string; n: number }>(
        `select relname, vacuum_count::int as n from pg_stat_user_tables
         where relname in ('send_log', 'deliveries', 'outbox')`,
      );
      return Object.fromEntries(rows.map((r) => [r.relname, r.n]));
    };
    const db = database.current.db;
    // Sends of an hour and a half ago: past every window, so the first round prunes them.
    await appendLog(
      db,
      Array.from({ length: 500 }, (_, i) => ({ key: "telegram", at: T0 - 90 * 60_000 + i })),
    );
    const before = await vacuums();
    const time = heldClock(T0);
    const loop = startDeliveryLoop({
      db,
      senders: [],
      render: async () => null,
      intervalMs: 1_000,
      clock: time.clock,
    });
    try {
      await loop.runOnce();
      const first = await vacuums();
      expect(first.send_log).toBe(before.send_log! + 1);
      expect(first.deliveries).toBe(before.deliveries! + 1);
      expect(first.outbox).toBe(before.outbox! + 1);
      const [left] = await database.current.query<{ n: number }>(
        "select count(*)::int as n from send_log",
      );
      expect(left!.n).toBe(0);

      // Half a minute on: nothing again yet.
      time.set(T0 + 30_000);
      await loop.runOnce();
      expect(await vacuums()).toEqual(first);

      // Past a minute: the send log again, the queues not before ten minutes.
      time.set(T0 + VACUUM_EVERY_MS.sendLog + 1);
      await loop.runOnce();
      expect(await vacuums()).toEqual({ ...first, send_log: first.send_log! + 1 });

      time.set(T0 + VACUUM_EVERY_MS.queues + 1);
      await loop.runOnce();
      expect(await vacuums()).toEqual({
        send_log: first.send_log! + 2,
        deliveries: first.deliveries! + 1,
        outbox: first.outbox! + 1,
      });
    } finally {
      await loop.stop();
    }
  });
});
