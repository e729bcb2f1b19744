/**
 * A virtual clock for the delivery scheduler: time stands still while code runs and jumps
 * forward when it sleeps, so pacing that takes minutes on the wall runs in milliseconds and
 * every send lands exactly on its planned instant. Meant for one sleeper at a time (a delivery
 * loop with concurrency 1); `advance` moves time on from the test.
 */
import type { Clock } from "../../src/outbox/clock.ts";

export interface VirtualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function virtualClock(start: Date | number = Date.now()): VirtualClock {
  let now = typeof start === "number" ? start : start.getTime();
  return {
    now: () => now,
    async sleep(ms, signal) {
      if (signal?.aborted) return;
      if (ms > 0) now += Math.ceil(ms);
      // Let the rest of the event loop run, as a real wait would.
      await new Promise((resolve) => setImmediate(resolve));
    },
    advance(ms) {
      now += ms;
    },
    set(ms) {
      now = ms;
    },
  };
}

export interface SharedClock extends Clock {
  /** Moves time on to `at` (never back) and wakes every sleeper due by then. */
  jumpTo(at: number): void;
  /** Times the clock moved on without every participant asleep (one was stuck elsewhere). */
  forced(): number;
}

/**
 * A virtual clock for several sleepers at once (the delivery loops and batch runners of two app
 * copies, and the driver of a replay): time stands still while anyone works and moves on to
 * the earliest wake-up only once all `participants` sleep, so each one's waits are on the same
 * time line. Work a participant runs beside itself (`beside`: a round's sends in flight) counts
 * as one more until it settles; a participant waiting on such work (`waitOn`) counts as asleep.
 * A participant blocked on something other than the clock (a lock another one holds while it
 * sleeps) would stop time: after `stuckMs` of wall time the clock moves on anyway and counts it.
 */
export function sharedClock(
  start: Date | number,
  participants: number,
  stuckMs = 2_000,
  options: {
    /** Told every time time moves on. */
    onMove?: (now: number) => void;
    /**
     * Set where time is moved by someone else (an app copy of a replay, whose driver holds the
     * clock): told the earliest wake-up whenever everyone here sleeps, instead of moving on.
     */
    onIdle?: (earliest: number) => void;
  } = {},
): SharedClock {
  let now = typeof start === "number" ? start : start.getTime();
  let forced = 0;
  /** Work run beside the participants, less participants waiting on it. */
  let extra = 0;
  const sleepers = new Set<{ at: number; wake: () => void }>();
  let watchdog: NodeJS.Timeout | undefined;
  const wakeDue = () => {
    for (const s of [...sleepers]) {
      if (s.at <= now) {
        sleepers.delete(s);
        s.wake();
      }
    }
  };
  const earliest = () => Math.min(...[...sleepers].map((s) => s.at));
  const advance = () => {
    if (sleepers.size === 0) return;
    now = Math.max(now, earliest());
    options.onMove?.(now);
    wakeDue();
  };
  const allAsleep = () => sleepers.size > 0 && sleepers.size >= participants + extra;
  const settle = () => {
    clearTimeout(watchdog);
    if (allAsleep()) {
      // After the event loop's pending work, so a participant just woken is seen awake.
      setImmediate(() => {
        if (!allAsleep()) return;
        if (options.onIdle) options.onIdle(earliest());
        else advance();
      });
      return;
    }
    if (sleepers.size > 0 && !options.onIdle) {
      watchdog = setTimeout(() => {
        forced++;
        advance();
      }, stuckMs);
      watchdog.unref();
    }
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.resolve();
      if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
      return new Promise<void>((resolve) => {
        const sleeper = {
          at: now + Math.max(0, Math.ceil(ms)),
          wake: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers.delete(sleeper);
          sleeper.wake();
          settle();
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        sleepers.add(sleeper);
        settle();
      });
    },
    async beside(work) {
      extra++;
      try {
        return await work();
      } finally {
        extra--;
        settle();
      }
    },
    async waitOn(promise) {
      extra--;
      settle();
      try {
        return await promise;
      } finally {
        extra++;
      }
    },
    jumpTo(at) {
      now = Math.max(now, at);
      options.onMove?.(now);
      wakeDue();
      settle();
    },
    forced: () => forced,
  };
}
