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
